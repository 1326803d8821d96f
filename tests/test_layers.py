"""The package's layers import only the layers below them (README, "How the code is laid out")."""

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
    "streaming": ("lightning_seq.data", "lightning_seq.cli", "lightning_seq.deploy"),
    "deploy": ("lightning_seq.cli", "lightning_seq.streaming"),
}


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
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    assert files
    wrong = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN[layer])
    ]
    assert wrong == []
