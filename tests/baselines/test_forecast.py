import numpy as np
import pytest
from sklearn.linear_model import Ridge

from lightning_seq.baselines.forecast import RidgeForecast, persistence, seasonal_naive


def test_persistence_holds_the_last_reading_before_the_forecast():
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    observed = np.array([[True, True], [True, True], [True, False], [True, True]])
    np.testing.assert_array_equal(persistence(values, observed, 3, 2), [[3.0, 20.0], [3.0, 20.0]])
    assert np.isnan(persistence(values, np.zeros_like(observed), 3, 1)).all()


def test_seasonal_naive_reads_a_season_earlier_and_falls_back_to_persistence():
    values = np.arange(10, dtype=float)[:, None]
    observed = np.ones_like(values, dtype=bool)
    # forecast steps 6..9 from a season of 3: 3, 4, 5, then 6 is not read yet, so 3 again (two seasons back)
    np.testing.assert_array_equal(seasonal_naive(values, observed, 6, 4, 3)[:, 0], [3, 4, 5, 3])
    observed[4] = False
    np.testing.assert_array_equal(seasonal_naive(values, observed, 6, 2, 3)[:, 0], [3, 5])  # 4 missing: persistence


def test_ridge_equals_scikit_learns_and_picks_its_alpha_on_validation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = x @ rng.normal(size=(5, 3)) + 0.5 + rng.normal(0, 0.1, size=(200, 3))
    ours = RidgeForecast().fit(x[:150], y[:150], alpha=3.0).predict(x[150:])
    theirs = Ridge(alpha=3.0).fit(x[:150], y[:150]).predict(x[150:])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)
    chosen = RidgeForecast([0.01, 1e6]).fit_select(x[:150], y[:150], x[150:], y[150:])
    assert chosen.alpha == 0.01
    with pytest.raises(RuntimeError, match="fit the ridge first"):
        RidgeForecast().predict(x)
