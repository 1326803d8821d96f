"""Framed audio for keyword classification or CTC transcription.

Clips come from folders, manifests, Speech Commands, or embedded generated clips.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from torch import Tensor
from torch.utils.data import DataLoader
from torchaudio.datasets import SPEECHCOMMANDS

from lightning_seq.data.audio import audio_info, load_audio, resampled_length
from lightning_seq.data.audio_datasets import AudioClipDataset, WaveformAugment
from lightning_seq.data.base import SequenceDataModule
from lightning_seq.data.collate import collate_transcriptions
from lightning_seq.data.ctc_lengths import ctc_length_problems
from lightning_seq.data.labels import sort_label_names
from lightning_seq.data.paths import resolve_inside
from lightning_seq.data.sources import read_text_records
from lightning_seq.data.splits import carve_validation, generated_splits
from lightning_seq.data.synthetic_audio import (
    KEYWORD_SPEAKERS,
    KEYWORDS,
    generate_keyword_clips,
    generate_letter_clips,
)
from lightning_seq.data.vocab import SPECIALS, Vocabulary
from lightning_seq.nn.audio_features import AudioFeatures

log = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class Clip(NamedTuple):
    """One clip: file path (or generated waveform), its label or transcript, where it was listed, its samples."""

    source: Path | Tensor
    label: str
    where: str
    samples: int


class FramedAudioDataModule(SequenceDataModule):
    """Audio clips as sequences of frames, for ``SequenceClassifier`` (keywords) or ``CTCTranscriber``.

    Sources, in order of precedence:

    * ``train_manifest`` (+ ``val_manifest``, ``test_manifest``): CSV/JSONL with ``path`` and ``label`` (or
      ``transcript`` for transcription), paths relative to the manifest;
    * ``speech_commands=True``: ``torchaudio.datasets.SPEECHCOMMANDS`` under ``root`` (``download`` fetches it);
    * ``root``: ``<root>/<label>/*.wav`` with optional ``validation_list.txt`` / ``testing_list.txt`` (Speech
      Commands layout), or ``<root>/train|val|test/<label>/``;
    * nothing: embedded generated clips (vowel keywords spoken by 24 training voices, with val and test each
      spoken by 8 voices never heard in training; or tone-letter sequences for transcription).

    Args:
        root: folder of a folder-per-label layout, or of Speech Commands.
        train_manifest: training manifest (CSV or JSONL).
        val_manifest: validation manifest; None carves ``val_fraction`` of training.
        test_manifest: test manifest.
        speech_commands: read ``torchaudio.datasets.SPEECHCOMMANDS`` from ``root``.
        download: let Speech Commands download its archive.
        task: ``classification`` (labels) or ``transcription`` (transcripts, for CTC).
        features: framing and features (default log-mel); its ``sample_rate`` is the rate every clip is resampled to.
        features_on_device: compute features inside the model (batched, on its accelerator): the loader yields
            waveforms and the model receives the feature settings through the linked ``input_features``.
        cache_features: compute loader-side features once in ``setup`` (batched) and keep them in memory, for
            every split whose clips are not waveform-augmented (all but an augmented training split); training
            SpecAugment is still drawn per access. Costs ``T × F`` floats per clip (Speech Commands at 40 log-mels:
            about 1.6 GB); False computes them per access, every epoch.
        duration: pad/crop every clip to this many seconds; None keeps lengths (padded per batch).
        max_seconds: clips longer than this are reported as an error (None: no limit).
        time_shift: training augmentation: largest random shift in seconds.
        noise_snr_db: training augmentation: ``[low, high]`` SNR range of added white noise, or None.
        noise_fraction: share of training clips that get noise (the rest keep their own background: noise on
            every clip hides the clean clips evaluation is made of, and real unseen-speaker accuracy fell to 0.52).
        speed: training augmentation: ``[low, high]`` range of speed factors (tempo and pitch together), or None.
        on_bad_file: ``error`` stops at an unreadable, corrupt or empty file; ``skip`` drops it and logs the count.
        charset: transcription characters; None takes those of the training transcripts.
        val_fraction: share of training clips held out when there is no validation split.
        generated_size: training clips of the embedded data (val and test get a tenth each).
        batch_size: samples per batch (per rank under DDP).
        bucketing: group clips of similar length into batches.
        pool_batches: steps per sorting pool when bucketing.
        num_workers: DataLoader worker processes.
        seed: seed of the generated clips, the val split, augmentation and shuffling.
    """

    def __init__(
        self,
        root: str | None = None,
        train_manifest: str | None = None,
        val_manifest: str | None = None,
        test_manifest: str | None = None,
        speech_commands: bool = False,
        download: bool = False,
        task: Literal["classification", "transcription"] = "classification",
        features: AudioFeatures | None = None,
        features_on_device: bool = False,
        cache_features: bool = True,
        duration: float | None = None,
        max_seconds: float | None = 30.0,
        time_shift: float = 0.0,
        noise_snr_db: tuple[float, float] | None = None,
        noise_fraction: float = 0.5,
        speed: tuple[float, float] | None = None,
        on_bad_file: Literal["error", "skip"] = "error",
        charset: str | None = None,
        val_fraction: float = 0.1,
        generated_size: int = 3000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size, bucketing, pool_batches, num_workers, seed)
        if task not in ("classification", "transcription"):
            raise ValueError(f"task must be 'classification' or 'transcription', got {task!r}")
        if on_bad_file not in ("error", "skip"):
            raise ValueError(f"on_bad_file must be 'error' or 'skip', got {on_bad_file!r}")
        if duration is not None and duration <= 0:
            raise ValueError(f"duration must be > 0 seconds, got {duration!r}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be > 0, got {max_seconds!r}")
        if speech_commands and root is None:
            raise ValueError("speech_commands needs root, the folder that holds (or will hold) SpeechCommands/")
        if generated_size < 10:
            raise ValueError(f"generated_size must be >= 10, got {generated_size!r}")
        self.root = root
        self.manifests = {"train": train_manifest, "val": val_manifest, "test": test_manifest}
        self.speech_commands = speech_commands
        self.download = download
        self.task = task
        self.features_module = features if features is not None else AudioFeatures("logmel", 16000)
        self.sample_rate = self.features_module.sample_rate
        self.features_on_device = features_on_device
        self.cache_features = cache_features
        self.duration = round(duration * self.sample_rate) if duration is not None else None
        self.max_seconds = max_seconds
        self.augment = WaveformAugment(
            round(time_shift * self.sample_rate), noise_snr_db, noise_fraction=noise_fraction, speed=speed, seed=seed
        )
        self.on_bad_file = on_bad_file
        self.val_fraction = val_fraction
        self.generated_size = generated_size
        self.skipped: list[str] = []
        self.clips = self._read_clips()
        if task == "classification":
            self.label_names = sort_label_names({c.label for c in self.clips["train"]})
            if len(self.label_names) < 2:
                raise ValueError(f"training data has a single label {self.label_names}: need at least two")
            self.num_classes = len(self.label_names)
        else:
            chars = sorted(set(charset if charset is not None else "".join(c.label for c in self.clips["train"])))
            if not chars:
                raise ValueError("transcription needs a non-empty charset")
            self.vocab = Vocabulary(list(SPECIALS) + chars)
            self.vocabulary = list(self.vocab.tokens)
            self.vocab_size = len(self.vocab)
            self.collate_fn = collate_transcriptions
        if self.features_module.normalization == "global":
            self._fit_statistics()
        self.feature_size = self.features_module.feature_size
        if features_on_device:
            self.input_features = self.features_module.config()

    # ----------------------------------------------------------------------------------------------- reading
    def _clip(self, source: Path | Tensor, label: str, where: str) -> Clip | None:
        if isinstance(source, Tensor):
            return Clip(source, label, where, source.numel())
        try:
            frames, rate = audio_info(source)
        except (ValueError, FileNotFoundError) as err:
            if self.on_bad_file == "error":
                raise
            self.skipped.append(f"{where}: {err}")
            return None
        return Clip(source, label, where, resampled_length(frames, rate, self.sample_rate))

    def _checked(self, split: str, clips: list[Clip | None]) -> list[Clip]:
        kept = [c for c in clips if c is not None]
        if len(kept) < len(clips):
            log.warning(
                "%s: skipped %d unreadable or empty audio files (on_bad_file=skip), first: %s",
                split,
                len(clips) - len(kept),
                self.skipped[0],
            )
        if self.max_seconds is not None and self.duration is None:
            too_long = [
                f"{c.where} ({c.samples / self.sample_rate:.1f} s)"
                for c in kept
                if c.samples > self.max_seconds * self.sample_rate
            ]
            if too_long:
                raise ValueError(
                    f"{split}: {len(too_long)} clips longer than max_seconds={self.max_seconds}: "
                    + ", ".join(too_long[:5])
                    + " (raise max_seconds or set duration to crop)"
                )
        if not kept:
            raise ValueError(f"{split}: no usable clips")
        return kept

    def _read_clips(self) -> dict[str, list[Clip]]:
        if self.manifests["train"] is not None:
            splits = {s: self._read_manifest(m) for s, m in self.manifests.items() if m is not None}
        elif self.speech_commands:
            splits = self._read_speech_commands()
        elif self.root is not None:
            splits = self._read_folders(Path(self.root))
        else:
            splits = self._generate()
        if "val" not in splits:
            splits["train"], splits["val"] = carve_validation(splits["train"], self.val_fraction, self.seed)
        return {split: self._checked(split, clips) for split, clips in splits.items()}

    def _generate(self) -> dict[str, list[Clip | None]]:
        splits = {}
        for split, size, seed in generated_splits(self.generated_size, self.seed, minimum=len(KEYWORDS)):
            if self.task == "classification":
                pairs = generate_keyword_clips(size, seed, self.sample_rate, KEYWORD_SPEAKERS[split])
            else:
                pairs = generate_letter_clips(size, seed, self.sample_rate)
            splits[split] = [self._clip(w, lab, f"<generated {split}>:{i + 1}") for i, (w, lab) in enumerate(pairs)]
        return splits

    def _read_manifest(self, manifest: str) -> list[Clip | None]:
        column = "label" if self.task == "classification" else "transcript"
        records = read_text_records(manifest, text_column="path", label_column=column)
        folder = Path(manifest).parent
        clips = []
        for record in records:
            path = resolve_inside(folder, record.text, record.where)
            if not path.exists():
                raise FileNotFoundError(f"{record.where}: audio file not found: {path}")
            clips.append(self._clip(path, record.label, record.where))
        return clips

    def _label_folders(self, folder: Path) -> list[tuple[Path, str]]:
        if not folder.is_dir():
            raise FileNotFoundError(f"audio folder not found: {folder}")
        found = []
        for label_dir in sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("_")):
            found += [(f, label_dir.name) for f in sorted(label_dir.iterdir()) if f.suffix.lower() in AUDIO_SUFFIXES]
        if not found:
            raise ValueError(f"{folder}: no audio files in <label>/ folders (suffixes {list(AUDIO_SUFFIXES)})")
        return found

    def _read_folders(self, root: Path) -> dict[str, list[Clip | None]]:
        if self.task != "classification":
            raise ValueError("folder-per-label layouts hold labels: use manifests with a transcript for transcription")
        if (root / "train").is_dir():
            return {
                split: [self._clip(p, lab, str(p)) for p, lab in self._label_folders(root / split)]
                for split in ("train", "val", "test")
                if (root / split).is_dir()
            }
        listed = {}
        for split, name in (("val", "validation_list.txt"), ("test", "testing_list.txt")):
            if (root / name).is_file():
                lines = (root / name).read_text(encoding="utf-8").split()
                listed[split] = {str(resolve_inside(root, line, f"{root / name}")) for line in lines}
        splits: dict[str, list[Clip | None]] = {"train": [], **{s: [] for s in listed}}
        for path, label in self._label_folders(root):
            split = next((s for s, members in listed.items() if str(path.resolve()) in members), "train")
            splits[split].append(self._clip(path, label, str(path)))
        return splits

    def _read_speech_commands(self) -> dict[str, list[Clip | None]]:
        splits = {}
        for split, subset in (("train", "training"), ("val", "validation"), ("test", "testing")):
            data = SPEECHCOMMANDS(self.root, download=self.download, subset=subset)
            archive = Path(self.root) / "SpeechCommands"
            rows = [data.get_metadata(n) for n in range(len(data))]
            splits[split] = [self._clip(archive / rel, label, str(archive / rel)) for rel, _, label, _, _ in rows]
        return splits

    # ----------------------------------------------------------------------------------------------- features
    def _fit_statistics(self) -> None:
        """Train-set mean and std of every feature, computed once (stored in the checkpoint with the model)."""
        total, square, count = None, None, 0
        module = copy.deepcopy(self.features_module).eval()
        module.normalization = "none"
        for clip in self.clips["train"]:
            wave = clip.source if isinstance(clip.source, Tensor) else load_audio(clip.source, self.sample_rate)
            with torch.no_grad():
                feats, _ = module(wave.unsqueeze(0), torch.tensor([wave.numel()]))
            feats = feats[0].double()
            total = feats.sum(0) if total is None else total + feats.sum(0)
            square = feats.square().sum(0) if square is None else square + feats.square().sum(0)
            count += feats.size(0)
        mean = total / count
        std = (square / count - mean.square()).clamp(min=0).sqrt()
        self.features_module.set_statistics(mean.float(), std.float())

    def _targets(self, split: str, clips: list[Clip]) -> list[Any]:
        if self.task == "classification":
            index = {name: i for i, name in enumerate(self.label_names)}
            unseen = sorted({c.label for c in clips} - set(index))
            if unseen:
                raise ValueError(f"{split} labels not seen in training: {unseen}; known: {self.label_names}")
            return [index[c.label] for c in clips]
        unknown = sorted({ch for c in clips for ch in c.label if ch not in self.vocab})
        if unknown:
            raise ValueError(f"{split} transcripts use characters outside the charset: {unknown}")
        return [torch.tensor(self.vocab.encode(list(c.label)), dtype=torch.long) for c in clips]

    def _split_dataset(self, split: str, train: bool) -> AudioClipDataset:
        if split not in self.clips:
            raise ValueError(f"no {split} split: give a {split} manifest, list or folder")
        features = None
        if not self.features_on_device:
            features = copy.deepcopy(self.features_module).train(train)
        clips = self.clips[split]
        augment = self.augment if train and self.augment.active else None
        dataset = AudioClipDataset(
            [c.source for c in clips],
            self._targets(split, clips),
            [self.duration or c.samples for c in clips],
            features,
            self.duration,
            augment,
            self.sample_rate,
        )
        if self.cache_features and features is not None and augment is None:
            held = dataset.precompute()
            log.info("%s: %d clips' features computed once and cached (%.1f MB)", split, len(clips), held / 1e6)
        return dataset

    def setup(self, stage: str | None = None) -> None:
        """Wrap the splits the stage needs; augmentation and SpecAugment apply to the training split only."""
        wanted = {"fit": ["train", "val"], "validate": ["val"], "test": ["test"], "predict": ["test"]}
        for split in wanted.get(stage or "fit", ["train", "val"]):
            if split not in self.datasets:
                self.datasets[split] = self._split_dataset(split, train=split == "train")
        if stage == "predict":
            self.datasets["predict"] = self.datasets["test"]
        self.check_ctc_lengths()

    def train_eval_dataloader(self) -> DataLoader:
        """The training clips as evaluation sees them: no waveform augmentation, no SpecAugment, length-sorted.

        ``trainer.validate(model, dataloaders=dm.train_eval_dataloader())`` scores a fitted model on its own training
        data: an accuracy far below what training reached means the training inputs differ from the evaluation
        inputs (augmentation, normalisation or features), not overfitting. With loader-side cached features it holds
        its own cache of the training clips (built on the first call).
        """
        if "train_eval" not in self.datasets:
            self.datasets["train_eval"] = self._split_dataset("train", train=False)
        return self._loader("train_eval")

    def check_ctc_lengths(self, time_reduction: int = 1) -> None:
        """Refuse transcripts too long for their clip's frames under CTC, naming the files."""
        if self.task != "transcription":
            return
        for split, dataset in self.datasets.items():
            if split in ("predict", "train_eval"):
                continue
            frames = self.features_module.num_frames(
                torch.tensor([self.duration or c.samples for c in self.clips[split]])
            ).tolist()
            problems = ctc_length_problems(
                dataset.targets, frames, [c.where for c in self.clips[split]], time_reduction
            )
            if problems:
                raise ValueError(
                    f"{split}: {len(problems)} transcripts too long for their clip under CTC "
                    f"(time_reduction {time_reduction}): " + "; ".join(problems[:5])
                )

    def prediction_ids(self) -> list[str]:
        """The audio path of each prediction input (``<generated test>:row`` for generated clips)."""
        return [c.where if isinstance(c.source, Tensor) else str(c.source) for c in self.clips["test"]]
