"""Conditional sequence generation (1 -> N): a class, a vector, an image or a clip in, a token sequence out."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from lightning_seq.nn.conditions import ConditionEncoder, ConditionFactory, LabelCondition
from lightning_seq.nn.decoder_parts import DecoderState
from lightning_seq.tasks.encoder_decoder import EncoderDecoderTask


class SequenceGenerator(EncoderDecoderTask):
    """Generate a token sequence from one condition, with the recurrent decoder of the seq2seq task.

    The condition encoder is chosen by ``class_path``: ``LabelCondition`` (class ids; ``num_classes`` linked),
    ``VectorCondition`` (numeric vectors; ``feature_size`` linked) or ``SequenceCondition`` (any encoder of this
    library over a row-scanned image, framed audio or tokens; ``feature_size`` or ``vocab_size`` linked). How the
    condition reaches the decoder is the decoder's ``conditioning``: ``init`` (only the initial state), ``input`` (an
    input at every step) or ``input_and_prev`` (an input at every step, with the previous token); its ``context``
    is ``last`` (the condition itself), ``bridge`` (``tanh(W c)``, any size) or ``attention`` (over the steps of a
    sequence condition).

    Args:
        num_classes: number of condition classes (linked from label data).
        feature_size: size of condition vectors or of each condition step (linked from vector/image/audio data).
        vocab_size: condition vocabulary size (linked from token data). Class names, condition tokens and
            generated tokens come from the data or the checkpoint.
        condition: factory ``input_size -> ConditionEncoder``; ``input_size`` is whichever of ``num_classes``,
            ``feature_size`` and ``vocab_size`` the data gives.
        max_length: most tokens generated per sequence.
        **kwargs: the decoder side (``EncoderDecoderTask``: ``target_vocab_size``, ``decoder``, ``decoding``, ...)
            and the optimizer and schedule (``SequenceTask``).
    """

    def __init__(
        self,
        num_classes: int | None = None,
        feature_size: int | None = None,
        vocab_size: int | None = None,
        condition: ConditionFactory = LabelCondition,
        max_length: int = 50,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_length=max_length, **kwargs)
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
        inputs, lengths = self.features_of(inputs, lengths)
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
