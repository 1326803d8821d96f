"""Keyword spotting data: labelled clips as frame sequences for ``SequenceClassifier``."""

from __future__ import annotations

from typing import Literal

from lightning_seq.data.framed_audio import Clip, FramedAudioDataModule, with_audio_args
from lightning_seq.data.labels import sort_label_names
from lightning_seq.data.synthetic.audio import KEYWORD_SPEAKERS, generate_keyword_clips
from lightning_seq.data.synthetic.keyword_stream import generate_stream_keyword_clips
from lightning_seq.nn.audio_features import AudioFeatures


@with_audio_args
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
        speech_commands: read ``torchaudio.datasets.SPEECHCOMMANDS`` from ``root``.
        download: let Speech Commands download its archive.
        background_class: the embedded data as a streaming keyword spotter needs it (a ``_background_`` class and
            keywords after background; see above). Real data brings its own "no keyword" class (a ``_background_``
            folder or label): name it to ``lightning-seq-stream --background``.
    """

    text_column = "label"

    def __init__(
        self,
        root: str | None = None,
        train_manifest: str | None = None,
        val_manifest: str | None = None,
        test_manifest: str | None = None,
        header: bool | None = None,
        speech_commands: bool = False,
        download: bool = False,
        background_class: bool = False,
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
        val_fraction: float = 0.1,
        generated_size: int = 3000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        self.background_class = background_class  # read by generate(), which the base constructor calls
        super().__init__(
            header=header,
            manifests={"train": train_manifest, "val": val_manifest, "test": test_manifest},
            root=root,
            speech_commands=speech_commands,
            download=download,
            features=features,
            features_on_device=features_on_device,
            cache_features=cache_features,
            duration=duration,
            max_seconds=max_seconds,
            time_shift=time_shift,
            noise_snr_db=noise_snr_db,
            noise_fraction=noise_fraction,
            speed=speed,
            on_bad_file=on_bad_file,
            val_fraction=val_fraction,
            generated_size=generated_size,
            batch_size=batch_size,
            bucketing=bucketing,
            pool_batches=pool_batches,
            num_workers=num_workers,
            seed=seed,
        )

    def generate(self, split: str, size: int, seed: int) -> list[Clip | None]:
        """``size`` keyword clips of ``split``'s voices (val and test voices are never heard in training)."""
        speakers = KEYWORD_SPEAKERS[split]
        if self.background_class:
            pairs = generate_stream_keyword_clips(size, seed, self.sample_rate, speakers)
        else:
            pairs = generate_keyword_clips(size, seed, self.sample_rate, speakers)
        return self.generated_clips(split, pairs)

    def build_names(self) -> None:
        """``label_names`` and ``num_classes`` from the training labels (at least two)."""
        self.label_names = sort_label_names({c.label for c in self.records["train"]})
        if len(self.label_names) < 2:
            raise ValueError(f"training data has a single label {self.label_names}: need at least two")
        self.num_classes = len(self.label_names)

    def targets(self, split: str, clips: list[Clip]) -> list[int]:
        """Class ids; a label not seen in training is refused."""
        index = {name: i for i, name in enumerate(self.label_names)}
        unseen = sorted({c.label for c in clips} - set(index))
        if unseen:
            raise ValueError(f"{split} labels not seen in training: {unseen}; known: {self.label_names}")
        return [index[c.label] for c in clips]
