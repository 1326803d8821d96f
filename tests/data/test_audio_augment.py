import math

import pytest
import torch

from lightning_seq.data import AudioKeywordsDataModule
from lightning_seq.data.audio_datasets import WaveformAugment
from lightning_seq.nn import AudioFeatures

RATE = 8000


def padded_tone(freq: float = 500.0, seconds: float = 0.5) -> torch.Tensor:
    """A tone with 0.1 s of digital silence either side (as many recorded clips have)."""
    t = torch.arange(int(seconds * RATE)) / RATE
    silence = torch.zeros(int(0.1 * RATE))
    return torch.cat([silence, 0.5 * torch.sin(2 * math.pi * freq * t), silence])


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.5, 1.0])
def test_noise_reaches_the_given_fraction_of_clips_and_leaves_the_others_untouched(fraction):
    augment = WaveformAugment(snr_db=(10.0, 20.0), noise_fraction=fraction, seed=1)
    clip = padded_tone()
    noisy = sum(not torch.equal(augment(clip.clone()), clip) for _ in range(400))
    if fraction in (0.0, 1.0):
        assert noisy == 400 * fraction
    else:  # binomial(400, p): 5 standard deviations either side
        assert abs(noisy - 400 * fraction) < 5 * math.sqrt(400 * fraction * (1 - fraction))


@pytest.mark.parametrize("factor", [0.8, 0.9, 1.0, 1.13, 1.25])
def test_speed_perturbation_scales_length_and_pitch_together(factor):
    augment = WaveformAugment(speed=(factor, factor))
    clip = padded_tone(500.0)
    out = augment(clip)
    assert out.numel() == round(clip.numel() / factor)
    spectrum = torch.fft.rfft(out).abs()
    peak = spectrum.argmax().item() * RATE / out.numel()
    assert peak == pytest.approx(500.0 * factor, abs=RATE / out.numel())


def test_bad_augmentation_settings_are_named():
    with pytest.raises(ValueError, match=r"noise_fraction must lie in \[0, 1\], got 1.5"):
        WaveformAugment(noise_fraction=1.5)
    with pytest.raises(ValueError, match=r"speed must be \(low, high\) with 0 < low <= high, got \(1.2, 0.9\)"):
        WaveformAugment(speed=(1.2, 0.9))
    with pytest.raises(ValueError, match=r"noise_fraction must lie in \[0, 1\], got -0.1"):
        AudioKeywordsDataModule(noise_snr_db=(5.0, 10.0), noise_fraction=-0.1, generated_size=12)


def features(**kwargs) -> AudioFeatures:
    return AudioFeatures("logmel", RATE, frame_length=200, hop_length=80, n_mels=20, **kwargs)


def test_speed_perturbed_clips_keep_a_fixed_duration():
    dm = AudioKeywordsDataModule(features=features(), generated_size=12, duration=0.6, speed=(0.8, 1.2))
    dm.setup("fit")
    train = dm.dataset("train")
    assert {train[i][0].size(0) for i in range(len(train))} == {1 + (int(0.6 * RATE) - 200) // 80}


def test_the_training_split_as_evaluation_sees_it_has_no_augmentation():
    dm = AudioKeywordsDataModule(
        features=features(time_masks=2, freq_masks=2), generated_size=20, batch_size=4, time_shift=0.05,
        speed=(0.9, 1.1), noise_snr_db=(5.0, 10.0), noise_fraction=1.0,
    )
    dm.setup("fit")
    clean = features().eval()
    seen = set()
    for batch in dm.train_eval_dataloader():
        for row, index in enumerate(batch.indices.tolist()):
            wave = dm.records["train"][index].source
            expected, frames = clean(wave.unsqueeze(0), torch.tensor([wave.numel()]))
            assert batch.lengths[row].item() == frames.item()
            torch.testing.assert_close(batch.inputs[row, : frames.item()], expected[0], atol=1e-4, rtol=1e-4)
            seen.add(index)
    assert seen == set(range(20))
    assert dm.dataset("train").augment is not None  # training itself stays augmented
