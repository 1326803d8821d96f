"""The project's documentation as text: README (the front door) and the pages of the site under ``docs/``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def page(name: str) -> str:
    """One page of the site, e.g. ``scaling-out.md``."""
    return (DOCS / name).read_text(encoding="utf-8")


def documentation() -> str:
    """README and every page of the site, one after another (what a reader can find, wherever it is)."""
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return "\n\n".join(path.read_text(encoding="utf-8") for path in pages)
