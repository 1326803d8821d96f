"""Encoder-decoder (N -> M): any recurrent encoder over source tokens, then a recurrent decoder with every variant."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from lightning_seq.nn.decoder_parts import DecoderState
from lightning_seq.nn.embedding import token_table
from lightning_seq.nn.encoder import EncoderFactory
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask
from lightning_seq.types import SPECIALS


class Seq2SeqTask(EncoderDecoderTask):
    """Translate token sequences with an RNN encoder-decoder.

    Args:
        vocab_size: source vocabulary size (linked from the data; the tokens come from the data or the checkpoint).
        encoder: factory ``input_size -> SequenceEncoder`` (any encoder, stacked and bidirectional).
        embedding_dim: source embedding size.
        pretrained_embeddings: GloVe / word2vec text file for the source embedding (read before fitting).
        freeze_embeddings: keep the source embedding fixed.
        **kwargs: the decoder side (``EncoderDecoderTask``: ``target_vocab_size``, ``decoder``, ``decoding``, ...)
            and the optimizer and schedule (``SequenceTask``).
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        embedding_dim: int = 64,
        pretrained_embeddings: str | None = None,
        freeze_embeddings: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.save_hyperparameters()
        if vocab_size is None or vocab_size < len(SPECIALS) + 1:
            raise ValueError(f"vocab_size must be > {len(SPECIALS)} (link it from the data), got {vocab_size!r}")
        self.vocab_size, self.pretrained_embeddings = vocab_size, pretrained_embeddings
        self.embedding = token_table(vocab_size, embedding_dim, freeze_embeddings)
        self.encoder = self.build_encoder(encoder, embedding_dim)
        self.build_decoder(self.encoder.output_size)

    def encode(self, inputs: Tensor, lengths: Tensor) -> DecoderState:
        """Source ids ``(B, S)`` -> the decoder's initial state."""
        outputs, state = self.encoder(self.embedding(inputs), lengths)  # (B, S, D*H)
        return self.decoder.initial_state(outputs, state, lengths_to_mask(lengths.to(inputs.device), inputs.size(1)))

    def source_tokens(self, inputs: Tensor, length: int) -> list[str]:
        """Source tokens of one row (ids when there is no vocabulary)."""
        return [self.vocabulary[i] if self.vocabulary else str(i) for i in inputs[:length].tolist()]

    def name_sizes(self) -> dict[str, int]:
        """The source vocabulary (``vocab_size``) and the target vocabulary (``target_vocab_size``)."""
        return {**super().name_sizes(), "vocabulary": self.vocab_size}

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """The source embedding with ``pretrained_embeddings``, the target one with its own file."""
        tables = super().pretrained_tables()
        if self.pretrained_embeddings is not None:
            tables.append((self.embedding, "vocabulary", self.pretrained_embeddings))
        return tables
