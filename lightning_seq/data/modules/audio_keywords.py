"""Keyword spotting data: labelled clips as frame sequences for ``SequenceClassifier``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning_seq.data.modules.framed_audio import AUDIO_SUFFIXES, Clip, FramedAudioDataModule
from lightning_seq.data.modules.records import sort_label_names
from lightning_seq.data.readers.audio import load_audio
from lightning_seq.data.synthetic.audio import KEYWORD_SPEAKERS, generate_keyword_clips
from lightning_seq.data.synthetic.keyword_stream import BACKGROUND, generate_stream_keyword_clips


class AudioKeywordsDataModule(FramedAudioDataModule):
    """Labelled audio clips (spoken keywords, sound classes) as sequences of frames.

    Sources, in order of precedence:

    * ``train_manifest`` (+ ``val_manifest``, ``test_manifest``): CSV/JSONL with ``path`` and ``label`` columns,
      paths relative to the manifest;
    * ``speech_commands=True``: ``torchaudio.datasets.SPEECHCOMMANDS`` under ``root`` (``download`` fetches it);
    * ``root``: ``<root>/<label>/*.wav`` with optional ``validation_list.txt`` / ``testing_list.txt`` (Speech
      Commands layout), or ``<root>/train|val|test/<label>/``;
    * nothing: embedded generated clips (ten vowel keywords spoken by 24 training voices, with val and test each
      spoken by 8 voices never heard in training); with ``background_class`` the clips of a streaming spotter
      instead (``lightning_seq.data.synthetic.keyword_stream``: each ends on a keyword or on background, after up to
      1.2 s of background, and an eleventh class ``_background_`` holds noise, words that are no keyword and
      keywords cut short).

    Args:
        root: folder of a folder-per-label layout, or of Speech Commands.
        train_manifest: training manifest (CSV or JSONL with ``path`` and ``label``).
        val_manifest: validation manifest; None carves ``val_fraction`` of training.
        test_manifest: test manifest.
        predict_manifest: clips to predict: a manifest with a ``path`` column or a ``.txt`` of one audio path per
            line (relative to the file); None predicts the test split.
        speech_commands: read ``torchaudio.datasets.SPEECHCOMMANDS`` from ``root``.
        download: let Speech Commands download its archive.
        background_class: a "no keyword" class, ``_background_``, as a streaming spotter needs. Embedded data: the
            streaming clips described above. Folders and Speech Commands: the long noise recordings of
            ``_background_noise_`` are cut into pieces of ``duration`` (else 1 s) labelled ``_background_``, pieces
            8 and 9 of every 10 going to val and test; a ``_background_`` folder or label is read as is. Name the
            class to ``lightning-seq-stream --background`` if yours is called otherwise.
        keywords: the labels to spot; every other label becomes ``_background_`` (Speech Commands: the usual ten
            words, the other 25 as background). None keeps every label. Needs ``background_class``.
        **kwargs: the arguments every audio module shares (``FramedAudioDataModule``: features, augmentation,
            caching, limits) and batching (``SequenceDataModule``).
    """

    text_column = "label"

    def __init__(
        self,
        root: str | None = None,
        train_manifest: str | None = None,
        val_manifest: str | None = None,
        test_manifest: str | None = None,
        predict_manifest: str | None = None,
        speech_commands: bool = False,
        download: bool = False,
        background_class: bool = False,
        keywords: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if keywords is not None and not background_class:
            raise ValueError("keywords needs background_class: the labels that are not keywords become its class")
        if keywords is not None and (not keywords or BACKGROUND in keywords):
            raise ValueError(f"keywords must name at least one label other than {BACKGROUND!r}, got {keywords!r}")
        super().__init__(
            manifests={"train": train_manifest, "val": val_manifest, "test": test_manifest,
                       "predict": predict_manifest},
            root=root,
            speech_commands=speech_commands,
            download=download,
            **kwargs,
        )
        self.background_class = background_class
        self.keywords = None if keywords is None else list(keywords)
        self.read_clips()

    def generate(self, split: str, size: int, seed: int) -> list[Clip | None]:
        """``size`` keyword clips of ``split``'s voices (val and test voices are never heard in training)."""
        speakers = KEYWORD_SPEAKERS[split]
        if self.background_class:
            pairs = generate_stream_keyword_clips(size, seed, self.sample_rate, speakers)
        else:
            pairs = generate_keyword_clips(size, seed, self.sample_rate, speakers)
        return self._only_keywords({split: self.generated_clips(split, pairs)})[split]

    def read_sources(self) -> dict[str, list[Clip | None]]:
        """The given sources; with ``background_class`` also the noise pieces, and only ``keywords`` kept as labels."""
        splits = super().read_sources()
        if not self.background_class:
            return splits
        for split, pieces in self._noise_pieces().items():
            splits["train" if split not in splits else split].extend(pieces)  # no val source: carved from train
        return self._only_keywords(splits)

    def _only_keywords(self, splits: dict[str, list[Clip | None]]) -> dict[str, list[Clip | None]]:
        """Labels outside ``keywords`` renamed ``_background_`` (all kept when ``keywords`` is None)."""
        if self.keywords is None:
            return splits
        found = {c.target for clips in splits.values() for c in clips if c is not None}
        missing = sorted(set(self.keywords) - found)
        if missing:
            raise ValueError(f"keywords {missing} are not labels of the data; its labels: {sorted(found)}")
        return {split: [c if c is None or c.target in self.keywords else c._replace(target=BACKGROUND) for c in clips]
                for split, clips in splits.items()}

    def _noise_pieces(self) -> dict[str, list[Clip | None]]:
        """Speech Commands' ``_background_noise_`` recordings cut into labelled pieces, by split (none: empty)."""
        if self.root is None:
            return {}
        root = Path(self.root)
        folders = [root / "_background_noise_", *sorted(root.glob("SpeechCommands/*/_background_noise_"))]
        files = [f for folder in folders if folder.is_dir() for f in sorted(folder.iterdir())
                 if f.suffix.lower() in AUDIO_SUFFIXES]
        size = self.duration or self.sample_rate  # samples per piece: duration, else 1 s
        pieces: dict[str, list[Clip | None]] = {"train": [], "val": [], "test": []}
        for path in files:
            wave = load_audio(path, self.sample_rate)
            for k in range(wave.numel() // size):
                split = {8: "val", 9: "test"}.get(k % 10, "train")
                pieces[split].append(self._clip(wave[k * size : (k + 1) * size].clone(), BACKGROUND,
                                                f"{path} at {k * size / self.sample_rate:g} s"))
        return pieces

    def build_names(self) -> None:
        """``label_names`` and ``num_classes`` from the training labels (at least two)."""
        self.label_names = sort_label_names({c.target for c in self.records["train"]})
        if len(self.label_names) < 2:
            raise ValueError(f"training data has a single label {self.label_names}: need at least two")
        self.num_classes = len(self.label_names)

    def targets(self, split: str, clips: list[Clip]) -> list[int]:
        """Class ids (-1 for the unlabelled ``predict`` clips); a label not seen in training is refused."""
        if split == "predict":
            return [-1] * len(clips)
        index = {name: i for i, name in enumerate(self.label_names)}
        unseen = sorted({c.target for c in clips} - set(index))
        if unseen:
            raise ValueError(f"{split} labels not seen in training: {unseen}; known: {self.label_names}")
        return [index[c.target] for c in clips]
