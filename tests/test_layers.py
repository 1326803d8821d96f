"""The package's layers import only the layers below them (docs/layout.md, "How the code is laid out")."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lightning_seq"
FORBIDDEN = {
    "types.py": ("lightning_seq.nn", "lightning_seq.data", "lightning_seq.tasks", "lightning_seq.cli"),
    "nn": ("lightning_seq.data", "lightning_seq.tasks", "lightning_seq.cli", "lightning_seq.deploy"),
    "optim": ("lightning_seq.data", "lightning_seq.tasks", "lightning_seq.cli"),
    "plots": ("lightning_seq.data", "lightning_seq.tasks", "lightning_seq.cli"),
    "data": ("lightning_seq.tasks", "lightning_seq.cli", "lightning_seq.deploy"),
    "tasks": ("lightning_seq.data", "lightning_seq.cli", "lightning_seq.deploy"),
    # streaming sits inside deploy, beside the predictor and the server: neither side imports the other
    "deploy/streaming": ("lightning_seq.data", "lightning_seq.cli", *(
        f"lightning_seq.deploy.{path.stem}" for path in (PACKAGE / "deploy").glob("*.py") if path.stem != "__init__"
    )),
    "deploy": ("lightning_seq.cli", "lightning_seq.deploy.streaming"),
}
SUBPACKAGES = {"deploy": ("streaming",)}  # held to their own rule above, not to their parent's


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    root = PACKAGE / layer
    inner = SUBPACKAGES.get(layer, ())
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    files = [path for path in files if path == root or path.relative_to(root).parts[0] not in inner]
    assert files
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN[layer])
    ]
    assert wrong == []
