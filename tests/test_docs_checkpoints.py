"""The documentation's python blocks that load trained checkpoints run, on checkpoints of the recipes they name
trained for two batches (what the blocks do with a model, not how good it is)."""

import re
import shutil

import numpy as np
import soundfile
import torch
from PIL import Image

from lightning_seq.cli import run
from lightning_seq.data.synthetic.numbers import digit_vector
from lightning_seq.types import EOS_ID
from tests.documentation import ROOT
from tests.test_docs import blocks

QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
BRIEF = ["--data.init_args.generated_size=64", "--data.init_args.batch_size=8", "--trainer.max_epochs=1",
         "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=2"]
RUNS = {  # the folder a block loads runs/<folder>/checkpoints/best.ckpt from -> the recipe and its arguments
    "charlm_lstm": ("charlm_lstm", []),
    "conditional_generation": ("conditional_generation", []),
    "sentiment_bilstm": ("sentiment_bilstm", []),
    "ocr_crnn_ctc": ("ocr_crnn_ctc", []),
    "audio_keywords_gru": ("audio_keywords_gru", []),
    "audio_keywords_stream_gru": ("audio_keywords_stream_gru", []),
    # the streaming page's own CTC model: the audio CTC recipe made streamable, as that page says (a one-way encoder,
    # train-set feature statistics instead of each whole clip's)
    "my_ctc": ("audio_ctc_bilstm", ["--model.init_args.encoder.init_args.bidirectional=false",
                                    "--data.init_args.features.init_args.normalization=global"]),
}
CHECKPOINT = re.compile(r"runs/(\w+)/checkpoints/best\.ckpt")


def train_briefly(folder: str) -> None:
    recipe, arguments = RUNS[folder]
    run(["fit", "--config", str(ROOT / "recipes" / f"{recipe}.yaml"), *BRIEF, *arguments, *QUIET])
    if folder != recipe:
        shutil.move(f"runs/{recipe}", f"runs/{folder}")


def inputs_the_blocks_assume() -> dict:
    """The names a block uses without defining them: prompts, conditions, files, a recording, live chunks."""
    rate = 44100
    samples = (0.1 * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate)).astype(np.float32)
    soundfile.write("yes.wav", samples[: rate // 4], rate)
    Image.new("L", (120, 32), 255).save("scan.png")

    def audio_chunks():
        generator = torch.Generator().manual_seed(0)
        for size in (1, 160, 1600, 37, 4000):
            yield 0.05 * torch.randn(size, generator=generator), 0.05 * torch.randn(size, generator=generator)

    def microphone():
        generator = torch.Generator().manual_seed(1)
        for _ in range(25):
            yield 0.05 * torch.randn(320, generator=generator)

    return {
        "__name__": "__docs__",
        "prompts": torch.full((2, 1), EOS_ID),
        "lengths": torch.ones(2, dtype=torch.long),
        "conditions": torch.stack([digit_vector(7), digit_vector(315)]).unsqueeze(1),  # (2, 1, 30)
        "samples": samples,
        "audio_chunks": audio_chunks,
        "microphone": microphone,
    }


def test_every_block_that_loads_a_checkpoint_runs_on_a_briefly_trained_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loading = [(where, code) for where, code in blocks("python") if CHECKPOINT.search(code)]
    named = {folder for _, code in loading for folder in CHECKPOINT.findall(code)}
    assert named == set(RUNS), "a block names a checkpoint this test does not train (add it to RUNS)"
    for folder in sorted(named):
        train_briefly(folder)
        assert (tmp_path / "runs" / folder / "checkpoints" / "best.ckpt").is_file()
    ran = {}
    for where, code in loading:
        namespace = inputs_the_blocks_assume()
        exec(compile(code, where, "exec"), namespace)
        ran[where.split(":")[0]] = namespace
    assert set(ran) == {"docs/generation.md", "docs/serving.md", "docs/streaming.md"}
    generated = ran["docs/generation.md"]["hyps"]
    assert generated.tokens.shape[:2] == (2, 3) and generated.scores.shape == (2, 3)  # two conditions, 3-best
    asr = ran["docs/streaming.md"]["asr"]
    assert all(isinstance(asr.text(stream), str) for stream in (0, 1))
