import functools

import torch

from lightning_seq.nn import AudioFeatures, LSTMEncoder
from lightning_seq.tasks import CTCTranscriber

VOCAB = ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"]


def transcriber(settings):
    torch.manual_seed(0)
    return CTCTranscriber(vocab_size=len(VOCAB), feature_size=AudioFeatures("logmel", 16000).feature_size,
                          input_features=settings, encoder=functools.partial(LSTMEncoder, hidden_size=8)).eval()


def test_waveforms_become_frames_in_the_model_and_features_pass_through_without():
    settings = AudioFeatures("logmel", 16000).config()
    task = transcriber(settings)
    waves, samples = 0.1 * torch.randn(2, 8000), torch.tensor([8000, 4000])
    frames, counts = task.features_of(waves, samples)
    expected, expected_counts = AudioFeatures.from_config(settings)(waves, samples)
    torch.testing.assert_close(frames, expected)
    assert torch.equal(counts, expected_counts) and counts.tolist() == task.features.num_frames(samples).tolist()
    plain = transcriber(None)
    assert plain.features is None
    inputs, lengths = torch.randn(2, 5, 3), torch.tensor([5, 2])
    same, same_lengths = plain.features_of(inputs, lengths)
    assert same is inputs and same_lengths is lengths


def test_a_0_2_state_dict_with_featurizer_keys_loads():
    """0.2 named the module ``featurizer``; its buffers (global statistics included) load into ``features``."""
    settings = AudioFeatures("logmel", 16000, normalization="global").config()
    trained = transcriber(settings)
    size = trained.features.feature_size
    trained.features.set_statistics(torch.full((size,), 0.5), torch.full((size,), 2.0))
    old = {key.replace("features.", "featurizer.", 1) if key.startswith("features.") else key: value
           for key, value in trained.state_dict().items()}
    assert any(key.startswith("featurizer.") for key in old) and not any(key.startswith("features.") for key in old)
    fresh = transcriber(settings)
    fresh.load_state_dict(old)
    waves, samples = 0.1 * torch.randn(2, 4000), torch.tensor([4000, 3000])
    torch.testing.assert_close(fresh(waves, samples), trained(waves, samples))
