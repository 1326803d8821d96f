
"""Users' own data through the CLI: headerless tables, columns by position, Parquet and Hugging Face data sets, and
the one-block error a broken file gives."""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lightning_seq.cli import main, run
from lightning_seq.data import SentencePieceTokenizer
from tests.conftest import TEXTS, write_csv
from tests.documentation import page

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false", "--trainer.logger=false"]
NO_CHECKPOINTS = ["--trainer.enable_checkpointing=false", "--trainer.callbacks=[]"]


def cli_subprocess(cwd, *words, env_extra=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **(env_extra or {})}
    command = [sys.executable, "-m", "lightning_seq", *words]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def without_seed_line(stderr):
    return [line for line in stderr.splitlines() if not line.startswith("Seed set to")]


def test_a_broken_file_prints_one_block_and_exits_1(tmp_path, monkeypatch):
    (tmp_path / "bad.csv").write_text("text,label\ngood film,pos\nfunny, but long,neg\n", encoding="utf-8")
    words = ["fit", "--config", str(ROOT / "recipes/sentiment_bilstm.yaml"), "--data.init_args.train_path=bad.csv"]
    done = cli_subprocess(tmp_path, *words)
    assert done.returncode == 1
    first, second = without_seed_line(done.stderr)  # one block of two lines, nothing else
    assert first == (
        "lightning-seq: error: bad.csv:3: more fields than the 2 columns of the header (quote a field that holds ',')"
    )
    hint = r"  \(ValueError raised in lightning_seq/data/readers/tables\.py:(\d+); add --print_traceback or set " \
           r"LIGHTNING_SEQ_TRACEBACK=1 for the full traceback\)"
    assert re.fullmatch(hint, second)
    readme = page("your-data.md")
    assert f"\n{first}\n" in readme and re.search(hint.replace("  ", "\n  ", 1), readme)  # README shows this block
    # the full chain on request: the error itself propagates (in-process here; the console shows its traceback)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"bad.csv:3: more fields than the 2 columns of the header"):
        main([*words, "--print_traceback"])
    monkeypatch.setenv("LIGHTNING_SEQ_TRACEBACK", "1")
    with pytest.raises(ValueError, match=r"bad.csv:3: more fields than the 2 columns of the header"):
        main(words)


def test_a_bad_model_argument_prints_one_block(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIGHTNING_SEQ_TRACEBACK", raising=False)
    words = ["fit", "--config", str(ROOT / "recipes/sentiment_bilstm.yaml"), "--data.init_args.generated_size=60",
             "--model.init_args.encoder.init_args.hidden_size=-3"]
    with pytest.raises(SystemExit) as exited:
        main(words)
    assert exited.value.code == 1
    lines = without_seed_line(capsys.readouterr().err)
    assert lines[0] == "lightning-seq: error: hidden_size must be an integer >= 1, got -3"
    assert lines[1].startswith("  (ValueError raised in lightning_seq/nn/") and len(lines) == 2


def test_headerless_tsv_pairs_train_through_the_cli(tmp_path, monkeypatch):
    """The Tatoeba/Anki layout, no header, a third field: the seq2seq recipe reads it as it is."""
    monkeypatch.chdir(tmp_path)
    pairs = [(f"{a} {b}", f"{b.upper()} {a.upper()}", "CC-BY 2.0") for a in "abcdefgh" for b in "wxyz"]
    train = write_csv(tmp_path / "train.tsv", pairs, columns=None, delimiter="\t")
    cli = run(["fit", "--config", str(ROOT / "recipes/seq2seq_attention.yaml"), f"--data.init_args.train_path={train}",
               "--trainer.max_epochs=1", *QUIET, *NO_CHECKPOINTS])
    data = cli.datamodule
    assert len(data.records["train"]) + len(data.records["val"]) == 32
    assert data.records["train"][0].where.endswith("train.tsv:" + data.records["train"][0].where.rsplit(":", 1)[1])
    assert sorted(data.target_vocabulary[4:]) == sorted("ABCDEFGHWXYZ")


def test_columns_by_position_and_header_from_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [(str(i), label, text) for i, (text, label) in enumerate(TEXTS * 3)]
    train = write_csv(tmp_path / "train.csv", rows, columns=("id", "sentiment", "review"))
    cli = run(["fit", "--config", str(ROOT / "recipes/sentiment_bilstm.yaml"), f"--data.init_args.train_path={train}",
               "--data.init_args.text_column=2", "--data.init_args.label_column=1", "--data.init_args.header=true",
               "--trainer.max_epochs=1", *QUIET, *NO_CHECKPOINTS])
    assert cli.datamodule.text_column == 2 and cli.datamodule.label_names == ["neg", "pos"]
    assert "review" not in cli.datamodule.vocabulary  # the header line was not read as a text


def test_parquet_and_hugging_face_sources_through_the_cli(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.chdir(tmp_path)
    table = pa.table({"text": [t for t, _ in TEXTS * 3], "label": [lab for _, lab in TEXTS * 3]})
    pq.write_table(table, tmp_path / "train.parquet")
    recipe = ["--config", str(ROOT / "recipes/sentiment_bilstm.yaml"), "--trainer.max_epochs=1", *QUIET]
    cli = run(["fit", *recipe, "--data.init_args.train_path=train.parquet", *NO_CHECKPOINTS])
    assert len(cli.datamodule.records["train"]) == 27
    assert cli.datamodule.records["val"][0].where.startswith("train.parquet row ")
    hub = tmp_path / "hub_like"
    hub.mkdir()
    pq.write_table(table, hub / "train.parquet")
    pq.write_table(table.slice(0, 4), hub / "test.parquet")
    cli = run(["fit", *recipe, f"--data.init_args.hf_dataset={hub}", *NO_CHECKPOINTS])
    assert len(cli.datamodule.records["train"]) == 27
    assert cli.datamodule.paths["test"] == f"hf://{hub}?split=test"
    splits = datasets.DatasetDict({"train": datasets.Dataset.from_dict(table.to_pydict())})
    splits.save_to_disk(str(tmp_path / "saved"))
    cli = run(["fit", *recipe, "--data.init_args.train_path=saved", *NO_CHECKPOINTS])
    assert len(cli.datamodule.records["train"]) == 27


def test_subword_tokenizer_is_saved_kept_in_the_checkpoint_and_reloaded_for_test(tmp_path, monkeypatch):
    pytest.importorskip("sentencepiece")
    monkeypatch.chdir(tmp_path)
    recipe = ["--config", str(ROOT / "recipes/sentiment_bilstm.yaml"), "--data.init_args.generated_size=300",
              "--data.init_args.tokenizer=lightning_seq.data.SentencePieceTokenizer",
              "--data.init_args.tokenizer.vocab_size=200", "--trainer.enable_progress_bar=false",
              "--trainer.enable_model_summary=false"]
    fit = run(["fit", *recipe, "--trainer.max_epochs=1"])
    saved = Path(fit.trainer.log_dir) / "tokenizer.model"
    assert saved.read_bytes() == fit.datamodule.tokenizer.to_bytes()
    ckpt = tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt"
    kept = torch.load(ckpt, weights_only=True)["SentimentDataModule"]["tokenizers"]["tokenizer"]
    assert kept == saved.read_bytes()
    test = run(["test", *recipe, "--ckpt_path", str(ckpt)])  # the checkpoint's tokenizer, not a new one
    beside = ckpt.with_name("last.tokenizer.model")
    assert beside.read_bytes() == kept and test.datamodule.tokenizer.model_path == str(beside)
    # the test accuracy is what the predictions of the same checkpoint score on the test split
    run(["predict", *recipe, "--ckpt_path", str(ckpt)])
    with (tmp_path / "runs/sentiment_bilstm/predictions.csv").open(newline="", encoding="utf-8") as handle:
        predicted = [row["label"] for row in csv.DictReader(handle)]
    names = test.datamodule.label_names
    truth = [names[t] for t in test.datamodule.dataset("test").targets]
    accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
    assert float(test.trainer.callback_metrics["test/acc"]) == pytest.approx(accuracy, abs=1e-6)
    assert 0 < accuracy < 1
    # a tokenizer file that does not match the checkpoint: refused by name before any step runs
    other = SentencePieceTokenizer(vocab_size=150)
    other.train([r.text for r in test.datamodule.records["train"]])
    path = other.save(tmp_path, "other")
    message = (r"last.ckpt's tokenizer \(model [0-9a-f]{12}\) differs from the data module's SentencePieceTokenizer "
               r"\(model [0-9a-f]{12}\): the checkpoint's token ids would be read as other pieces")
    with pytest.raises(ValueError, match=message):
        run(["test", *recipe, "--ckpt_path", str(ckpt), f"--data.init_args.tokenizer.model_path={path}"])


SUBWORD_RECIPES = {
    "seq2seq_attention": ["source_tokenizer", "target_tokenizer"],
    "charlm_lstm": ["tokenizer"],
    "conditional_generation": ["target_tokenizer"],
}


@pytest.mark.parametrize("recipe", sorted(SUBWORD_RECIPES))
def test_subword_tokenizers_on_either_side_of_generation_recipes(recipe, tmp_path, monkeypatch):
    """Every task that reads text takes a subword tokenizer on each of its text sides; predictions come out as text."""
    pytest.importorskip("tokenizers")
    monkeypatch.chdir(tmp_path)
    words = ["predict", "--config", str(ROOT / f"recipes/{recipe}.yaml"), "--data.init_args.generated_size=200",
             "--trainer.enable_progress_bar=false"]
    for name in SUBWORD_RECIPES[recipe]:
        words += [f"--data.init_args.{name}=lightning_seq.data.HFTokenizer", f"--data.init_args.{name}.vocab_size=60"]
    joiner = "token_joiner" if recipe == "charlm_lstm" else "target_joiner"
    words += [f"--model.init_args.{joiner}=", "--model.init_args.max_length=12", "--trainer.limit_predict_batches=1"]
    cli = run(words)
    assert all(cli.datamodule.subword[name].is_trained for name in SUBWORD_RECIPES[recipe])
    rows = [row for batch in cli.trainer.predict_loop.predictions for row in batch.to_rows()]
    assert rows and all("\u2581" not in row["hypothesis"] for row in rows)
