import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lightning_seq.cli import run
from lightning_seq.plots import render_confusion_matrix, render_contact_sheet
from lightning_seq.tasks import CTCBeamSearch, SequenceClassifier
from tests.plots.pictures import assert_drawn, pixels

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "recipes" / "sentiment_bilstm.yaml")
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
SMALL_DATA = ["--data.init_args.generated_size=300", "--data.init_args.batch_size=32"]


def test_fit_test_predict_from_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = run(["fit", "--config", RECIPE, "--trainer.max_epochs=2", *SMALL_DATA, *QUIET])
    ckpt = tmp_path / "runs/sentiment_bilstm/checkpoints/best.ckpt"
    assert ckpt.is_file() and (tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt").is_file()
    model, data = cli.model.eval(), cli.datamodule
    with torch.no_grad():  # the logged val/acc is the final model's accuracy on the validation split
        hits = [(model(b.inputs, b.lengths).argmax(-1) == b.targets).sum().item() for b in data.val_dataloader()]
    assert float(cli.trainer.callback_metrics["val/acc"]) == pytest.approx(sum(hits) / 30, abs=1e-6)
    log_dir = Path(cli.trainer.log_dir)
    assert (log_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (log_dir / "labels.txt").read_text(encoding="utf-8") == "negative\nneutral\npositive\n"

    tested = run(["test", "--config", RECIPE, "--ckpt_path", str(ckpt), *SMALL_DATA, *QUIET])
    assert set(tested.trainer.callback_metrics) >= {"test/acc", "test/f1", "test/loss"}  # the log keys

    # CLI checkpoints hold plain config data: a weights-only load rebuilds the model
    restored = SequenceClassifier.load_from_checkpoint(ckpt, weights_only=True)
    assert restored.vocabulary == tested.datamodule.vocabulary

    # predict from a minimal config: the model is rebuilt from the checkpoint's hyperparameters
    out = tmp_path / "preds.csv"
    run(
        [
            "predict",
            "--model=lightning_seq.tasks.SequenceClassifier",
            "--data=lightning_seq.data.SentimentDataModule",
            *SMALL_DATA,
            "--ckpt_path",
            str(ckpt),
            "--trainer.logger=false",
            "--trainer.callbacks+=lightning_seq.callbacks.PredictionWriter",
            f"--trainer.callbacks.output_path={out}",
            *QUIET,
        ]
    )
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == list(range(30))  # the test split, in input order
    names = ("negative", "neutral", "positive")
    assert {r["label"] for r in rows} <= set(names)
    for r in rows:
        p = [float(r[f"probabilities.{name}"]) for name in names]
        assert abs(sum(p) - 1) < 1e-5 and r["label"] == names[p.index(max(p))]
    # test/acc is the accuracy of exactly these predictions on the test split
    names, truth = tested.datamodule.label_names, tested.datamodule.dataset("test").targets
    hits = sum(r["label"] == names[t] for r, t in zip(rows, truth, strict=True))
    assert float(tested.trainer.callback_metrics["test/acc"]) == pytest.approx(hits / 30, abs=1e-6)

    # the recorded predictions equal the restored model's own outputs
    dm = tested.datamodule
    dm.setup("predict")
    batch = next(iter(dm.predict_dataloader()))
    restored.eval()
    probs = torch.softmax(restored(batch.inputs, batch.lengths), -1)
    assert torch.allclose(probs[:, 2], torch.tensor([float(r["probabilities.positive"]) for r in rows[:32]]), atol=1e-5)


def test_checkpoint_vocabulary_mismatch_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(["fit", "--config", RECIPE, "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", *SMALL_DATA, *QUIET])
    ckpt = tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt"
    with pytest.raises(ValueError, match=r"the checkpoint's vocabulary .* does not match the data's"):
        run(["test", "--config", RECIPE, "--ckpt_path", str(ckpt), *SMALL_DATA, "--data.init_args.seed=7", *QUIET])


def test_print_config_and_links(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(["fit", "--config", RECIPE, "--print_config"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert "class_path: lightning_seq.nn.LSTMEncoder" in printed
    assert "vocab_size" not in printed.split("data:")[0].split("model:")[1]  # linked, never configured


@pytest.mark.parametrize(
    "fragment", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml")) + ["recipes"]
)
def test_every_yaml_runs_through_the_cli(tmp_path, monkeypatch, fragment):
    monkeypatch.chdir(tmp_path)
    base = str(ROOT / "recipes" / "seq2seq_attention.yaml") if "seq2seq" in fragment else RECIPE
    configs = ["--config", base]
    if fragment != "recipes":
        if "gpu" in fragment and not torch.cuda.is_available():
            configs += ["--config", str(ROOT / fragment), "--trainer.accelerator=cpu"]
        elif "ddp" in fragment:
            configs += [
                "--config",
                str(ROOT / fragment),
                "--trainer.accelerator=cpu",
                "--trainer.devices=1",
                "--trainer.strategy=auto",
            ]
        else:
            configs += ["--config", str(ROOT / fragment)]
    cli = run(["fit", *configs, "--trainer.fast_dev_run=true", *SMALL_DATA, *QUIET])
    assert cli.trainer.state.finished


def test_invalid_model_argument_names_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got -3"):
        run(["fit", "--config", RECIPE, "--model.init_args.encoder.init_args.hidden_size=-3", *SMALL_DATA, *QUIET])


def test_python_m_entry_point_and_console_script_help():
    done = subprocess.run(
        [sys.executable, "-m", "lightning_seq", "fit", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--data CONFIG | CLASS_PATH_OR_NAME | .INIT_ARG_NAME VALUE" in done.stdout


def test_classes_picked_by_import_path_from_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = run(
        [
            "fit",
            "--config",
            RECIPE,
            "--trainer.fast_dev_run=true",
            *SMALL_DATA,
            *QUIET,
            "--data.init_args.tokenizer=lightning_seq.data.CharTokenizer",
            "--model.init_args.encoder=lightning_seq.nn.GRUEncoder",
            "--model.init_args.encoder.hidden_size=16",
            "--model.init_args.pooling=attention",
            "--model.init_args.direction_merge=mean",
            "--model.init_args.lr_scheduler=torch.optim.lr_scheduler.StepLR",
            "--model.init_args.lr_scheduler.step_size=1",
        ]
    )
    model = cli.model
    assert type(model.encoder).__name__ == "GRUEncoder" and model.encoder.hidden_size == 16
    assert model.encoder.bidirectional and model.encoder.num_layers == 2  # the recipe's other settings stay
    assert type(model.pooling).__name__ == "AttentionPooling"
    assert " " in model.vocabulary  # characters, spaces included
    scheduler = cli.trainer.lr_scheduler_configs[0].scheduler
    assert type(scheduler).__name__ == "StepLR" and scheduler.step_size == 1


DIGITS = str(ROOT / "recipes" / "rowscan_digits_lstm.yaml")
OCR = str(ROOT / "recipes" / "ocr_crnn_ctc.yaml")


@pytest.mark.parametrize("recipe", sorted(str(p) for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_recipe_runs_fast_dev_run(tmp_path, monkeypatch, recipe):
    monkeypatch.chdir(tmp_path)
    cli = run(
        [
            "fit",
            "--config",
            recipe,
            "--trainer.fast_dev_run=true",
            "--data.init_args.generated_size=60",
            "--data.init_args.batch_size=8",
            *QUIET,
        ]
    )
    # truncated BPTT takes one optimizer step per chunk: a 100-step window in 50-step chunks is 2 steps
    language_model = type(cli.model).__name__ == "LanguageModel"
    assert cli.trainer.state.finished and cli.trainer.global_step == (2 if language_model else 1)


def test_digits_fit_test_writes_confusion_matrix_and_predictions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = ["--data.init_args.generated_size=300", "--trainer.max_epochs=3", *QUIET]
    run(["fit", "--config", DIGITS, *small])
    ckpt = "runs/rowscan_digits_lstm/checkpoints/last.ckpt"
    tested = run(["test", "--config", DIGITS, "--ckpt_path", ckpt, *small])
    picture = assert_drawn(Path(tested.trainer.log_dir) / "confusion_matrix.png", 600, 500)
    run(["predict", "--config", DIGITS, "--ckpt_path", ckpt, *small])
    with open("runs/rowscan_digits_lstm/predictions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30 and rows[0]["input"] == "<generated test>:1"
    assert {r["label"] for r in rows} <= {str(d) for d in range(10)}
    # test's accuracy is the share of predicted labels that are right, on a model neither untrained nor perfect
    names = tested.datamodule.label_names
    truth = [names[t] for t in tested.datamodule.dataset("test").targets]
    accuracy = sum(r["label"] == t for r, t in zip(rows, truth, strict=True)) / len(rows)
    assert float(tested.trainer.callback_metrics["test/acc"]) == pytest.approx(accuracy, abs=1e-6)
    assert 0 < accuracy < 1
    # the picture is the confusion matrix of those predictions, every digit named on both axes
    matrix = torch.zeros(len(names), len(names), dtype=torch.long)
    for row, true in zip(rows, truth, strict=True):
        matrix[names.index(true), names.index(row["label"])] += 1
    figure = render_confusion_matrix(matrix, names)
    assert np.array_equal(picture, pixels(figure))
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == names == [str(d) for d in range(10)]


GLYPH_ROWS = {"a": (0, 16), "b": (16, 32), "c": (8, 24), "z": (4, 28)}  # the dark rows of each 6-pixel-wide glyph


def write_glyph_lines(folder, count, seed, alphabet="abc"):
    """A labels.tsv split of lines drawn in a block font a small CRNN learns in a few epochs."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    (folder / "img").mkdir(parents=True)
    lines = []
    for i in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 5)))
        image = Image.new("L", (2 + 8 * len(text), 32), 255)
        for j, char in enumerate(text):
            top, bottom = GLYPH_ROWS[char]
            ImageDraw.Draw(image).rectangle([2 + 8 * j, top, 7 + 8 * j, bottom - 1], fill=0)
        image.save(folder / f"img/{i}.png")
        lines.append(f"img/{i}.png\t{text}")
    (folder / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [line.split("\t")[1] for line in lines]


def test_ocr_fit_test_predict_writes_contact_sheet_and_texts(tmp_path, monkeypatch):
    """A briefly trained CRNN on block-glyph lines; the test split also holds lines with a character the training
    labels never had ('z', mapped to <unk> and scored as written), so CER is above 0 and line accuracy below 1
    however well the model learns. Test's CER, WER and line accuracy equal those recomputed from predict's texts."""
    monkeypatch.chdir(tmp_path)
    write_glyph_lines(tmp_path / "train", 300, 0)
    write_glyph_lines(tmp_path / "val", 40, 1)
    labels = write_glyph_lines(tmp_path / "test", 40, 2, alphabet="abcz")
    data = ["--data.init_args.train_dir=train", "--data.init_args.val_dir=val", "--data.init_args.test_dir=test",
            "--data.init_args.unknown_to_unk=true", "--data.init_args.batch_size=16", *QUIET]
    run(["fit", "--config", OCR, "--trainer.max_epochs=4", "--model.init_args.lr_scheduler.init_args.warmup_steps=10",
         *data])
    ckpt = "runs/ocr_crnn_ctc/checkpoints/last.ckpt"
    beam = ["--model.init_args.decoding=lightning_seq.tasks.CTCBeamSearch", "--model.init_args.decoding.beam_size=4"]
    tested = run(["test", "--config", OCR, "--ckpt_path", ckpt, *beam, *data])
    assert tested.model.decoding == CTCBeamSearch(beam_size=4)  # the command line's, not the checkpoint's
    sheet = assert_drawn(Path(tested.trainer.log_dir) / "contact_sheet.png", 400, 300)
    assert ((sheet[..., 0] > 200) & (sheet[..., 1] < 80) & (sheet[..., 2] < 80)).any()  # 'z' is always wrong: red
    run(
        [
            "predict",
            "--model=lightning_seq.tasks.CTCTranscriber",
            "--data=lightning_seq.data.OCRDataModule",
            *data,
            "--ckpt_path",
            ckpt,
            *beam,
            "--trainer.logger=false",
            "--trainer.callbacks+=lightning_seq.callbacks.PredictionWriter",
            f"--trainer.callbacks.output_path={tmp_path / 'ocr.jsonl'}",
        ]
    )
    rows = [json.loads(line) for line in (tmp_path / "ocr.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["index"] for r in rows] == list(range(40)) and rows[0]["input"].endswith("img/0.png")
    from torchmetrics.text import CharErrorRate, WordErrorRate

    texts = [r["text"] for r in rows]
    metrics = {k.removeprefix("test/"): float(v) for k, v in tested.trainer.callback_metrics.items()}
    assert metrics["cer"] == pytest.approx(float(CharErrorRate()(texts, labels)), abs=1e-5)
    assert metrics["wer"] == pytest.approx(float(WordErrorRate()(texts, labels)), abs=1e-5)
    # the contact sheet shows the test loader's first 16 images with those texts (the same beam), as drawn
    shown = torch.cat([batch.indices for batch in tested.datamodule.test_dataloader()])[:16].tolist()
    dataset = tested.datamodule.dataset("test")
    images = [getattr(dataset, "dataset", dataset).image(i) for i in shown]
    figure = render_contact_sheet(images, [labels[i] for i in shown], [texts[i] for i in shown])
    assert np.array_equal(sheet, pixels(figure))
    assert metrics["seq_acc"] == pytest.approx(sum(t == w for t, w in zip(texts, labels, strict=True)) / 40)
    assert 0 < metrics["cer"] < 1 and 0 < metrics["seq_acc"] < 1


def test_a_size_the_data_does_not_provide_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"num_classes must be >= 2 \(link it from the data\), got None"):
        run(
            [
                "fit",
                "--model=lightning_seq.tasks.SequenceClassifier",
                "--data=lightning_seq.data.OCRDataModule",
                "--data.generated_size=20",
                "--trainer.fast_dev_run=true",
                *QUIET,
            ]
        )


@pytest.mark.parametrize("name", ["audio_keywords_gru", "audio_ctc_bilstm"])
def test_audio_recipes_fit_test_predict(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes" / f"{name}.yaml")
    small = ["--data.init_args.generated_size=60", "--data.init_args.batch_size=16", *QUIET]
    run(["fit", "--config", recipe, "--trainer.max_epochs=1", *small])
    ckpt = f"runs/{name}/checkpoints/last.ckpt"
    tested = run(["test", "--config", recipe, "--ckpt_path", ckpt, *small])
    run(["predict", "--config", recipe, "--ckpt_path", ckpt, *small])
    with open(f"runs/{name}/predictions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["index"]) for r in rows] == list(range(10)) and rows[0]["input"] == "<generated test>:1"
    # test scores what predict writes: the same checkpoint and test clips
    data, metrics = tested.datamodule, tested.trainer.callback_metrics
    truth = data.dataset("test").targets
    if name == "audio_keywords_gru":
        hits = sum(r["label"] == data.label_names[t] for r, t in zip(rows, truth, strict=True))
        assert float(metrics["test/acc"]) == pytest.approx(hits / 10, abs=1e-6)
    else:
        from torchmetrics.text import CharErrorRate

        texts = ["".join(data.vocabulary[i] for i in t.tolist()) for t in truth]
        expected = CharErrorRate()([r["text"] for r in rows], texts)
        assert float(metrics["test/cer"]) == pytest.approx(float(expected), abs=1e-6)


def test_seq2seq_fit_test_predict_n_best_and_heat_maps(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes" / "seq2seq_attention.yaml")
    beam = str(ROOT / "configs" / "seq2seq" / "beam_search.yaml")
    small = ["--data.init_args.generated_size=400", "--data.init_args.batch_size=32", *QUIET]
    run(
        [
            "fit",
            "--config",
            recipe,
            "--config",
            str(ROOT / "configs/seq2seq/scheduled_sampling.yaml"),
            "--trainer.max_epochs=4",
            "--model.init_args.lr_scheduler.init_args.warmup_steps=10",
            *small,
        ]
    )
    ckpt = "runs/seq2seq_attention/checkpoints/last.ckpt"
    tested = run(["test", "--config", recipe, "--config", beam, "--ckpt_path", ckpt, *small])
    assert_drawn(Path(tested.trainer.log_dir) / "attention_0.png", 250, 200)
    run(["predict", "--config", recipe, "--config", beam, "--ckpt_path", ckpt, *small])
    rows = [json.loads(line) for line in Path("runs/seq2seq_attention/predictions.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(40)) and rows[0]["input"] == "<generated test>:1"
    assert all(len(r["n_best"]) == 3 for r in rows)
    assert all(r["n_best"][0]["score"] >= r["n_best"][1]["score"] for r in rows)
    # test scores what predict writes (beam search's best hypothesis), recomputed here from the rows
    metrics = {k.removeprefix("test/"): float(v) for k, v in tested.trainer.callback_metrics.items()}
    expected = generation_scores([r["hypothesis"] for r in rows], tested.datamodule.dataset("test").references,
                                 tested.model.target_joiner)
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, abs=1e-5), name
    assert 0 < metrics["cer"] < 1 and 0 < metrics["token_acc"] < 1  # a model neither untrained nor perfect


def generation_scores(hypotheses, references, joiner):
    """Exact match, token accuracy, CER and WER of predicted texts against reference token lists, recomputed."""
    from torchmetrics.text import CharErrorRate, WordErrorRate

    from lightning_seq.types import join_tokens

    texts = [join_tokens(ref, joiner) for ref in references]
    predicted = [h.split(" ") if joiner == " " else list(h) for h in hypotheses]
    longer = [max(len(p), len(r), 1) for p, r in zip(predicted, references, strict=True)]
    matches = [sum(a == b for a, b in zip(p, r, strict=False)) for p, r in zip(predicted, references, strict=True)]
    return {
        "exact": sum(h == t for h, t in zip(hypotheses, texts, strict=True)) / len(texts),
        "token_acc": sum(matches) / sum(longer),
        "cer": float(CharErrorRate()(hypotheses, texts)),
        "wer": float(WordErrorRate()(hypotheses, texts)),
    }


@pytest.mark.parametrize("variant", sorted(p.name for p in (ROOT / "configs" / "seq2seq").glob("*.yaml")))
def test_every_seq2seq_variant_fits_tests_and_predicts(tmp_path, monkeypatch, variant):
    monkeypatch.chdir(tmp_path)
    configs = [
        "--config",
        str(ROOT / "recipes" / "seq2seq_attention.yaml"),
        "--config",
        str(ROOT / "configs" / "seq2seq" / variant),
    ]
    small = [
        "--data.init_args.generated_size=60",
        "--data.init_args.batch_size=16",
        "--model.init_args.max_length=12",
        *QUIET,
    ]
    run(["fit", *configs, "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", *small])
    ckpt = "runs/seq2seq_attention/checkpoints/last.ckpt"
    tested = run(["test", *configs, "--ckpt_path", ckpt, *small])
    run(["predict", *configs, "--ckpt_path", ckpt, *small])
    rows = [json.loads(r) for r in Path("runs/seq2seq_attention/predictions.jsonl").read_text("utf-8").splitlines()]
    assert [r["index"] for r in rows] == list(range(6))
    # test scores what predict writes (the best hypothesis, beam search included)
    references = tested.datamodule.dataset("test").references
    exact = sum(r["hypothesis"].split() == ref for r, ref in zip(rows, references, strict=True)) / 6
    assert float(tested.trainer.callback_metrics["test/exact"]) == pytest.approx(exact, abs=1e-6)


def test_charlm_fit_test_predict_with_tbptt_and_prompts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes" / "charlm_lstm.yaml")
    small = ["--data.init_args.generated_size=400", "--data.init_args.batch_size=8", *QUIET]
    cli = run(["fit", "--config", recipe, "--trainer.max_epochs=1", "--model.init_args.tbptt_steps=30", *small])
    # every training batch is a 100-step window (the last one shorter): ceil(steps / 30) optimizer steps each
    steps_per_stream = cli.datamodule.tokens_per_stream("train") - 1
    windows = [min(100, steps_per_stream - start) for start in range(0, steps_per_stream, 100)]
    assert cli.trainer.global_step == sum(-(-w // 30) for w in windows)
    ckpt = "runs/charlm_lstm/checkpoints/last.ckpt"
    tested = run(["test", "--config", recipe, "--ckpt_path", ckpt, *small])
    assert float(tested.trainer.callback_metrics["test/ppl"]) < tested.datamodule.unigram_perplexity("test")
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("the cat\nzj\n", encoding="utf-8")
    run(["predict", "--config", recipe, "--ckpt_path", ckpt, f"--data.init_args.predict_path={prompts}", *small])
    rows = [json.loads(line) for line in Path("runs/charlm_lstm/predictions.jsonl").read_text().splitlines()]
    assert [r["input"] for r in rows] == [f"{prompts}:1", f"{prompts}:2"]
    assert rows[0]["prompt"] == "the cat" and rows[0]["hypothesis"].startswith("the cat")
    assert rows[1]["prompt"] == "<unk><unk>"  # characters never seen in training


@pytest.mark.parametrize("name", ["conditional_generation", "image_to_text_lstm"])
def test_conditional_recipes_fit_test_predict(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    recipe = str(ROOT / "recipes" / f"{name}.yaml")
    small = ["--data.init_args.generated_size=100", "--data.init_args.batch_size=16", *QUIET]
    run(["fit", "--config", recipe, "--trainer.max_epochs=1", *small])
    ckpt = f"runs/{name}/checkpoints/last.ckpt"
    tested = run(["test", "--config", recipe, "--ckpt_path", ckpt, *small])
    assert set(tested.trainer.callback_metrics) >= {"test/exact", "test/cer", "test/token_acc"}
    assert (Path(tested.trainer.log_dir) / "attention_0.png").is_file() == (name == "image_to_text_lstm")
    beam = ["--model.init_args.decoding=lightning_seq.tasks.BeamSearch", "--model.init_args.decoding.n_best=2"]
    run(["predict", "--config", recipe, "--ckpt_path", ckpt, *beam, *small])
    rows = [json.loads(line) for line in Path(f"runs/{name}/predictions.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(10)) and rows[0]["input"] == "<generated test>:1"
    assert all(len(r["n_best"]) == 2 for r in rows)


def test_ddp_language_model_reads_per_rank_streams(tmp_path):
    """Under 2-process DDP each rank reads its own half of the streams: half the windows, so half the steps."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    recipe = str(ROOT / "recipes" / "charlm_lstm.yaml")
    ddp = ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp", "--trainer.max_epochs=1"]
    data = ["--data.init_args.generated_size=400", "--data.init_args.batch_size=4"]
    command = [sys.executable, "-m", "lightning_seq", "fit", "--config", recipe, *ddp, *data, *QUIET]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    from lightning_seq.data import TextCorpusDataModule

    tokens = TextCorpusDataModule(generated_size=400).token_ids("train").numel()
    steps = tokens // (4 * 2) - 1  # input steps per stream with 4 streams on each of 2 ranks
    expected = sum(-(-min(100, steps - s) // 50) for s in range(0, steps, 100))
    ckpt = torch.load(tmp_path / "runs/charlm_lstm/checkpoints/last.ckpt", weights_only=True)
    assert ckpt["global_step"] == expected


@pytest.mark.parametrize("mid_epoch", [False, True])
def test_last_checkpoint_holds_the_final_state_not_the_best(tmp_path, monkeypatch, mid_epoch):
    """The recipes keep the latest state in its own checkpoint: after fit, last.ckpt holds the final step (and
    weights) even when the best epoch came earlier; with mid-epoch validation it follows every validation."""
    import yaml

    monkeypatch.chdir(tmp_path)
    recipe = yaml.safe_load(Path(RECIPE).read_text(encoding="utf-8"))
    best = recipe["trainer"]["callbacks"][0]["init_args"]
    best.update(monitor="step", mode="min")  # the best is the first checkpoint, whatever the metrics do
    # no early stopping: with two validations per epoch it may end the run before the third epoch
    callbacks = recipe["trainer"]["callbacks"]
    recipe["trainer"]["callbacks"] = [c for c in callbacks if "EarlyStopping" not in c["class_path"]]
    config = tmp_path / "recipe.yaml"
    config.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    extra = ["--trainer.val_check_interval=0.5"] if mid_epoch else []
    cli = run(["fit", "--config", str(config), "--trainer.max_epochs=3", *SMALL_DATA, *extra, *QUIET])
    folder = tmp_path / "runs/sentiment_bilstm/checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["best.ckpt", "last.ckpt"]
    last = torch.load(folder / "last.ckpt", weights_only=True)
    first = torch.load(folder / "best.ckpt", weights_only=True)
    steps_per_epoch = cli.trainer.num_training_batches
    assert cli.trainer.global_step == 3 * steps_per_epoch
    assert (last["epoch"], last["global_step"]) == (2, cli.trainer.global_step)
    assert first["global_step"] == (steps_per_epoch // 2 if mid_epoch else steps_per_epoch)
    for name, value in cli.model.state_dict().items():
        torch.testing.assert_close(last["state_dict"][name], value, rtol=0, atol=0)


def test_a_100k_word_vocabulary_costs_nothing_to_load_from_a_checkpoint(tmp_path, monkeypatch):
    """Vocabularies travel as checkpoint state, never as hyper-parameters: ``test --ckpt_path`` and
    ``load_from_checkpoint`` with a 100,000-word vocabulary (42,780 words took jsonargparse over ten minutes)."""
    from tests.conftest import write_csv

    monkeypatch.chdir(tmp_path)
    words = [f"w{i}" for i in range(100_000)]
    rows = [(" ".join(words[i : i + 50]), "pos" if (i // 50) % 2 else "neg") for i in range(0, len(words), 50)]
    train, test = write_csv(tmp_path / "train.csv", rows), write_csv(tmp_path / "test.csv", rows[:40])
    data = [f"--data.init_args.train_path={train}", f"--data.init_args.val_path={test}",
            f"--data.init_args.test_path={test}", "--data.init_args.batch_size=20"]
    small = ["--model.init_args.embedding_dim=4", "--model.init_args.encoder.init_args.hidden_size=4",
             "--model.init_args.encoder.init_args.num_layers=1", "--model.init_args.head_hidden_sizes=[4]"]
    fitted = run(["fit", "--config", RECIPE, *data, *small, "--trainer.max_epochs=1",
                  "--trainer.limit_train_batches=2", *QUIET])
    vocabulary = fitted.datamodule.vocabulary
    assert len(vocabulary) == 100_004
    ckpt = tmp_path / "runs/sentiment_bilstm/checkpoints/last.ckpt"
    saved = torch.load(ckpt, weights_only=True)
    assert saved["hyper_parameters"]["vocab_size"] == 100_004
    assert not any(isinstance(v, list | tuple) and len(v) > 10 for v in saved["hyper_parameters"].values())
    tested = run(["test", "--config", RECIPE, *data, *small, "--ckpt_path", str(ckpt), *QUIET])
    assert tested.model.vocabulary == vocabulary and tested.model.label_names == ["neg", "pos"]
    restored = SequenceClassifier.load_from_checkpoint(ckpt, weights_only=True).eval()
    assert restored.vocabulary == vocabulary and restored.label_names == ["neg", "pos"]
    for name, value in fitted.model.state_dict().items():
        torch.testing.assert_close(restored.state_dict()[name], value, rtol=0, atol=0)
    with torch.no_grad():  # test --ckpt_path scored the checkpoint's weights on the test split
        hits = [(restored(b.inputs, b.lengths).argmax(-1) == b.targets).sum().item()
                for b in tested.datamodule.test_dataloader()]
    assert float(tested.trainer.callback_metrics["test/acc"]) == pytest.approx(sum(hits) / 40, abs=1e-6)


def test_a_second_fit_in_the_same_folder_replaces_best_ckpt_so_the_readme_test_command_reads_it(
    tmp_path, monkeypatch
):
    """Lightning would write ``best-v1.ckpt`` beside the first run's ``best.ckpt``; the README's
    ``test --ckpt_path runs/<recipe>/checkpoints/best.ckpt`` would then score the old model without a word."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "runs/sentiment_bilstm/checkpoints"
    fits = []
    for seed in (1, 2):
        cli = run(["fit", "--config", RECIPE, "--trainer.max_epochs=1", f"--seed_everything={seed}", *SMALL_DATA,
                   *QUIET])
        fits.append({name: value.clone() for name, value in cli.model.state_dict().items()})
        assert sorted(p.name for p in folder.iterdir()) == ["best.ckpt", "last.ckpt"]
    best = torch.load(folder / "best.ckpt", weights_only=True)["state_dict"]
    assert all(torch.equal(best[name], value) for name, value in fits[1].items())  # one epoch: best is the last
    assert not all(torch.equal(fits[0][name], value) for name, value in fits[1].items())


@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_recipe_is_ended_by_early_stopping_not_by_its_ceiling_and_sizes_its_decay_in_epochs(recipe):
    """A ceiling of 100 epochs: on data several times the embedded set's, early stopping (patience <= 8) ends the
    run; the learning rate's decay has its own length (``decay_epochs``), so the ceiling does not stretch it."""
    import yaml

    config = yaml.safe_load((ROOT / "recipes" / recipe).read_text(encoding="utf-8"))
    assert config["trainer"]["max_epochs"] >= 100
    stopping = [c["init_args"] for c in config["trainer"]["callbacks"] if c["class_path"].endswith("EarlyStopping")]
    assert len(stopping) == 1 and stopping[0]["patience"] <= 8
    schedule = config["model"]["init_args"]["lr_scheduler"]
    assert schedule["class_path"] == "lightning_seq.optim.WarmupCosineLR"
    assert 1 <= schedule["init_args"]["decay_epochs"] <= 40


@pytest.mark.parametrize("recipe", sorted(p.name for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_recipe_keeps_one_best_and_one_last_checkpoint_that_a_new_fit_replaces(recipe):
    import yaml

    callbacks = yaml.safe_load((ROOT / "recipes" / recipe).read_text(encoding="utf-8"))["trainer"]["callbacks"]
    checkpoints = [c["init_args"] for c in callbacks if c["class_path"].endswith("ModelCheckpoint")]
    saved = {settings["filename"]: settings for settings in checkpoints}
    assert sorted(saved) == ["best", "last"]
    assert all(settings.get("enable_version_counter") is False for settings in saved.values())
    assert saved["best"]["dirpath"] == saved["last"]["dirpath"] == f"runs/{recipe.removesuffix('.yaml')}/checkpoints"
