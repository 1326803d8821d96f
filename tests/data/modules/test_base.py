"""The split skeleton's one convention: a data module's ``__init__`` calls ``super().__init__`` first and reads its
splits last, so no base constructor ever runs a method a subclass overrides before the subclass's settings exist."""

import ast
import inspect
import textwrap

import pytest

import lightning_seq.data as data
from lightning_seq.data import SequenceDataModule

MODULES = sorted(
    {cls for cls in vars(data).values() if isinstance(cls, type) and issubclass(cls, SequenceDataModule)},
    key=lambda cls: cls.__name__,
)
READS = {"load_splits", "read_clips", "load_series"}  # the calls that read (or generate) the splits


def statements(cls: type) -> list[ast.stmt]:
    source = textwrap.dedent(inspect.getsource(vars(cls)["__init__"]))
    return ast.parse(source).body[0].body


def calls_in(statement: ast.stmt) -> set[str]:
    return {node.func.attr for node in ast.walk(statement)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}


@pytest.mark.parametrize("cls", [c for c in MODULES if "__init__" in vars(c)], ids=lambda c: c.__name__)
def test_init_calls_the_base_first_and_reads_its_splits_last(cls):
    body = [s for s in statements(cls) if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    first_super = next(i for i, s in enumerate(body) if "__init__" in calls_in(s))
    assigned_before = [ast.unparse(s) for s in body[:first_super] if isinstance(s, ast.Assign | ast.AnnAssign)]
    assert assigned_before == [], f"{cls.__name__} sets attributes before super().__init__"
    reads = [i for i, s in enumerate(body) if calls_in(s) & READS]
    if cls in (SequenceDataModule, data.FramedAudioDataModule):
        assert reads == []  # bases: their subclasses read, once their own settings exist
    else:
        assert reads, f"{cls.__name__} never reads its splits"
