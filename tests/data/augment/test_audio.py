import math

import pytest
import torch

from lightning_seq.data import AudioAugment, AudioKeywordsDataModule
from lightning_seq.nn import AudioFeatures

RATE = 8000


def padded_tone(freq: float = 500.0, seconds: float = 0.5) -> torch.Tensor:
    """A tone with 0.1 s of digital silence either side (as many recorded clips have)."""
    t = torch.arange(int(seconds * RATE)) / RATE
    silence = torch.zeros(int(0.1 * RATE))
    return torch.cat([silence, 0.5 * torch.sin(2 * math.pi * freq * t), silence])


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.5, 1.0])
def test_noise_reaches_the_given_fraction_of_clips_and_leaves_the_others_untouched(fraction):
    augment = AudioAugment(noise_snr_db=(10.0, 20.0), noise_fraction=fraction).transform(RATE, seed=1)
    clip = padded_tone()
    noisy = sum(not torch.equal(augment(clip.clone()), clip) for _ in range(400))
    if fraction in (0.0, 1.0):
        assert noisy == 400 * fraction
    else:  # binomial(400, p): 5 standard deviations either side
        assert abs(noisy - 400 * fraction) < 5 * math.sqrt(400 * fraction * (1 - fraction))


@pytest.mark.parametrize("factor", [0.8, 0.9, 1.0, 1.13, 1.25])
def test_speed_perturbation_scales_length_and_pitch_together(factor):
    augment = AudioAugment(speed=(factor, factor)).transform(RATE, seed=0)
    clip = padded_tone(500.0)
    out = augment(clip)
    assert out.numel() == round(clip.numel() / factor)
    spectrum = torch.fft.rfft(out).abs()
    peak = spectrum.argmax().item() * RATE / out.numel()
    assert peak == pytest.approx(500.0 * factor, abs=RATE / out.numel())


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"noise_fraction": 1.5}, r"noise_fraction must lie in \[0, 1\], got 1.5"),
        ({"noise_fraction": -0.1}, r"noise_fraction must lie in \[0, 1\], got -0.1"),
        ({"speed": (1.2, 0.9)}, r"speed must be \(low, high\) with 0 < low <= high, got \(1.2, 0.9\)"),
        ({"speed": (0.0, 1.1)}, r"speed must be \(low, high\) with 0 < low <= high, got \(0.0, 1.1\)"),
        ({"speed": (0.9,)}, r"speed must be \(low, high\) with 0 < low <= high, got \(0.9,\)"),
        ({"noise_snr_db": (20.0, 10.0)}, r"noise_snr_db must be \(low, high\) with low <= high, got \(20.0, 10.0\)"),
        ({"time_shift": -0.01}, r"time_shift must be >= 0 seconds, got -0.01"),
    ],
)
def test_bad_augmentation_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        AudioAugment(**settings)


def test_the_time_shift_is_given_in_seconds_and_drawn_from_the_seed():
    clip = padded_tone()
    for rate in (RATE, 2 * RATE):
        augment = AudioAugment(time_shift=0.05).transform(rate, seed=3)
        assert augment.max_shift == round(0.05 * rate)
        shifted = [augment(clip.clone()) for _ in range(20)]
        again = AudioAugment(time_shift=0.05).transform(rate, seed=3)
        assert all(torch.equal(a, again(clip.clone())) for a in shifted)  # same seed, same draws
        assert len({int(torch.nonzero(a).min()) for a in shifted}) > 5  # the onset moves


def test_settings_that_change_nothing_leave_training_clips_unaugmented():
    assert not AudioAugment().active and not AudioAugment(noise_snr_db=(5.0, 10.0), noise_fraction=0.0).active
    assert AudioAugment(noise_snr_db=(5.0, 10.0)).active and AudioAugment(speed=(0.9, 1.1)).active
    for augment in (None, AudioAugment()):
        dm = AudioKeywordsDataModule(features=features(), generated_size=12, augment=augment)
        dm.setup("fit")
        assert dm.dataset("train").augment is None and dm.dataset("train").cached is not None


def features(**kwargs) -> AudioFeatures:
    return AudioFeatures("logmel", RATE, frame_length=200, hop_length=80, n_mels=20, **kwargs)


def test_speed_perturbed_clips_keep_a_fixed_duration():
    dm = AudioKeywordsDataModule(features=features(), generated_size=12, duration=0.6,
                                 augment=AudioAugment(speed=(0.8, 1.2)))
    dm.setup("fit")
    train = dm.dataset("train")
    assert {train[i][0].size(0) for i in range(len(train))} == {1 + (int(0.6 * RATE) - 200) // 80}


def test_the_training_split_as_evaluation_sees_it_has_no_augmentation():
    dm = AudioKeywordsDataModule(
        features=features(time_masks=2, freq_masks=2), generated_size=20, batch_size=4,
        augment=AudioAugment(time_shift=0.05, speed=(0.9, 1.1), noise_snr_db=(5.0, 10.0), noise_fraction=1.0),
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
