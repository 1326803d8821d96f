import pytest
import torch

from lightning_seq.nn import GRUEncoder, LabelCondition, SequenceCondition, VectorCondition


def test_label_and_vector_conditions_are_one_step_sequences():
    label = LabelCondition(5, embedding_dim=6)
    outputs, state, mask = label(torch.tensor([[0], [4]]), torch.ones(2, dtype=torch.long))
    assert outputs.shape == (2, 1, 6) and state.hidden.shape == (1, 2, 6) and state.cell is None
    torch.testing.assert_close(outputs[:, 0], label.embedding.weight[[0, 4]])
    assert mask.tolist() == [[True], [True]]
    with pytest.raises(ValueError, match=r"class ids must lie in \[0, 5\), got \[0, 5\]"):
        label(torch.tensor([[0], [5]]), torch.ones(2, dtype=torch.long))

    vector = VectorCondition(3, output_size=4)
    x = torch.randn(2, 1, 3)
    outputs, state, _ = vector(x, torch.ones(2, dtype=torch.long))
    torch.testing.assert_close(outputs[:, 0], torch.tanh(vector.project(x[:, 0])))
    torch.testing.assert_close(state.hidden[0], outputs[:, 0])
    with pytest.raises(ValueError, match=r"expected condition vectors of size 3, got shape \(2, 1, 4\)"):
        vector(torch.randn(2, 1, 4), torch.ones(2, dtype=torch.long))


def test_sequence_condition_wraps_any_encoder_over_features_or_tokens():
    torch.manual_seed(0)
    features = SequenceCondition(6, encoder=lambda size: GRUEncoder(size, 5, bidirectional=True))
    x, lengths = torch.randn(3, 7, 6), torch.tensor([7, 3, 1])
    outputs, state, mask = features(x, lengths)
    expected, expected_state = features.encoder(x, lengths)
    torch.testing.assert_close(outputs, expected)
    torch.testing.assert_close(state.hidden, expected_state.hidden)
    assert features.output_size == 10 and mask.sum(1).tolist() == [7, 3, 1]

    tokens = SequenceCondition(20, tokens=True, embedding_dim=4)
    outputs, _, _ = tokens(torch.randint(1, 20, (2, 5)), torch.tensor([5, 2]))
    assert outputs.shape == (2, 5, tokens.output_size)


def test_condition_sizes_are_validated():
    with pytest.raises(ValueError, match=r"input_size \(num_classes\) must be an integer >= 1, got 0"):
        LabelCondition(0)
    with pytest.raises(ValueError, match=r"input_size \(feature_size\) must be an integer >= 1, got -1"):
        VectorCondition(-1)
    with pytest.raises(TypeError, match="encoder must build a SequenceEncoder, got Linear"):
        SequenceCondition(3, encoder=lambda size: torch.nn.Linear(size, 2))
