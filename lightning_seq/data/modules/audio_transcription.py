"""Transcription data: clips with transcripts as frame sequences and character ids, for ``CTCTranscriber``."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from lightning_seq.data.batching.collate import collate_transcriptions
from lightning_seq.data.modules.ctc_lengths import ctc_length_problems
from lightning_seq.data.modules.framed_audio import Clip, FramedAudioDataModule
from lightning_seq.data.synthetic.audio import generate_letter_clips
from lightning_seq.data.text.vocab import SPECIALS, Vocabulary


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
        **kwargs: the arguments every audio module shares (``FramedAudioDataModule``: features, augmentation,
            caching, limits) and batching (``SequenceDataModule``).
    """

    text_column = "transcript"

    def __init__(
        self,
        train_manifest: str | None = None,
        val_manifest: str | None = None,
        test_manifest: str | None = None,
        predict_manifest: str | None = None,
        charset: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manifests={"train": train_manifest, "val": val_manifest, "test": test_manifest,
                       "predict": predict_manifest},
            root=None,
            speech_commands=False,
            download=False,
            **kwargs,
        )
        self.charset = charset
        self.collate_fn = collate_transcriptions
        self.read_clips()

    def generate(self, split: str, size: int, seed: int) -> list[Clip | None]:
        """``size`` clips of tone-letter sequences."""
        return self.generated_clips(split, generate_letter_clips(size, seed, self.sample_rate))

    def build_names(self) -> None:
        """The labels (specials, then the charset) as ``vocabulary`` and ``vocab_size``."""
        text = self.charset if self.charset is not None else "".join(c.target for c in self.records["train"])
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
        unknown = sorted({ch for c in clips for ch in c.target if ch not in self.vocab})
        if unknown:
            raise ValueError(f"{split} transcripts use characters outside the charset: {unknown}")
        return [torch.tensor(self.vocab.encode(list(c.target)), dtype=torch.long) for c in clips]

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
            frames = self.features.num_frames(torch.tensor([self.duration or c.samples for c in clips]))
            problems = ctc_length_problems(dataset.targets, frames.tolist(), [c.where for c in clips], time_reduction)
            if problems:
                raise ValueError(
                    f"{split}: {len(problems)} transcripts too long for their clip under CTC "
                    f"(time_reduction {time_reduction}): " + "; ".join(problems[:5])
                )
