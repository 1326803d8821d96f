"""Text-line OCR data: folders with ``labels.tsv`` (``relative/path.png<TAB>text``), or embedded rendered lines."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NamedTuple

import torch
from PIL import Image

from lightning_seq.data.batching.collate import collate_transcriptions_with_references
from lightning_seq.data.datasets.images import ImageSequenceDataset
from lightning_seq.data.datasets.sequences import WithReferences
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.modules.ctc_lengths import ctc_length_problems
from lightning_seq.data.preprocessing.inputs import image_inputs_spec
from lightning_seq.data.readers.files import resolve_inside
from lightning_seq.data.readers.images import RowScan
from lightning_seq.data.synthetic.images import generate_text_lines
from lightning_seq.data.text.vocab import SPECIALS, Vocabulary
from lightning_seq.docstrings import append_args

log = logging.getLogger(__name__)


class LabelledImage(NamedTuple):
    """One line of a ``labels.tsv``: the image (path or generated), its text, and where it was listed."""

    source: Path | Image.Image
    text: str
    where: str


def read_labels_tsv(split_dir: str | Path, labelled: bool = True) -> list[LabelledImage]:
    """Read ``<split_dir>/labels.tsv``: ``relative/path.png<TAB>text`` per line, UTF-8.

    Paths must stay inside ``split_dir`` (no absolute paths, no ``..`` or links leading out). Empty texts are an
    error listing their lines; with ``labelled=False`` (prediction) the text column may be missing or empty.
    """
    folder = Path(split_dir)
    tsv = folder / "labels.tsv"
    if not tsv.is_file():
        raise FileNotFoundError(f"labels file not found: {tsv}")
    entries, empty = [], []
    for line_no, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{tsv}:{line_no}"
        relative, sep, text = line.partition("\t")
        if labelled and not sep:
            raise ValueError(f"{where}: expected 'relative/path<TAB>text', found no tab")
        path = resolve_inside(folder, relative, where)
        if labelled and not text.strip():
            empty.append(where)
        entries.append(LabelledImage(path, text, where))
    if empty:
        raise ValueError(f"{len(empty)} empty labels: {', '.join(empty[:10])}")
    if not entries:
        raise ValueError(f"{tsv} lists no images")
    return entries


@append_args(LOADER_ARGS)
class OCRDataModule(SequenceDataModule):
    """Read text lines from images with CTC: columns of a fixed-height image are the time steps.

    Each split is a folder holding ``labels.tsv`` lines ``relative/path.png<TAB>text``. With no ``train_dir`` the
    embedded lines are rendered (random strings over ``[0-9a-z]``, several fonts, spacing, noise, blur, slight
    rotation). The charset is built from the training labels (or given), stored in the checkpoint through the
    linked ``vocabulary``; id 0 is the CTC blank.

    Args:
        train_dir: folder of the training split; None renders the embedded lines.
        val_dir: validation split folder (required with ``train_dir``).
        test_dir: test split folder.
        predict_dir: folder with ``labels.tsv`` of images to read (text column optional); None reads the test split.
        charset: the characters to recognise; None takes every character of the training labels.
        unknown_to_unk: map val/test characters outside the charset to ``<unk>`` (counted in the log) instead of
            raising an error that lists them.
        transform: how images become sequences (default: columns of a 32-pixel-high gray image).
        generated_size: number of embedded training lines (val and test get a tenth each).
        seed: seed of the rendered lines and of the shuffling order.
    """

    def __init__(
        self,
        train_dir: str | None = None,
        val_dir: str | None = None,
        test_dir: str | None = None,
        predict_dir: str | None = None,
        charset: str | None = None,
        unknown_to_unk: bool = False,
        transform: RowScan | None = None,
        generated_size: int = 8000,
        batch_size: int = 32,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        if train_dir is not None and val_dir is None:
            raise ValueError("val_dir is required with train_dir")
        self.paths = {"train": train_dir, "val": val_dir, "test": test_dir, "predict": predict_dir}
        self.unknown_to_unk = unknown_to_unk
        self.transform = transform if transform is not None else RowScan("columns", height=32)
        if self.transform.feature_size() is None:
            raise ValueError("OCR needs a fixed feature size: scan columns with a height, or give a fixed size")
        self.collate_fn = collate_transcriptions_with_references
        self.load_splits(generated_size=generated_size, val_fraction=0.1)  # val_dir is required: nothing is carved
        chars = sorted(set(charset if charset is not None else "".join(e.text for e in self.records["train"])))
        clash = [c for c in chars if c in SPECIALS]
        if clash or not chars:
            raise ValueError(f"charset must be non-empty and not contain the specials {list(SPECIALS)}")
        self.vocab = Vocabulary(list(SPECIALS) + chars)
        self.vocabulary = list(self.vocab.tokens)
        self.vocab_size = len(self.vocab)
        self.feature_size = self.transform.feature_size()

    @property
    def charset(self) -> str:
        """The recognised characters, in id order (after the specials)."""
        return "".join(self.vocab.tokens[len(SPECIALS) :])

    def generate(self, split: str, size: int, seed: int) -> list[LabelledImage]:
        """``size`` rendered lines of random text."""
        lines = generate_text_lines(size, seed)
        return [LabelledImage(im, t, f"<generated {split}>:{i + 1}") for i, (im, t) in enumerate(lines)]

    def read(self, split: str) -> list[LabelledImage]:
        """The images and texts of ``paths[split]/labels.tsv`` (the text is optional for ``predict``)."""
        return read_labels_tsv(str(self.paths[split]), labelled=split != "predict")

    def source_hint(self, split: str) -> str:
        """OCR splits are folders."""
        return f"--data.{split}_dir"

    def _encode_texts(self, split: str, entries: list[LabelledImage]) -> list[torch.Tensor]:
        unknown = sorted({c for e in entries for c in e.text if c not in self.vocab})
        if unknown and split == "train":
            raise ValueError(f"training labels use characters outside the given charset: {unknown}")
        if unknown and not self.unknown_to_unk:
            first = next(e.where for e in entries if any(c in unknown for c in e.text))
            raise ValueError(
                f"{split} labels use characters outside the charset: {unknown} (first at {first}); "
                f"set unknown_to_unk=True to map them to <unk>"
            )
        if unknown:
            count = sum(c in unknown for e in entries for c in e.text)
            log.warning(
                "%s: mapped %d characters outside the charset to <unk>: %s (scored as written: each is an error, a "
                "model cannot produce them)", split, count, unknown,
            )
        return [torch.tensor(self.vocab.encode(list(e.text)), dtype=torch.long) for e in entries]

    def check_ctc_lengths(self, time_reduction: int = 1) -> None:
        """Refuse targets too long for their input under CTC, naming the files.

        A CTC path needs one step per label plus a blank between repeated labels: ``len + repeats`` steps, out of
        ``ceil(T / time_reduction)`` after a model's front-end. Checks every split built so far.
        """
        for split, dataset in self.datasets.items():
            if split == "predict" and self.paths["predict"] is not None:
                continue
            names = [
                f"{e.where} ({e.source if isinstance(e.source, Path) else 'generated'})"
                for e in self.split_records(split)
            ]
            too_long = ctc_length_problems(dataset.targets, dataset.lengths, names, time_reduction)
            if too_long:
                raise ValueError(
                    f"{split}: {len(too_long)} targets too long for their image under CTC "
                    f"(time_reduction {time_reduction}): " + "; ".join(too_long[:5])
                )

    def inference_inputs(self) -> dict[str, Any]:
        """The ``transform`` (height, scan by columns, normalisation): a line image becomes what training read."""
        return image_inputs_spec(self.transform)

    def to_dataset(self, split: str, entries: list[LabelledImage]) -> WithReferences:
        """Scanned images with their texts' label ids, and the texts as written (no targets for ``predict``).

        Metrics score against the texts as written, so a character outside the charset (``unknown_to_unk``) counts
        as an error.
        """
        if split == "predict":
            targets = [torch.zeros(0, dtype=torch.long)] * len(entries)
        else:
            targets = self._encode_texts(split, entries)
        references = [list(e.text) if split != "predict" else [] for e in entries]
        return WithReferences(ImageSequenceDataset([e.source for e in entries], targets, self.transform), references)

    def setup(self, stage: str | None = None) -> None:
        """Build the data sets the stage needs, checking charset and CTC lengths before anything trains."""
        super().setup(stage)
        self.check_ctc_lengths()

    def record_id(self, record: LabelledImage) -> str:
        """The image path (or the generated line's place)."""
        return str(record.source) if isinstance(record.source, Path) else record.where
