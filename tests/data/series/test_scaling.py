import numpy as np
import pytest

from lightning_seq.data.series.scaling import Scaling, fit_scaling, seasonal_naive_error


def test_scaling_reads_observed_values_only():
    values = np.array([[1.0, 5.0], [3.0, 0.0], [100.0, 5.0]])
    observed = np.array([[True, True], [True, False], [False, True]])
    scaling = fit_scaling(values, observed, "s")
    np.testing.assert_allclose(scaling.loc, [2.0, 5.0])
    np.testing.assert_allclose(scaling.scale, [1.0, 1.0])  # channel 1 is constant where read: scale 1
    assert Scaling.from_state(scaling.to_state()).loc.tolist() == scaling.loc.tolist()


def test_a_channel_never_read_in_training_is_refused():
    with pytest.raises(ValueError, match="s: channel 1 has no reading in the training span"):
        fit_scaling(np.zeros((3, 2)), np.array([[True, False]] * 3), "s")


def test_seasonal_naive_error_is_the_mean_error_of_the_value_a_season_earlier():
    values = np.array([[1.0], [2.0], [4.0], [7.0], [11.0]])
    observed = np.ones_like(values, dtype=bool)
    np.testing.assert_allclose(seasonal_naive_error(values, observed, 2), [(3 + 5 + 7) / 3])
    observed[4] = False  # the pair (4, 11) loses a side
    np.testing.assert_allclose(seasonal_naive_error(values, observed, 2), [(3 + 5) / 2])
    np.testing.assert_allclose(seasonal_naive_error(values, np.ones_like(observed), 9), [2.5])  # too short: 1 step
    np.testing.assert_allclose(seasonal_naive_error(np.ones((4, 1)), np.ones((4, 1), bool), 1), [1.0])  # constant
