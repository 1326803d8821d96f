"""Transcription data: clips with transcripts as frame sequences and character ids, for ``CTCTranscriber``."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from lightning_seq.data.audio_augment import AudioAugment
from lightning_seq.data.collate import collate_transcriptions
from lightning_seq.data.ctc_lengths import ctc_length_problems
from lightning_seq.data.framed_audio import Clip, FramedAudioDataModule, with_audio_args
from lightning_seq.data.synthetic.audio import generate_letter_clips
from lightning_seq.data.vocab import SPECIALS, Vocabulary
from lightning_seq.nn.audio_features import AudioFeatures


@with_audio_args
class AudioTranscriptionDataModule(FramedAudioDataModule):
    """Audio clips with their transcripts (characters) as sequences of frames.

    Sources: ``train_manifest`` (+ ``val_manifest``, ``test_manifest``), CSV/JSONL with ``path`` and ``transcript``
    columns, paths relative to the manifest; with none, embedded generated clips (sequences of tone letters).

    Args:
        train_manifest: training manifest (CSV or JSONL with ``path`` and ``transcript``).
        val_manifest: validation manifest; None carves ``val_fraction`` of training.
        test_manifest: test manifest.
        predict_manifest: clips to predict: a manifest with a ``path`` column or a ``.txt`` of one audio path per
            line (relative to the file); None predicts the test split.
        charset: transcription characters; None takes those of the training transcripts.
    """

    text_column = "transcript"

    def __init__(
        self,
        train_manifest: str | None = None,
        val_manifest: str | None = None,
        test_manifest: str | None = None,
        predict_manifest: str | None = None,
        header: bool | None = None,
        charset: str | None = None,
        features: AudioFeatures | None = None,
        features_on_device: bool = False,
        cache_features: bool = True,
        duration: float | None = None,
        max_seconds: float | None = 30.0,
        augment: AudioAugment | None = None,
        on_bad_file: Literal["error", "skip"] = "error",
        val_fraction: float = 0.1,
        generated_size: int = 3000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        self.charset = charset
        super().__init__(
            header=header,
            manifests={"train": train_manifest, "val": val_manifest, "test": test_manifest,
                       "predict": predict_manifest},
            root=None,
            speech_commands=False,
            download=False,
            features=features,
            features_on_device=features_on_device,
            cache_features=cache_features,
            duration=duration,
            max_seconds=max_seconds,
            augment=augment,
            on_bad_file=on_bad_file,
            val_fraction=val_fraction,
            generated_size=generated_size,
            batch_size=batch_size,
            bucketing=bucketing,
            pool_batches=pool_batches,
            num_workers=num_workers,
            seed=seed,
        )
        self.collate_fn = collate_transcriptions

    def generate(self, split: str, size: int, seed: int) -> list[Clip | None]:
        """``size`` clips of tone-letter sequences."""
        return self.generated_clips(split, generate_letter_clips(size, seed, self.sample_rate))

    def build_names(self) -> None:
        """The labels (specials, then the charset) as ``vocabulary`` and ``vocab_size``."""
        text = self.charset if self.charset is not None else "".join(c.label for c in self.records["train"])
        chars = sorted(set(text))
        if not chars:
            raise ValueError("transcription needs a non-empty charset")
        self.vocab = Vocabulary(list(SPECIALS) + chars)
        self.vocabulary = list(self.vocab.tokens)
        self.vocab_size = len(self.vocab)

    def targets(self, split: str, clips: list[Clip]) -> list[Tensor]:
        """Character ids of each transcript (none for ``predict``); characters outside the charset are refused."""
        if split == "predict":
            return [torch.zeros(0, dtype=torch.long) for _ in clips]
        unknown = sorted({ch for c in clips for ch in c.label if ch not in self.vocab})
        if unknown:
            raise ValueError(f"{split} transcripts use characters outside the charset: {unknown}")
        return [torch.tensor(self.vocab.encode(list(c.label)), dtype=torch.long) for c in clips]

    def setup(self, stage: str | None = None) -> None:
        """Build the stage's data sets, then check every transcript fits its clip under CTC."""
        super().setup(stage)
        self.check_ctc_lengths()

    def check_ctc_lengths(self, time_reduction: int = 1) -> None:
        """Refuse transcripts too long for their clip's frames under CTC, naming the files."""
        for split, dataset in self.datasets.items():
            if split in ("predict", "train_eval"):
                continue
            clips = self.records[split]
            frames = self.features_module.num_frames(torch.tensor([self.duration or c.samples for c in clips]))
            problems = ctc_length_problems(dataset.targets, frames.tolist(), [c.where for c in clips], time_reduction)
            if problems:
                raise ValueError(
                    f"{split}: {len(problems)} transcripts too long for their clip under CTC "
                    f"(time_reduction {time_reduction}): " + "; ".join(problems[:5])
                )
