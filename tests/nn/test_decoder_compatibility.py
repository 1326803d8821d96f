"""Every decoder variant computes what lightning_seq 0.2 computed, and reads its checkpoints.

``decoder_0_2.pt`` was written by ``python -m tests.nn.test_decoder_compatibility`` at commit a38de3d, before the
decoder was composed from parts. For each variant (cell x context x conditioning x input feeding x deep output x
attention query) it holds the state_dict keys of that version, in order, and the outputs of a decoder built from a
fixed seed. The test builds each variant again from the same seed:

* same outputs: the parts create their parameters in the old order and compute the same thing, so the recipes'
  figures cannot move;
* the old key names, paired with today's tensors by position, load into today's decoder and give the same
  outputs: a checkpoint written by 0.2 still loads.
"""

import functools
import itertools
from pathlib import Path

import pytest
import torch

from lightning_seq.nn import AdditiveAttention, GRUDecoder, LSTMDecoder, RNNDecoder
from lightning_seq.types import EncoderState

FIXTURE = Path(__file__).with_name("decoder_0_2.pt")
CELLS = {"lstm": LSTMDecoder, "gru": GRUDecoder, "rnn": RNNDecoder}
VARIANTS = [
    (cell, context, conditioning, feeding, deep, query)
    for cell, context, conditioning, feeding, deep, query in itertools.product(
        CELLS, ["last", "bridge", "attention"], ["init", "input", "input_and_prev"], [False, True], [False, True],
        ["state", "state_and_input"],
    )
    if query == "state" or context == "attention"
]


def variant_name(variant: tuple) -> str:
    return "-".join(str(part) for part in variant)


def build(variant: tuple) -> torch.nn.Module:
    cell, context, conditioning, feeding, deep, query = variant
    torch.manual_seed(11)
    attention = functools.partial(AdditiveAttention, attention_size=3) if context == "attention" else None
    return CELLS[cell](
        6, 4, hidden_size=4, num_layers=2, embedding_dim=3, context=context, attention=attention,
        conditioning=conditioning, input_feeding=feeding, deep_output=deep, attention_query=query,
    ).eval()


def run(decoder: torch.nn.Module) -> torch.Tensor:
    """Teacher-forced log-probabilities ``(2, 3, 6)`` over a fixed encoder result (two sources of 3 and 2 steps)."""
    generator = torch.Generator().manual_seed(5)
    outputs = torch.randn(2, 3, 4, generator=generator)
    state = EncoderState(torch.randn(1, 2, 4, generator=generator), torch.randn(1, 2, 4, generator=generator))
    mask = torch.tensor([[True, True, True], [True, True, False]])
    inputs = torch.tensor([[2, 4, 5], [2, 3, 1]])
    with torch.no_grad():
        log_probs, _ = decoder(inputs, decoder.initial_state(outputs, state, mask))
    return log_probs


@pytest.fixture(scope="module")
def saved() -> dict:
    return torch.load(FIXTURE, weights_only=True)


def test_the_fixture_covers_every_variant(saved):
    assert sorted(saved) == sorted(variant_name(v) for v in VARIANTS) and len(VARIANTS) == 144


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_name)
def test_variant_computes_as_in_0_2_and_loads_its_state_dict(variant, saved):
    old = saved[variant_name(variant)]
    decoder = build(variant)
    torch.testing.assert_close(run(decoder), old["log_probs"])
    tensors = list(decoder.state_dict().values())
    assert len(tensors) == len(old["keys"])
    fresh = build(variant)
    for parameter in fresh.parameters():
        torch.nn.init.zeros_(parameter)
    fresh.load_state_dict(dict(zip(old["keys"], tensors, strict=True)))
    torch.testing.assert_close(run(fresh), old["log_probs"])


if __name__ == "__main__":
    torch.save(
        {variant_name(v): {"keys": list((d := build(v)).state_dict()), "log_probs": run(d)} for v in VARIANTS}, FIXTURE
    )
