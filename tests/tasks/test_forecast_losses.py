import math

import pytest
import torch

from lightning_seq.tasks.forecast_losses import GaussianLikelihood, PointLoss, QuantileLoss


def test_point_losses_are_the_mean_over_read_targets():
    outputs = torch.tensor([1.0, 2.0, 5.0]).view(1, 3, 1, 1)
    targets = torch.tensor([0.0, 2.0, 1.0]).view(1, 3, 1)
    observed = torch.tensor([True, True, False]).view(1, 3, 1)
    assert PointLoss("mse")(outputs, targets, observed) == (pytest.approx(0.5), 2.0)
    assert PointLoss("mae")(outputs, targets, observed)[0] == pytest.approx(0.5)
    huber = PointLoss("huber", delta=0.5)(outputs, targets, observed)[0]
    assert huber == pytest.approx((0.5 * (1 - 0.25)) / 2)  # |e| = 1 > delta: delta * (|e| - delta / 2)
    assert PointLoss()(outputs, targets, torch.zeros_like(observed)) == (0.0, 0.0)  # nothing read: loss 0


def test_gaussian_likelihood_is_the_normal_negative_log_density_and_its_quantiles():
    mean, raw_scale = 1.0, 0.3
    outputs = torch.tensor([mean, raw_scale]).view(1, 1, 1, 2)
    sigma = math.log1p(math.exp(raw_scale)) + 1e-3
    loss, count = GaussianLikelihood()(outputs, torch.tensor([[[2.0]]]), torch.ones(1, 1, 1, dtype=torch.bool))
    expected = 0.5 * math.log(2 * math.pi) + math.log(sigma) + 0.5 * ((2.0 - mean) / sigma) ** 2
    assert float(loss) == pytest.approx(expected, rel=1e-5) and count == 1
    quantiles = GaussianLikelihood().quantiles(outputs, [0.1, 0.5, 0.9])[0, 0, 0]
    assert quantiles.tolist() == pytest.approx([mean - 1.2815516 * sigma, mean, mean + 1.2815516 * sigma], rel=1e-5)


def test_quantile_loss_is_the_pinball_loss_and_its_median_is_the_point():
    loss = QuantileLoss([0.1, 0.5, 0.9])
    outputs = torch.tensor([3.0, 1.0, 2.0]).view(1, 1, 1, 3)  # crossing quantiles are sorted: 1, 2, 3
    value, _ = loss(outputs, torch.tensor([[[2.5]]]), torch.ones(1, 1, 1, dtype=torch.bool))
    expected = (0.1 * 1.5 + 0.5 * 0.5 + (1 - 0.9) * 0.5) / 3
    assert float(value) == pytest.approx(expected)
    assert float(loss.point(outputs)) == 2.0
    assert loss.quantiles(outputs, [0.3, 0.9, 0.99])[0, 0, 0].tolist() == pytest.approx([1.5, 3.0, 3.0])


def test_a_point_loss_has_no_quantiles_and_bad_settings_are_refused():
    with pytest.raises(TypeError, match="PointLoss forecasts points: it has no quantiles"):
        PointLoss().quantiles(torch.zeros(1, 1, 1, 1), [0.5])
    with pytest.raises(ValueError, match="kind must be 'mse', 'mae' or 'huber', got 'l3'"):
        PointLoss("l3")
    with pytest.raises(ValueError, match=r"levels must be distinct, increasing and inside \(0, 1\), got \[0.5, 0.1\]"):
        QuantileLoss([0.5, 0.1])
    with pytest.raises(ValueError, match="min_scale must be > 0"):
        GaussianLikelihood(min_scale=0)
