"""Decoding with exported encoder-decoder graphs, by the same strategies the tasks use.

``lightning-seq-export`` writes an encoder-decoder task as two graphs, ``<name>.encoder`` and ``<name>.step``
(``lightning_seq.deploy.export``): the search loop stays outside them. ``GraphDecoder`` makes the step graph a
``Steppable`` decoder, so ``Greedy``, ``Sampling`` and ``BeamSearch`` (``lightning_seq.tasks``) run on it
unchanged: there is one greedy loop, one sampler and one beam search, whether the model is a task or a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from lightning_seq.tasks.decoding import Hypotheses, WithoutTokens
from lightning_seq.tasks.encoder_decoder import check_decoding
from lightning_seq.tasks.strategies import DecodingStrategy
from lightning_seq.types import BOS_ID, EOS_ID, NEVER_GENERATED

Graph = Callable[..., Sequence[Tensor]]
"""An exported graph as a callable: a loaded TorchScript module, or a wrapper of an ONNX Runtime session that
takes and returns tensors in the graph's input and output order."""


class GraphDecoder:
    """One decoder step of an exported step graph, as the decoding strategies call it.

    The state is the seven tensors the encoder graph returns (``STATE_NAMES``: ``hidden``, ``cell``, ``feed``,
    ``context``, ``memory_values``, ``memory_keys``, ``memory_mask``), all batch-first; a step replaces the first
    three.

    Args:
        step: the step graph: ``tokens (N,)`` and the state -> ``log_probs (N, V)``, ``hidden``, ``cell``, ``feed``.
    """

    def __init__(self, step: Graph) -> None:
        self.graph = step

    def step(self, tokens: Tensor, state: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """Log-probabilities ``(N, V)`` of the next token after ``tokens (N,)`` and the new state."""
        log_probs, hidden, cell, feed = (torch.as_tensor(t) for t in self.graph(tokens, *state))
        return log_probs, [hidden, cell, feed, *state[3:]]

    def reorder(self, state: list[Tensor], index: Tensor) -> list[Tensor]:
        """The state with its batch rows taken from ``index (M,)`` (every tensor is batch-first)."""
        return [tensor.index_select(0, index) for tensor in state]

    def reorder_beams(self, state: list[Tensor], index: Tensor) -> list[Tensor]:
        """As ``reorder``: the graphs' state keeps no part shared across beams."""
        return self.reorder(state, index)


def decode_with_graphs(
    encoder: Graph,
    step: Graph,
    inputs: Tensor,
    lengths: Tensor,
    max_length: int,
    decoding: DecodingStrategy | None = None,
) -> Hypotheses:
    """Decode a batch with exported encoder and step graphs, as the task's ``generate`` does with its modules.

    ``<pad>`` and ``<bos>`` are never emitted, as in the task's own decoding.

    Args:
        encoder: the encoder graph: ``inputs``, ``lengths`` -> the seven state tensors.
        step: the step graph.
        inputs: ``(B, S)`` source ids or ``(B, S, F)`` features (what the encoder graph was exported for).
        lengths: ``(B,)`` valid steps per row.
        max_length: most tokens per sequence.
        decoding: the strategy (``Greedy``, ``Sampling`` or ``BeamSearch``); None is greedy.

    Returns:
        ``Hypotheses``: ``tokens (B, N, max_length)`` (EOS after each end), ``lengths (B, N)``, ``scores (B, N)``.
    """
    state = [torch.as_tensor(t) for t in encoder(inputs, lengths)]
    strategy = check_decoding(decoding)  # None is greedy; anything else must be a strategy, as for the tasks
    decoder = WithoutTokens(GraphDecoder(step), NEVER_GENERATED)
    return strategy.search(decoder, state, batch=inputs.size(0), start=BOS_ID, eos=EOS_ID, max_length=max_length,
                           device=None)
