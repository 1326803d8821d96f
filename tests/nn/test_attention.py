import pytest
import torch

from lightning_seq.nn import AdditiveAttention, DotAttention, GeneralAttention
from lightning_seq.nn.masking import lengths_to_mask

KINDS = [lambda q, k: AdditiveAttention(q, k, attention_size=5), DotAttention, GeneralAttention]


@pytest.mark.parametrize("kind", KINDS)
def test_weights_sum_to_one_zero_on_padding_and_ignore_padded_values(kind):
    torch.manual_seed(0)
    attention = kind(6, 6)
    outputs = torch.randn(3, 7, 6)
    lengths = torch.tensor([7, 3, 1])
    memory = attention.memory(outputs, lengths_to_mask(lengths, 7))
    query = torch.randn(3, 6)
    context, weights = attention(query, memory)
    assert context.shape == (3, 6) and weights.shape == (3, 7)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    assert torch.all(weights[1, 3:] == 0) and torch.all(weights[2, 1:] == 0)
    poisoned = outputs.clone()
    poisoned[1, 3:] = 1e6
    context_poisoned, _ = attention(query, attention.memory(poisoned, memory.mask))
    torch.testing.assert_close(context_poisoned[1], context[1])
    torch.testing.assert_close(context[2], outputs[2, 0])


def test_invalid_attention_arguments():
    with pytest.raises(ValueError, match="DotAttention needs equal sizes, got query 4 and key 6: use GeneralAttention"):
        DotAttention(4, 6)
    with pytest.raises(ValueError, match="attention_size must be >= 1, got 0"):
        AdditiveAttention(4, 4, attention_size=0)
    with pytest.raises(ValueError, match="attention sizes must be >= 1, got query 0 and key 4"):
        GeneralAttention(0, 4)
    assert GeneralAttention(4, 6).keys(torch.zeros(2, 3, 6)).shape == (2, 3, 4)  # projected onto the query size
