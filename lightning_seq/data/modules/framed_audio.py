"""Framed audio: what the keyword and the transcription data modules share.

Clips come from manifests, folders, Speech Commands, or embedded generated clips; each is framed into features
(in the loader, cached, or in the model) and augmented for training.
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

from lightning_seq.data.augment.audio import AudioAugment
from lightning_seq.data.datasets.audio import AudioClipDataset
from lightning_seq.data.modules.base import SequenceDataModule
from lightning_seq.data.preprocessing.inputs import audio_inputs_spec
from lightning_seq.data.readers.audio import audio_info, load_audio, resampled_length
from lightning_seq.data.readers.files import resolve_inside
from lightning_seq.data.readers.text import read_text_records
from lightning_seq.data.synthetic.audio import KEYWORDS
from lightning_seq.nn.audio_features import AudioFeatures

log = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class Clip(NamedTuple):
    """One clip: its file path (or generated waveform), target, where it was listed and its samples.

    The target is what a model learns from the clip: a keyword label or a transcript.
    """

    source: Path | Tensor
    target: str
    where: str
    samples: int


class FramedAudioDataModule(SequenceDataModule):
    """What the keyword and the transcription modules share: reading clips, framing, augmentation, caching.

    Build ``AudioKeywordsDataModule`` (labels, for ``SequenceClassifier``) or ``AudioTranscriptionDataModule``
    (transcripts, for ``CTCTranscriber``). A subclass says what a clip's text is (``text_column``, ``targets``) and
    generates its embedded clips (``generate``). Subclasses pass ``manifests``, ``root``, ``speech_commands`` and
    ``download`` themselves and forward the rest of their keyword arguments here (``**kwargs``), so each option
    is written, defaulted and described once; jsonargparse follows the forwarding, so ``--help`` and
    ``--print_config`` of either module list them all.

    Args:
        manifests: the subclass's manifest per split (``train``, ``val``, ``test``, ``predict``; None: absent).
        root: folder of a folder-per-label layout or of Speech Commands (keywords only; None otherwise).
        speech_commands: read ``torchaudio.datasets.SPEECHCOMMANDS`` from ``root`` (keywords only).
        download: let Speech Commands download its archive (keywords only).
        header: whether CSV/TSV manifests start with a header line; None detects it (a header names both columns).
            Headerless manifests hold the path in field 0 and the text in field 1.
        features: framing and features (default log-mel); its ``sample_rate`` is the rate every clip is resampled to.
        features_on_device: compute features inside the model (batched, on its accelerator): the loader yields
            waveforms and the model receives the feature settings through the linked ``input_features``.
        cache_features: compute loader-side features once in ``setup`` (batched) and keep them in memory, for
            every split whose clips are not waveform-augmented (all but an augmented training split); training
            SpecAugment is still drawn per access. Costs ``T × F`` floats per clip (Speech Commands at 40 log-mels:
            about 1.6 GB); False computes them per access, every epoch.
        duration: pad/crop every clip to this many seconds; None keeps lengths (padded per batch).
        max_seconds: clips longer than this are reported as an error (None: no limit).
        augment: training-only waveform augmentation (``AudioAugment``: speed, time shift, noise on a share of
            clips), or None. Validation and test clips are never augmented.
        on_bad_file: ``error`` stops at an unreadable, corrupt or empty file; ``skip`` drops it and logs the count.
        val_fraction: share of training clips held out when there is no validation split.
        generated_size: training clips of the embedded data (val and test get a tenth each).
    """

    text_column: str
    """The manifest column that holds each clip's label or transcript."""

    def __init__(
        self,
        *,
        manifests: dict[str, str | None],
        root: str | None,
        speech_commands: bool,
        download: bool,
        header: bool | None = None,
        features: AudioFeatures | None = None,
        features_on_device: bool = False,
        cache_features: bool = True,
        duration: float | None = None,
        max_seconds: float | None = 30.0,
        augment: AudioAugment | None = None,
        on_bad_file: Literal["error", "skip"] = "error",
        val_fraction: float = 0.1,
        generated_size: int = 3000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # batching and the seed: SequenceDataModule's arguments
        if on_bad_file not in ("error", "skip"):
            raise ValueError(f"on_bad_file must be 'error' or 'skip', got {on_bad_file!r}")
        if duration is not None and duration <= 0:
            raise ValueError(f"duration must be > 0 seconds, got {duration!r}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be > 0, got {max_seconds!r}")
        if speech_commands and root is None:
            raise ValueError("speech_commands needs root, the folder that holds (or will hold) SpeechCommands/")
        self.root = root
        self.paths.update(manifests)
        self.header = header
        self.speech_commands = speech_commands
        self.download = download
        self.features = features if features is not None else AudioFeatures("logmel", 16000)
        self.sample_rate = self.features.sample_rate
        self.features_on_device = features_on_device
        self.cache_features = cache_features
        self.duration = round(duration * self.sample_rate) if duration is not None else None
        self.max_seconds = max_seconds
        self.augment = (
            augment.transform(self.sample_rate, self.seed) if augment is not None and augment.active else None
        )
        self.on_bad_file = on_bad_file
        self.skipped: list[str] = []
        self.generated_size, self.val_fraction = generated_size, val_fraction  # read by read_clips()

    def read_clips(self) -> None:
        """Read (or generate) every split's clips, check them, name their targets and size the features.

        A subclass calls this last in its ``__init__``, once its own settings are set, as every data module calls
        ``load_splits`` last: no base constructor calls a method a subclass overrides (``generate``,
        ``read_sources``, ``build_names``).
        """
        self.load_splits(generated_size=self.generated_size, val_fraction=self.val_fraction, minimum=len(KEYWORDS))
        self.records = {split: self._checked(split, clips) for split, clips in self.records.items()}
        self.build_names()
        if self.features.normalization == "global":
            self._fit_statistics()
        self.feature_size = self.features.feature_size
        if self.features_on_device:
            self.input_features = self.features.config()

    def build_names(self) -> None:
        """Set the linked sizes and names of the training clips' labels or transcripts (after reading)."""
        raise NotImplementedError

    def targets(self, split: str, clips: list[Clip]) -> list[Any]:
        """The training targets of ``split``'s clips (class ids or transcript ids), refusing unknown ones."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------------------------- reading
    def _clip(self, source: Path | Tensor, target: str, where: str) -> Clip | None:
        if isinstance(source, Tensor):
            return Clip(source, target, where, source.numel())
        try:
            frames, rate = audio_info(source)
        except (ValueError, FileNotFoundError) as err:
            if self.on_bad_file == "error":
                raise
            self.skipped.append(f"{where}: {err}")
            return None
        return Clip(source, target, where, resampled_length(frames, rate, self.sample_rate))

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

    def generates(self) -> bool:
        """Generated clips when no manifest, Speech Commands or root is given."""
        return self.paths["train"] is None and not self.speech_commands and self.root is None

    def read_sources(self) -> dict[str, list[Clip | None]]:
        """Manifests (train, and val / test when given), else Speech Commands, else the folders under ``root``."""
        if self.paths["train"] is not None:
            return {split: self.read(split) for split in ("train", "val", "test") if self.paths[split] is not None}
        if self.speech_commands:
            return self._read_speech_commands()
        return self._read_folders(Path(str(self.root)))

    def generated_clips(self, split: str, pairs: list[tuple[Tensor, str]]) -> list[Clip | None]:
        """Generated ``(waveform, text)`` pairs as the clips of ``split``."""
        return [self._clip(w, text, f"<generated {split}>:{i + 1}") for i, (w, text) in enumerate(pairs)]

    def read(self, split: str) -> list[Clip | None]:
        """The clips of ``split``'s manifest (``path`` and ``text_column``, paths relative to the manifest).

        For ``predict`` the text column is not read: a manifest may be a ``.txt`` of one audio path per line.
        """
        manifest = str(self.paths[split])
        labels = self.text_column if split != "predict" else None
        records = read_text_records(manifest, "path", labels, header=self.header, split=split)
        folder = Path(manifest).parent
        clips = []
        for record in records:
            path = resolve_inside(folder, record.text, record.where)
            if not path.exists():
                raise FileNotFoundError(f"{record.where}: audio file not found: {path}")
            clips.append(self._clip(path, record.target or "", record.where))
        return self._checked(split, clips) if split == "predict" else clips  # the others are checked at init

    def _label_folders(self, folder: Path) -> list[tuple[Path, str]]:
        if not folder.is_dir():
            raise FileNotFoundError(f"audio folder not found: {folder}")
        found = []
        # Speech Commands' long noise recordings are no clips (AudioKeywordsDataModule cuts them with background_class)
        for label_dir in sorted(d for d in folder.iterdir() if d.is_dir() and d.name != "_background_noise_"):
            found += [(f, label_dir.name) for f in sorted(label_dir.iterdir()) if f.suffix.lower() in AUDIO_SUFFIXES]
        if not found:
            raise ValueError(f"{folder}: no audio files in <label>/ folders (suffixes {list(AUDIO_SUFFIXES)})")
        return found

    def _read_folders(self, root: Path) -> dict[str, list[Clip | None]]:
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
        module = copy.deepcopy(self.features).eval()
        module.normalization = "none"
        for clip in self.records["train"]:
            wave = clip.source if isinstance(clip.source, Tensor) else load_audio(clip.source, self.sample_rate)
            with torch.no_grad():
                feats, _ = module(wave.unsqueeze(0), torch.tensor([wave.numel()]))
            feats = feats[0].double()
            total = feats.sum(0) if total is None else total + feats.sum(0)
            square = feats.square().sum(0) if square is None else square + feats.square().sum(0)
            count += feats.size(0)
        mean = total / count
        std = (square / count - mean.square()).clamp(min=0).sqrt()
        self.features.set_statistics(mean.float(), std.float())

    def inference_inputs(self) -> dict[str, Any]:
        """The sample rate, feature settings and train-set statistics, where features are computed, ``duration``."""
        return audio_inputs_spec(self.features, self.features_on_device, self.duration)

    def to_dataset(self, split: str, clips: list[Clip]) -> AudioClipDataset:
        """Clips with their targets; waveform augmentation and SpecAugment on the training split only."""
        return self._clip_dataset(split, clips, train=split == "train")

    def _clip_dataset(self, split: str, clips: list[Clip], train: bool) -> AudioClipDataset:
        features = None
        if not self.features_on_device:
            features = copy.deepcopy(self.features).train(train)
        augment = self.augment if train else None
        dataset = AudioClipDataset(
            [c.source for c in clips],
            self.targets(split, clips),
            lengths_in_samples=[self.duration or c.samples for c in clips],
            features=features,
            duration=self.duration,
            augment=augment,
            sample_rate=self.sample_rate,
        )
        if self.cache_features and features is not None and augment is None:
            held = dataset.precompute()
            log.info("%s: %d clips' features computed once and cached (%.1f MB)", split, len(clips), held / 1e6)
        return dataset

    def train_eval_dataloader(self) -> DataLoader:
        """The training clips as evaluation sees them: no waveform augmentation, no SpecAugment, length-sorted.

        ``trainer.validate(model, dataloaders=dm.train_eval_dataloader())`` scores a fitted model on its own training
        data: an accuracy far below what training reached means the training inputs differ from the evaluation
        inputs (augmentation, normalisation or features), not overfitting. With loader-side cached features it holds
        its own cache of the training clips (built on the first call).
        """
        if "train_eval" not in self.datasets:
            self.datasets["train_eval"] = self._clip_dataset("train", self.records["train"], train=False)
        return self._loader("train_eval")

    def source_hint(self, split: str) -> str:
        """Audio splits come from manifests (or lists and folders under ``root``)."""
        return f"--data.{split}_manifest (or a {split} list or folder under root)"

    def record_id(self, record: Clip) -> str:
        """A clip's audio path (``<generated split>:row`` for generated clips)."""
        return record.where if isinstance(record.source, Tensor) else str(record.source)
