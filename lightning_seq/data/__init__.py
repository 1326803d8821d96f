"""Data: modules (LightningDataModules), data sets, readers, text to ids, batching, augmentation, synthetic data.

One folder per role: ``modules/`` (a data module per data family over ``SequenceDataModule``), ``datasets/``,
``readers/`` (files to records), ``text/`` (tokenizers, vocabularies), ``batching/`` (collate, sampler),
``augment/``, ``preprocessing/`` (what a checkpoint keeps of the preprocessing), ``shards/`` and ``synthetic/``.
Before 0.3 every file sat in ``data/`` itself; those module paths (stored in runs' ``config.yaml``, checkpoints and
shard indexes) still import, as the modules they moved to (``MOVED_IN_0_3``).
"""

import importlib
import sys

from lightning_seq.data.augment.audio import AudioAugment
from lightning_seq.data.augment.images import ImageAugment
from lightning_seq.data.batching.collate import collate_sequences, pad_sequences
from lightning_seq.data.batching.sampler import BucketBatchSampler
from lightning_seq.data.datasets.sequences import SequenceDataset
from lightning_seq.data.datasets.sklearn_digits import SklearnDigits
from lightning_seq.data.modules.audio_keywords import AudioKeywordsDataModule
from lightning_seq.data.modules.audio_transcription import AudioTranscriptionDataModule
from lightning_seq.data.modules.base import SequenceDataModule
from lightning_seq.data.modules.conditional import ConditionalSequenceDataModule
from lightning_seq.data.modules.framed_audio import FramedAudioDataModule
from lightning_seq.data.modules.ocr import OCRDataModule
from lightning_seq.data.modules.parallel_text import ParallelTextDataModule
from lightning_seq.data.modules.rowscan_images import RowScanImageDataModule
from lightning_seq.data.modules.sentiment import SentimentDataModule
from lightning_seq.data.modules.sharded import ShardedDataModule
from lightning_seq.data.modules.text_corpus import TextCorpusDataModule
from lightning_seq.data.readers.images import RowScan
from lightning_seq.data.text.subword import HFTokenizer, SentencePieceTokenizer, SubwordTokenizer
from lightning_seq.data.text.tokenizers import CharTokenizer, Tokenizer, WordTokenizer
from lightning_seq.data.text.vocab import Vocabulary

__all__ = [
    "AudioAugment",
    "AudioKeywordsDataModule",
    "AudioTranscriptionDataModule",
    "BucketBatchSampler",
    "ImageAugment",
    "RowScan",
    "RowScanImageDataModule",
    "CharTokenizer",
    "ConditionalSequenceDataModule",
    "FramedAudioDataModule",
    "HFTokenizer",
    "OCRDataModule",
    "ParallelTextDataModule",
    "SentimentDataModule",
    "ShardedDataModule",
    "SequenceDataModule",
    "SentencePieceTokenizer",
    "SequenceDataset",
    "SklearnDigits",
    "SubwordTokenizer",
    "TextCorpusDataModule",
    "Tokenizer",
    "Vocabulary",
    "WordTokenizer",
    "collate_sequences",
    "pad_sequences",
]

MOVED_IN_0_3 = {
    "base": "modules.base",
    "sentiment": "modules.sentiment",
    "text_corpus": "modules.text_corpus",
    "parallel_text": "modules.parallel_text",
    "conditional": "modules.conditional",
    "rowscan_images": "modules.rowscan_images",
    "ocr": "modules.ocr",
    "framed_audio": "modules.framed_audio",
    "audio_keywords": "modules.audio_keywords",
    "audio_transcription": "modules.audio_transcription",
    "sharded": "modules.sharded",
    "splits": "modules.records",
    "labels": "modules.records",
    "ctc_lengths": "modules.ctc_lengths",
    "image_datasets": "datasets.images",
    "audio_datasets": "datasets.audio",
    "streams": "datasets.streams",
    "sklearn_digits": "datasets.sklearn_digits",
    "sources": "readers.text",
    "tables": "readers.tables",
    "hf_sources": "readers.hf",
    "audio": "readers.audio",
    "images": "readers.images",
    "package_texts": "readers.package_texts",
    "paths": "readers.files",
    "text_files": "readers.files",
    "tokenizers": "text.tokenizers",
    "subword": "text.subword",
    "vocab": "text.vocab",
    "unigram": "text.unigram",
    "collate": "batching.collate",
    "sampler": "batching.sampler",
    "audio_augment": "augment.audio",
    "image_augment": "augment.images",
    "inference_spec": "preprocessing.inputs",
    "described": "preprocessing.described",
}
"""Module paths of lightning_seq 0.2 (under ``lightning_seq.data``) and the modules they moved to in 0.3.

``lightning_seq.data.datasets`` kept its path: it is now the ``datasets/`` package, which exports what the module
held. Each old path is registered in ``sys.modules`` as its new module, so ``import lightning_seq.data.sources`` and
``class_path: lightning_seq.data.sentiment.SentimentDataModule`` keep working.
"""

for _old, _new in MOVED_IN_0_3.items():
    sys.modules.setdefault(f"{__name__}.{_old}", importlib.import_module(f"{__name__}.{_new}"))
