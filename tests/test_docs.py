"""The documentation: README is the front door, the site under docs/ builds strictly, documents every public name,
and every code block in them is run or checked against the code it shows."""

import ast
import contextlib
import functools
import importlib
import inspect
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lightning_seq.cli import run
from tests.documentation import DOCS, ROOT

PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
# package -> its API reference page
PACKAGES = {"tasks": "tasks", "nn": "nn", "data": "data", "callbacks": "callbacks", "optim": "optim",
            "deploy": "deploy", "deploy.streaming": "streaming", "plots": "plots", "baselines": "baselines"}
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```\n", re.S | re.M)
LANGUAGES = {"bash", "python", "yaml", "text"}


def blocks(language: str) -> list[tuple[str, str]]:
    """``(page:line, code)`` of every fenced block in ``language`` on every page."""
    found = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                found.append((f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}", match.group(2)))
    return found


def test_readme_is_a_front_door_that_links_every_page_of_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    install = 'pip install -c constraints.txt -e ".[test]"'
    main_job = "lightning-seq fit --config recipes/sentiment_bilstm.yaml"
    for command in (install, main_job, "python -m pytest -q -n 2"):
        assert command in readme
    linked = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    pages = {str(path.relative_to(ROOT)) for path in DOCS.glob("*.md")} - {"docs/index.md"}
    assert pages | {"docs/reference/index.md"} == linked  # every page one click away, and no link to nothing


def test_every_code_block_names_its_language():
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        unnamed = [m.group(1) for m in FENCE.finditer(text) if m.group(1) not in LANGUAGES]
        assert not unnamed, f"{path.relative_to(ROOT)}: blocks in {unnamed}; name one of {sorted(LANGUAGES)}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built as CI builds it: strict, so a broken link or anchor, a page left out of the navigation or a
    snippet that is not there fails the build."""
    folder = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("package", PACKAGES)
def test_the_api_reference_shows_every_public_name_with_its_own_docstring(site, package):
    module = importlib.import_module(f"lightning_seq.{package}")
    html = (site / "reference" / PACKAGES[package] / "index.html").read_text(encoding="utf-8")
    missing = [name for name in module.__all__ if f'id="lightning_seq.{package}.{name}"' not in html]
    assert not missing, f"missing from reference/{package}.md: {missing}"
    undocumented = []
    for name in module.__all__:
        thing = getattr(module, name)
        if inspect.isclass(thing) or inspect.isfunction(thing):
            if not (vars(thing).get("__doc__") if inspect.isclass(thing) else thing.__doc__):
                undocumented.append(name)
        elif not inspect.ismodule(thing):  # a constant or a type alias: documented where it is assigned
            entry = html.split(f'id="lightning_seq.{package}.{name}"', 1)[1].split('id="lightning_seq.', 1)[0]
            if "<p>" not in entry:
                undocumented.append(name)
    assert not undocumented, f"lightning_seq.{package}: no docstring of their own: {undocumented}"


def test_a_page_left_out_of_the_navigation_fails_the_strict_build(tmp_path):
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the other page](other.md).\n", encoding="utf-8")
    (docs / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    config.update(docs_dir=str(docs), nav=[{"Home": "index.md"}], plugins=["search"])
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_path / "mkdocs.yml"),
                           "--site-dir", str(tmp_path / "site")], capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=120)
    assert done.returncode == 1
    assert "'other.md', but the target is not found" in done.stderr and "orphan.md" in done.stderr


def commands(code: str) -> list[list[str]]:
    """The commands of a bash block: continuation lines joined, comments dropped, ``[--optional args]`` taken."""
    joined = re.sub(r"\\\n\s*", " ", code)
    found = []
    for line in joined.splitlines():
        line = line.split(" # ")[0].strip()
        if line and not line.startswith("#"):
            line = re.sub(r"\[(--[^\]]+)\]", r"\1", line).replace('"${1:-recipes/sentiment_bilstm.yaml}"',
                                                                     "recipes/sentiment_bilstm.yaml")
            found.append(shlex.split(line, comments=True))
    return found


TRAINER = {"fit", "validate", "test", "predict"}
PREPARE_OPTIONS = {"--output": 1, "--rows_per_shard": 1, "--row_group_rows": 1, "--overwrite": 0}


def prepare_recipe_words(words: list[str]) -> list[str]:
    """The words of a ``lightning-seq prepare`` command that are the recipe's, not prepare's own options."""
    kept, skip = [], 0
    for word in words:
        if skip:
            skip -= 1
        elif word in PREPARE_OPTIONS:
            skip = PREPARE_OPTIONS[word]
        elif word.split("=")[0] not in PREPARE_OPTIONS:
            kept.append(word)
    return kept
# what a bash block may call besides this project's commands: shown for the reader, run by nobody here
EXTERNAL = {"pip", "python3", "curl", "arecord", "sbatch", "tensorboard", "mkdocs"}


HELP = {  # the project's commands besides the Trainer's, by their entry points
    "serve": "lightning_seq.deploy.serve_cli",
    "prepare": "lightning_seq.prepare_cli",
    "lightning-seq-export": "lightning_seq.deploy.export",
    "lightning-seq-stream": "lightning_seq.stream_cli",
}


@functools.cache
def help_of(command: str) -> str:
    """What ``--help`` prints for one of the project's commands (its entry point, in this process)."""
    main = importlib.import_module(HELP[command]).main
    with contextlib.redirect_stdout(io.StringIO()) as printed, pytest.raises(SystemExit):
        main(["--help"])
    return printed.getvalue()


def lightning_seq_words(words: list[str]) -> list[str] | None:
    """The ``lightning-seq`` arguments of a command that runs it directly, through srun, or torchrun's ``-m``."""
    if words[0] == "srun":
        words = words[1:]
    if words[0] == "lightning-seq":
        return words[1:]
    if words[0] == "torchrun":
        return words[words.index("lightning_seq") + 1:]
    return None


def test_every_bash_command_is_one_the_project_accepts(capsys):
    """Trainer commands are parsed with every option and class path they name (``--print_config``: the same
    parser, nothing trained); the other commands of the project get every flag they use checked against their
    ``--help``; a script run with python must exist."""
    checked = 0
    for where, code in blocks("bash"):
        for words in commands(code):
            if "|" in words:  # a pipe: the project's command is the last one
                words = words[words.index("|") + 1:]
            if words[0] in EXTERNAL or words[:3] == ["python", "-m", "pytest"]:
                continue
            args = lightning_seq_words(words)
            if args is not None and args[0] in TRAINER:
                with contextlib.redirect_stdout(io.StringIO()) as printed, pytest.raises(SystemExit) as done:
                    run([*args, "--print_config"])
                assert done.value.code in (0, None), f"{where}: {' '.join(words)}"
                assert "model:" in printed.getvalue() or "data:" in printed.getvalue(), where
            elif words[0] == "python":
                assert (ROOT / words[1]).is_file(), f"{where}: {words[1]} does not exist"
            else:
                usage = help_of(args[0] if args else words[0])
                flags = [w.split("=")[0] for w in words if w.startswith("--")]
                if args and args[0] == "prepare":  # its own options, then the recipe's, which fit's parser checks
                    assert "Every other argument is the recipe's" in usage
                    recipe = prepare_recipe_words(args[1:])
                    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as done:
                        run(["fit", *recipe, "--print_config"])
                    assert done.value.code in (0, None), where
                    flags = [flag for flag in flags if not flag.startswith(("--config", "--data."))]
                for flag in flags:
                    assert flag in usage, f"{where}: {flag} is not an option of {' '.join(words[:2])}"
            checked += 1
    assert checked >= 25


def recipe_for(model_class: str) -> Path:
    """A recipe whose model is of ``model_class`` (a YAML fragment is checked on top of it)."""
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        if yaml.safe_load(recipe.read_text(encoding="utf-8"))["model"]["class_path"] == model_class:
            return recipe
    raise AssertionError(f"no recipe builds {model_class}")


def class_path(value: str | dict) -> str:
    """The import path of a class given as ``class_path: X`` or as the string shorthand."""
    return value["class_path"] if isinstance(value, dict) else value


def test_every_yaml_block_is_a_configuration_the_cli_accepts(tmp_path):
    checked = 0
    for i, (where, code) in enumerate(blocks("yaml")):
        fragment = yaml.safe_load(code)
        path = tmp_path / f"{i}.yaml"
        path.write_text(code, encoding="utf-8")
        recipe = recipe_for(fragment["model"]["class_path"])
        with contextlib.redirect_stdout(io.StringIO()) as printed, pytest.raises(SystemExit) as done:
            run(["fit", "--config", str(recipe), "--config", str(path), "--print_config"])
        assert done.value.code in (0, None), where
        merged = yaml.safe_load(printed.getvalue())
        for key, value in fragment["model"]["init_args"].items():  # what the block sets is what the CLI holds
            held = merged["model"]["init_args"][key]
            if isinstance(value, dict) or isinstance(held, dict):  # a class: by its import path
                assert class_path(held) == class_path(value), f"{where}: {key}"
            else:
                assert held == value, f"{where}: {key}"
        checked += 1
    assert checked >= 2


def imported_names(tree: ast.Module) -> dict[str, object]:
    """What a block imports from this project, by the name it uses."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lightning_seq"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module} has no {alias.name}"
                names[alias.asname or alias.name] = getattr(module, alias.name)
    return names


def check_calls(tree: ast.Module, names: dict[str, object], where: str) -> int:
    """Every call of an imported class or function, or of a method on one, binds to its signature."""
    calls = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Name) and node.func.id in names:
            target = names[node.func.id]
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in names:
            owner = names[node.func.value.id]
            assert hasattr(owner, node.func.attr), f"{where}: {node.func.value.id} has no {node.func.attr}"
            target = getattr(owner, node.func.attr)
        if target is None:
            continue
        keywords = {k.arg: None for k in node.keywords if k.arg}
        inspect.signature(target).bind_partial(*[None] * len(node.args), **keywords)  # raises on a wrong name
        calls += 1
    return calls


def test_every_python_block_uses_the_api_as_it_is_and_the_self_contained_ones_run(tmp_path, monkeypatch):
    """Each block's imports resolve and each call of the project's classes, functions and methods binds to their
    signatures. A block that needs no trained checkpoint is run, in a fresh folder (the others run in
    tests/test_docs_checkpoints.py, on briefly trained checkpoints)."""
    monkeypatch.chdir(tmp_path)
    ran = calls = 0
    for where, code in blocks("python"):
        tree = ast.parse(code, filename=where)
        calls += check_calls(tree, imported_names(tree), where)
        if "checkpoint" not in code:
            exec(compile(tree, where, "exec"), {"__name__": "__docs__"})
            ran += 1
    assert ran >= 1 and calls >= 10
