"""Data: modules (LightningDataModules), data sets, readers, text to ids, batching, augmentation, synthetic data.

One folder per role: ``modules/`` (a data module per data family over ``SequenceDataModule``), ``datasets/``,
``readers/`` (files to records), ``text/`` (tokenizers, vocabularies), ``batching/`` (collate, sampler),
``augment/``, ``preprocessing/`` (what a checkpoint keeps of the preprocessing), ``shards/`` and ``synthetic/``.
Before 0.3 every file sat in ``data/`` itself; those module paths (stored in runs' ``config.yaml``, checkpoints and
shard indexes) still import, as the modules they moved to (``lightning_seq.moved``).
"""

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
from lightning_seq.data.modules.time_series import TimeSeriesDataModule
from lightning_seq.data.modules.ts_classification import TimeSeriesClassificationDataModule
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
    "TimeSeriesClassificationDataModule",
    "TimeSeriesDataModule",
    "Tokenizer",
    "Vocabulary",
    "WordTokenizer",
    "collate_sequences",
    "pad_sequences",
]
