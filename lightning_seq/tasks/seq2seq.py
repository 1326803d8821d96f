"""Encoder-decoder (N -> M): any recurrent encoder over source tokens, then a recurrent decoder with every variant."""

from __future__ import annotations

from typing import Any, Literal

import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from lightning_seq.data.vocab import PAD_ID, SPECIALS
from lightning_seq.nn.attention import AttentionKind
from lightning_seq.nn.decoder import AttentionQuery, Conditioning, ContextMode, DecoderState
from lightning_seq.nn.encoder import EncoderFactory, SequenceEncoder
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask, GeneratedSequences, Strategy
from lightning_seq.tasks.schedules import TeacherForcingSchedule

Seq2SeqPrediction = GeneratedSequences
"""What ``Seq2SeqTask.predict_step`` returns (see ``GeneratedSequences``)."""


class Seq2SeqTask(EncoderDecoderTask):
    """Translate token sequences with an RNN encoder-decoder.

    Args:
        vocab_size: source vocabulary size (linked from the data).
        target_vocab_size: target vocabulary size, specials included (linked from the data). The tokens behind
            both sizes come from the data or the checkpoint.
        encoder: factory ``input_size -> SequenceEncoder`` (any encoder, stacked and bidirectional).
        embedding_dim: source embedding size.
        pretrained_embeddings: GloVe / word2vec text file for the source embedding (read before fitting).
        freeze_embeddings: keep the source embedding fixed.
        decoder_cell: ``lstm``, ``gru`` or ``rnn``.
        decoder_hidden_size: decoder hidden size.
        decoder_layers: stacked decoder layers.
        decoder_embedding_dim: target embedding size.
        context: ``last`` (c = h_N), ``bridge`` (c = tanh(W h_N)) or ``attention`` (c_t over all outputs).
        attention: ``additive``, ``dot`` or ``general``.
        conditioning: ``init`` (context initialises the state), ``input`` (context as input at every step) or
            ``input_and_prev`` (context and the previous token).
        input_feeding: feed the previous attentional vector into the next input.
        dropout: dropout in the decoder.
        deep_output: the output layer reads ``[h_t; c_t; E y_{t-1}]`` (Cho et al., 2014) instead of ``h_t`` (or
            ``tanh(W [h_t; c_t])`` with attention).
        attention_query: score attention from the previous ``state`` or from the ``state_and_input`` (the previous
            target token's embedding too).
        pretrained_target_embeddings: GloVe / word2vec text file for the target embedding.
        freeze_target_embeddings: keep the target embedding fixed.
        teacher_forcing: schedule of the teacher-forcing probability by training step (default: always 1);
            ``TeacherForcingSchedule(start=0, end=0)`` trains free running.
        decoding: ``greedy``, ``beam`` or ``sample`` for validation, test and predict.
        beam_size: hypotheses kept by beam search.
        length_penalty: beam scores are divided by ``length ** length_penalty``.
        n_best: hypotheses written per input by ``predict`` (beam search).
        temperature: sampling temperature.
        top_k: sample among the ``k`` most likely tokens (None: all).
        top_p: sample from the smallest set of tokens with this much probability (None: all).
        max_length: most tokens generated per sequence.
        heat_maps: test examples drawn as attention heat maps (PNG) after ``test``.
        target_joiner: text between target tokens in predictions and CER (a space for words, "" for characters).
        optimizer: ``params -> Optimizer`` (default AdamW).
        lr_scheduler: ``optimizer -> scheduler`` or None.
        scheduler_interval: step the scheduler every ``epoch`` or ``step``.
        scheduler_monitor: metric watched by ``ReduceLROnPlateau``.
        input_features: ``AudioFeatures`` settings (linked from the data when features are computed on device).
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        target_vocab_size: int | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        embedding_dim: int = 64,
        pretrained_embeddings: str | None = None,
        freeze_embeddings: bool = False,
        decoder_cell: Literal["lstm", "gru", "rnn"] = "lstm",
        decoder_hidden_size: int = 128,
        decoder_layers: int = 1,
        decoder_embedding_dim: int = 64,
        context: ContextMode = "attention",
        attention: AttentionKind = "additive",
        conditioning: Conditioning = "input_and_prev",
        input_feeding: bool = False,
        dropout: float = 0.0,
        deep_output: bool = False,
        attention_query: AttentionQuery = "state",
        pretrained_target_embeddings: str | None = None,
        freeze_target_embeddings: bool = False,
        teacher_forcing: TeacherForcingSchedule | None = None,
        decoding: Strategy = "greedy",
        beam_size: int = 5,
        length_penalty: float = 0.0,
        n_best: int = 1,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        max_length: int = 100,
        heat_maps: int = 4,
        target_joiner: str = " ",
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
        input_features: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            target_vocab_size,
            decoder_cell,
            decoder_hidden_size,
            decoder_layers,
            decoder_embedding_dim,
            context,
            attention,
            conditioning,
            input_feeding,
            dropout,
            deep_output,
            attention_query,
            pretrained_target_embeddings,
            freeze_target_embeddings,
            teacher_forcing,
            decoding,
            beam_size,
            length_penalty,
            n_best,
            temperature,
            top_k,
            top_p,
            max_length,
            heat_maps,
            target_joiner,
            optimizer,
            lr_scheduler,
            scheduler_interval,
            scheduler_monitor,
            input_features,
        )
        self.save_hyperparameters()
        if vocab_size is None or vocab_size < len(SPECIALS) + 1:
            raise ValueError(f"vocab_size must be > {len(SPECIALS)} (link it from the data), got {vocab_size!r}")
        self.vocab_size, self.pretrained_embeddings = vocab_size, pretrained_embeddings
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.embedding.weight.requires_grad_(not freeze_embeddings)
        self.encoder: SequenceEncoder = encoder(embedding_dim)
        if not isinstance(self.encoder, SequenceEncoder):
            raise TypeError(f"encoder must build a SequenceEncoder, got {type(self.encoder).__name__}")
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
