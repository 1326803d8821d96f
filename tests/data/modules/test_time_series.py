from pathlib import Path

import numpy as np
import pytest
import torch

from lightning_seq.data.modules.time_series import TimeSeriesDataModule
from lightning_seq.data.series.calendar import calendar_features

START = np.datetime64("2024-01-01T00", "s")


def hourly_csv(path, hours, series=("a",), gaps=(), seed=0):
    """A long-layout table: per series an hourly temperature with a daily cycle and a wind column."""
    rng = np.random.default_rng(seed)
    lines = ["site,time,temp,wind"]
    for s, name in enumerate(series):
        for h in range(hours):
            if h in gaps:
                continue
            time = START + np.timedelta64(h, "h")
            temp = 10 * s + 5 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 0.3)
            lines.append(f"{name},{str(time).replace('T', ' ')},{temp:.4f},{abs(rng.normal(3, 1)):.4f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def module(path, **kwargs):
    settings = {"timestamp_column": "time", "target_columns": ["temp"], "input_columns": ["wind"],
                "context_length": 24, "horizon": 6, "batch_size": 8, **kwargs}
    return TimeSeriesDataModule(str(path), **settings)


def file_values(path):
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return {(r[0], np.datetime64(r[1].replace(" ", "T"), "s")): float(r[2]) for r in rows}


def test_sizes_the_model_is_built_for(tmp_path):
    data = module(hourly_csv(tmp_path / "t.csv", 24 * 20), series_column="site")
    # context: temp, wind + the calendar's 3 sine/cosine pairs; forecast steps: the calendar
    assert (data.feature_size, data.future_size, data.horizon, data.num_targets) == (8, 6, 6, 1)
    assert data.label_names == ["temp"] and data.frequency.unit == "h" and data.season_length == 24
    masked = module(hourly_csv(tmp_path / "m.csv", 24 * 20, gaps={30}), series_column="site", missing="mask")
    assert masked.feature_size == 10  # and an observed indicator per read column


def test_batches_hold_the_files_values_in_original_units_after_scaling(tmp_path):
    path = hourly_csv(tmp_path / "t.csv", 24 * 20, series=("a", "b"))
    data = module(path, series_column="site")
    data.setup("fit")
    batch = next(iter(data.val_dataloader()))
    rows = len(batch.indices)
    assert batch.inputs.shape == (rows, 24, 8) and batch.future.shape == (rows, 6, 6)
    assert batch.targets.shape == (rows, 6, 1) and rows > 1
    truth = file_values(path)
    for row, index in enumerate(batch.indices.tolist()):
        window = data.records["val"][index]
        series = data.regular[window.series]
        original = batch.loc[row] + batch.scale[row] * batch.targets[row, :, 0]
        expected = [truth[(series.series_id, t)] for t in series.times[window.end : window.end + 6]]
        np.testing.assert_allclose(original.numpy(), expected, atol=1e-4)
        # the known inputs of the forecast steps are their calendar features
        future_times = series.times[window.end : window.end + 6]
        np.testing.assert_allclose(batch.future[row].numpy(), calendar_features(future_times, data.calendar),
                                   atol=1e-6)


def test_normalisation_is_fitted_on_the_training_span_only(tmp_path):
    path = hourly_csv(tmp_path / "t.csv", 24 * 20)
    before = module(path).scaling["t"]
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = int(len(lines) * 0.72)  # past the validation start (70% of the span)
    changed = [*lines[:cut], *(",".join([*line.split(",")[:2], "99.0", "9.0"]) for line in lines[cut:])]
    path.write_text("\n".join(changed) + "\n", encoding="utf-8")
    after = module(path).scaling["t"]
    np.testing.assert_array_equal(before.loc, after.loc)
    np.testing.assert_array_equal(before.scale, after.scale)


def test_windows_are_chronological_and_a_horizon_apart_between_splits(tmp_path):
    data = module(hourly_csv(tmp_path / "t.csv", 24 * 20), stride=1)
    ends = {split: [w.end for w in data.records[split]] for split in ("train", "val", "test")}
    starts = {split: [w.start for w in data.records[split]] for split in ("train", "val", "test")}
    assert max(ends["train"]) + 6 + 6 <= min(starts["val"])
    assert max(ends["val"]) + 6 + 6 <= min(starts["test"])
    assert all(b - a == 6 for a, b in zip(ends["val"], ends["val"][1:], strict=False))  # eval_stride: the horizon


def test_short_histories_get_windows_with_their_lengths(tmp_path):
    data = module(hourly_csv(tmp_path / "t.csv", 24 * 20), min_context=4)
    data.setup("fit")
    lengths = sorted({len(data.dataset("train")[i][0]) for i in range(len(data.dataset("train")))})
    assert lengths == list(range(4, 25))


def test_prediction_forecasts_the_horizon_after_each_series_end(tmp_path):
    path = hourly_csv(tmp_path / "t.csv", 24 * 20, series=("a", "b"))
    data = module(path, series_column="site")
    data.setup("predict")
    assert data.prediction_ids() == ["a@2024-01-21T00:00:00", "b@2024-01-21T00:00:00"]
    batch = next(iter(data.predict_dataloader()))
    assert not batch.observed.any() and batch.lengths.tolist() == [24, 24]
    future = START + np.arange(480, 486).astype("timedelta64[h]").astype("timedelta64[s]")
    np.testing.assert_allclose(batch.future[0].numpy(), calendar_features(future, data.calendar), atol=1e-6)


def test_a_checkpoints_normalisation_replaces_the_refitted_one(tmp_path):
    path = hourly_csv(tmp_path / "t.csv", 24 * 20)
    trained = module(path)
    state = trained.state_dict()
    state["scaling"]["t"] = {"loc": [1.0, 2.0], "scale": [2.0, 4.0]}
    data = module(path)
    data.setup("test")
    data.load_state_dict(state)
    sample = data.dataset("test")[0]
    assert sample[4].tolist() == [1.0] and sample[5].tolist() == [2.0]
    window = data.records["test"][0]
    raw = data.regular[0].values[window.start : window.end, :2]
    np.testing.assert_allclose(sample[0][:, :2].numpy(), (raw - [1.0, 2.0]) / [2.0, 4.0], rtol=1e-5)
    with pytest.raises(ValueError, match=r"series \['t'\] were not in the checkpoint's training data"):
        data.load_state_dict({"scaling": {"other": {"loc": [0, 0], "scale": [1, 1]}}})


def test_the_embedded_weather_needs_a_missing_policy_and_then_gives_every_split(tmp_path):
    with pytest.raises(ValueError, match=r"<generated weather>: series 'station_1': .* is missing at .*choose "
                                         r"missing='ffill' or missing='mask'"):
        TimeSeriesDataModule(generated_size=60)
    data = TimeSeriesDataModule(generated_size=60, missing="mask", stride=4)
    assert data.series_ids == ["station_1", "station_2", "station_3"]
    assert data.label_names == ["temperature"] and data.feature_size == 5 + 5 + 6
    assert all(len(data.records[s]) > 0 for s in ("train", "val", "test"))
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    assert torch.isfinite(batch.inputs).all() and (batch.observed.float().mean() > 0.9)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"target_columns": []}, "target_columns must name the column(s) of"),
    ({"input_columns": ["temp"]}, "columns ['temp'] are named more than once"),
    ({"horizon": 0}, "horizon must be >= 1, got 0"),
    ({"min_context": 30}, "min_context must lie in [1, context_length=24], got 30"),
    ({"missing": "drop"}, "missing must be 'error', 'ffill' or 'mask', got 'drop'"),
    ({"context_length": 70}, "the val split holds no window: a window needs min_context + horizon = 76 steps"),
])
def test_bad_settings_are_refused_naming_the_argument(tmp_path, kwargs, message):
    with pytest.raises(ValueError) as error:
        module(hourly_csv(tmp_path / "t.csv", 24 * 20), **kwargs)
    assert message in str(error.value)


def test_known_columns_are_read_at_the_forecast_steps_and_cannot_be_predicted_past_the_end(tmp_path):
    data = module(hourly_csv(tmp_path / "t.csv", 24 * 20), input_columns=[], known_columns=["wind"])
    data.setup("fit")
    sample = data.dataset("val")[0]
    window = data.records["val"][0]
    scaling = data.scaling["t"]
    wind = (data.regular[0].values[window.end : window.end + 6, 1] - scaling.loc[1]) / scaling.scale[1]
    np.testing.assert_allclose(sample[1][:, -1].numpy(), wind, rtol=1e-5)
    with pytest.raises(ValueError, match=r"needs the future values of known_columns \['wind'\]"):
        data.setup("predict")


def test_real_monthly_prices_every_install_has_are_read_and_their_one_stray_row_is_named(tmp_path):
    """matplotlib's sample Stocks.csv (real monthly closing prices, 1990-2022; matplotlib is a dependency): a comment
    line above the header, all-empty rows off the grid, stocks listed years after the file starts, and one row at
    2022-06-28 after the 2022-06-01 reading, which is refused by name; without it the months read under ``mask``."""
    import matplotlib

    path = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "Stocks.csv"
    settings = {"timestamp_column": "Date", "target_columns": ["IBM", "AAPL", "AMZN"], "input_columns": ["^GSPC"],
                "context_length": 24, "horizon": 6, "missing": "mask"}
    with pytest.raises(ValueError, match=r"Stocks.csv: series 'Stocks' has a reading at 2022-06-28T00:00:00, off "
                                         r"the 1M grid \(1 such rows\)"):
        TimeSeriesDataModule(str(path), **settings)
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = tmp_path / "Stocks.csv"
    kept.write_text("\n".join(line for line in lines if not line.startswith("2022-06-28")) + "\n", encoding="utf-8")
    data = TimeSeriesDataModule(str(kept), **settings)
    assert str(data.frequency) == "1M" and data.season_length == 12 and data.calendar == ["month_of_year"]
    series = data.regular[0]
    assert str(series.times[0])[:7] == "1990-01" and str(series.times[-1])[:7] == "2022-06"
    amazon = series.observed[:, 2]
    assert not amazon[0] and amazon[-1]  # listed in 1997: unobserved before, read after
    assert all(len(data.records[s]) > 0 for s in ("train", "val", "test"))
