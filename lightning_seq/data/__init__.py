"""Data modules, tokenizers, vocabulary, collate and the DDP-correct bucketing sampler."""

from lightning_seq.data.audio_augment import AudioAugment
from lightning_seq.data.audio_keywords import AudioKeywordsDataModule
from lightning_seq.data.audio_transcription import AudioTranscriptionDataModule
from lightning_seq.data.base import SequenceDataModule
from lightning_seq.data.collate import collate_sequences, pad_sequences
from lightning_seq.data.conditional import ConditionalSequenceDataModule
from lightning_seq.data.datasets import SequenceDataset
from lightning_seq.data.framed_audio import FramedAudioDataModule
from lightning_seq.data.image_augment import ImageAugment
from lightning_seq.data.images import RowScan
from lightning_seq.data.ocr import OCRDataModule
from lightning_seq.data.parallel_text import ParallelTextDataModule
from lightning_seq.data.rowscan_images import RowScanImageDataModule
from lightning_seq.data.sampler import BucketBatchSampler
from lightning_seq.data.sentiment import SentimentDataModule
from lightning_seq.data.sharded import ShardedDataModule
from lightning_seq.data.sklearn_digits import SklearnDigits
from lightning_seq.data.subword import HFTokenizer, SentencePieceTokenizer, SubwordTokenizer
from lightning_seq.data.text_corpus import TextCorpusDataModule
from lightning_seq.data.tokenizers import CharTokenizer, Tokenizer, WordTokenizer
from lightning_seq.data.vocab import Vocabulary

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
