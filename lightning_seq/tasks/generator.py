"""Conditional sequence generation (1 -> N): a class, a vector, an image or a clip in, a token sequence out."""

from __future__ import annotations

from typing import Any, Literal

import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from lightning_seq.nn.attention import AttentionKind
from lightning_seq.nn.conditions import ConditionEncoder, ConditionFactory, LabelCondition
from lightning_seq.nn.decoder import AttentionQuery, Conditioning, ContextMode, DecoderState
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask, Strategy
from lightning_seq.tasks.schedules import TeacherForcingSchedule


class SequenceGenerator(EncoderDecoderTask):
    """Generate a token sequence from one condition, with the recurrent decoder of the seq2seq task.

    The condition encoder is chosen by ``class_path``: ``LabelCondition`` (class ids; ``num_classes`` linked),
    ``VectorCondition`` (numeric vectors; ``feature_size`` linked) or ``SequenceCondition`` (any encoder of this
    library over a row-scanned image, framed audio or tokens; ``feature_size`` or ``vocab_size`` linked). How the
    condition reaches the decoder is a switch: ``conditioning: init`` (only the initial state), ``input`` (an input
    at every step) or ``input_and_prev`` (an input at every step, with the previous token).

    Args:
        num_classes: number of condition classes (linked from label data).
        feature_size: size of condition vectors or of each condition step (linked from vector/image/audio data).
        vocab_size: condition vocabulary size (linked from token data).
        target_vocab_size: generated vocabulary size, specials included (linked from the data). Class names,
            condition tokens and generated tokens come from the data or the checkpoint.
        condition: factory ``input_size -> ConditionEncoder``; ``input_size`` is whichever of ``num_classes``,
            ``feature_size`` and ``vocab_size`` the data gives.
        decoder_cell: ``lstm``, ``gru`` or ``rnn``.
        decoder_hidden_size: decoder hidden size.
        decoder_layers: stacked decoder layers.
        decoder_embedding_dim: embedding size of the previous token (``input_and_prev``).
        context: ``last`` (the condition itself), ``bridge`` (``tanh(W c)``, any size) or ``attention`` (over the
            steps of a sequence condition).
        attention: ``additive``, ``dot`` or ``general``.
        conditioning: ``init``, ``input`` or ``input_and_prev`` (see above).
        input_feeding: feed the previous attentional vector into the next input.
        dropout: dropout in the decoder.
        deep_output: the output layer reads ``[h_t; c_t; E y_{t-1}]`` (Cho et al., 2014) instead of ``h_t`` (or
            ``tanh(W [h_t; c_t])`` with attention).
        attention_query: score attention from the previous ``state`` or from the ``state_and_input`` (the previous
            token's embedding too).
        pretrained_target_embeddings: GloVe / word2vec text file for the generated tokens' embedding.
        freeze_target_embeddings: keep that embedding fixed.
        teacher_forcing: teacher-forcing probability schedule by training step (default: always 1).
        decoding: ``greedy``, ``beam`` or ``sample`` for validation, test and predict.
        beam_size: hypotheses kept by beam search.
        length_penalty: beam scores are divided by ``length ** length_penalty``.
        n_best: hypotheses written per input by ``predict`` (beam search).
        temperature: sampling temperature.
        top_k: sample among the ``k`` most likely tokens (None: all).
        top_p: sample from the smallest set of tokens with this much probability (None: all).
        max_length: most tokens generated per sequence.
        heat_maps: test examples drawn as attention heat maps (PNG) after ``test`` (``attention`` only).
        target_joiner: text between generated tokens (a space for words, "" for characters).
        optimizer: ``params -> Optimizer`` (default AdamW).
        lr_scheduler: ``optimizer -> scheduler`` or None.
        scheduler_interval: step the scheduler every ``epoch`` or ``step``.
        scheduler_monitor: metric watched by ``ReduceLROnPlateau``.
        input_features: ``AudioFeatures`` settings (linked from the data when features are computed on device).
    """

    def __init__(
        self,
        num_classes: int | None = None,
        feature_size: int | None = None,
        vocab_size: int | None = None,
        target_vocab_size: int | None = None,
        condition: ConditionFactory = LabelCondition,
        decoder_cell: Literal["lstm", "gru", "rnn"] = "lstm",
        decoder_hidden_size: int = 128,
        decoder_layers: int = 1,
        decoder_embedding_dim: int = 64,
        context: ContextMode = "bridge",
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
        max_length: int = 50,
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
        sizes = {"num_classes": num_classes, "feature_size": feature_size, "vocab_size": vocab_size}
        given = {name: value for name, value in sizes.items() if value is not None}
        if len(given) != 1:
            raise ValueError(
                "the condition's size comes from the data: exactly one of num_classes, feature_size and vocab_size "
                f"must be given (link them from a conditional data module), got {given or 'none'}"
            )
        self.condition_sizes = given
        self.condition: ConditionEncoder = condition(next(iter(given.values())))
        if not isinstance(self.condition, ConditionEncoder):
            raise TypeError(f"condition must build a ConditionEncoder, got {type(self.condition).__name__}")
        self.build_decoder(self.condition.output_size)

    def encode(self, inputs: Tensor, lengths: Tensor) -> DecoderState:
        """Conditions ``(B, S)`` ids or ``(B, S, F)`` features with ``lengths (B,)`` -> the decoder's initial state."""
        inputs, lengths = self.featurize(inputs, lengths)
        outputs, state, mask = self.condition(inputs, lengths)  # (B, S, C)
        return self.decoder.initial_state(outputs, state, mask)

    def source_tokens(self, inputs: Tensor, length: int) -> list[str]:
        """Heat-map column names of one condition: its tokens, or step numbers for features."""
        if inputs.dtype == torch.long and self.vocabulary:
            return [self.vocabulary[i] for i in inputs[:length].tolist()]
        return [str(t) for t in range(length)]

    def name_sizes(self) -> dict[str, int]:
        """The target vocabulary, and the condition's class names (``num_classes``) or tokens (``vocab_size``)."""
        sizes = super().name_sizes()
        if "num_classes" in self.condition_sizes:
            sizes["label_names"] = self.condition_sizes["num_classes"]
        if "vocab_size" in self.condition_sizes:
            sizes["vocabulary"] = self.condition_sizes["vocab_size"]
        return sizes

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """The target embedding's file, and a token condition's (``SequenceCondition.pretrained_embeddings``)."""
        tables = super().pretrained_tables()
        path = getattr(self.condition, "pretrained_embeddings", None)
        if path is not None and getattr(self.condition, "embedding", None) is not None:
            tables.append((self.condition.embedding, "vocabulary", path))
        return tables
