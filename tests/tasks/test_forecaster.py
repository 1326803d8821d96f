import csv
import functools
import math
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.cli import run
from lightning_seq.data.modules.time_series import TimeSeriesDataModule
from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.tasks import GaussianLikelihood, PointLoss, QuantileLoss
from lightning_seq.tasks.forecaster import Forecaster
from tests.data.modules.test_time_series import hourly_csv

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "forecast_weather_lstm.yaml"
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def encoder(hidden=16, cell=LSTMEncoder, **kwargs):
    return lambda size: cell(size, hidden_size=hidden, **kwargs)


def forecaster(data, loss=None, cell=LSTMEncoder, **kwargs):
    torch.manual_seed(0)
    return Forecaster(feature_size=data.feature_size, future_size=data.future_size, horizon=data.horizon,
                      num_targets=data.num_targets, encoder=encoder(cell=cell), loss=loss, **kwargs)


def data_module(tmp_path, **kwargs):
    path = hourly_csv(tmp_path / "t.csv", 24 * 30, series=("a", "b"))
    settings = {"timestamp_column": "time", "series_column": "site", "target_columns": ["temp"],
                "input_columns": ["wind"], "context_length": 24, "horizon": 6, "stride": 3, "batch_size": 16,
                **kwargs}
    return TimeSeriesDataModule(str(path), **settings)


def trainer(epochs):
    return pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, accelerator="cpu", devices=1)


@pytest.mark.parametrize(("loss", "outputs"), [(PointLoss(), 1), (GaussianLikelihood(), 2),
                                               (QuantileLoss([0.1, 0.5, 0.9]), 3)])
@pytest.mark.parametrize("cell", [LSTMEncoder, GRUEncoder])
def test_outputs_have_every_step_target_and_parameter_and_ignore_padding(tmp_path, loss, outputs, cell):
    data = data_module(tmp_path, min_context=8)
    model = forecaster(data, loss, cell).eval()
    data.setup("fit")
    batch = next(iter(data.val_dataloader()))
    raw = model(batch.inputs, batch.lengths, batch.future)
    assert raw.shape == (len(batch.indices), 6, 1, outputs)
    short = data.dataset("train")[0]  # 8 steps of context: padded to 24 in a batch with a full one
    full = data.dataset("train")[40]
    inputs = torch.zeros(2, 24, data.feature_size)
    inputs[0, : len(short[0])], inputs[1] = short[0], full[0]
    lengths = torch.tensor([len(short[0]), 24])
    together = model(inputs, lengths, torch.stack([short[1], full[1]]))
    alone = model(short[0][None], lengths[:1], short[1][None])
    torch.testing.assert_close(together[0], alone[0], atol=1e-5, rtol=1e-5)


def test_the_linear_path_reads_each_rows_last_steps(tmp_path):
    data = data_module(tmp_path, min_context=8)
    model = forecaster(data, linear_lags=10).eval()
    inputs = torch.randn(2, 24, data.feature_size)
    lengths = torch.tensor([8, 24])
    lags = model.last_steps(inputs, lengths)
    torch.testing.assert_close(lags[0, 2:], inputs[0, :8])
    assert (lags[0, :2] == 0).all()
    torch.testing.assert_close(lags[1], inputs[1, 14:])
    # the linear path's outputs are added to the head's: zeroing its weights leaves the head alone
    with torch.no_grad():
        model.linear.weight.zero_(), model.linear.bias.zero_()
    future = torch.randn(2, 6, data.future_size)
    plain = forecaster(data).eval()
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("linear.")})
    torch.testing.assert_close(model(inputs, lengths, future), plain(inputs, lengths, future))
    with pytest.raises(ValueError, match="linear_lags must be >= 0"):
        forecaster(data, linear_lags=-1)


def test_test_metrics_are_the_errors_of_the_predictions_in_original_units(tmp_path):
    data = data_module(tmp_path)
    model = forecaster(data, GaussianLikelihood())
    fit = trainer(2)
    fit.fit(model, datamodule=data)
    metrics = fit.test(model, datamodule=data, verbose=False)[0]
    model.eval()
    errors, scaled, squared, covered, count = [], [], [], [], 0
    with torch.no_grad():
        for batch in data.test_dataloader():
            forecast = model.predict_step(batch, 0)
            target = batch.loc[:, None] + batch.scale[:, None] * batch.targets
            assert forecast.point.shape == target.shape and (forecast.lower < forecast.point).all()
            keep = batch.observed
            error = (forecast.point - target)[keep]
            errors.append(error.abs()), squared.append(error**2)
            scaled.append(((forecast.point - target).abs() / batch.naive_error[:, None])[keep])
            covered.append(((target >= forecast.lower) & (target <= forecast.upper))[keep])
            count += int(keep.sum())
    assert metrics["test/mae"] == pytest.approx(float(torch.cat(errors).mean()), rel=1e-4)
    assert metrics["test/rmse"] == pytest.approx(math.sqrt(float(torch.cat(squared).mean())), rel=1e-4)
    assert metrics["test/mase"] == pytest.approx(float(torch.cat(scaled).mean()), rel=1e-4)
    assert metrics["test/coverage"] == pytest.approx(float(torch.cat(covered).float().mean()), rel=1e-4)
    assert count == len(data.records["test"]) * 6


def test_a_few_epochs_beat_persistence_on_a_daily_cycle(tmp_path):
    from lightning_seq.baselines.forecast import persistence

    data = data_module(tmp_path)
    model = forecaster(data, optimizer=lambda p: torch.optim.Adam(p, lr=0.01))
    fit = trainer(6)
    fit.fit(model, datamodule=data)
    mae = fit.test(model, datamodule=data, verbose=False)[0]["test/mae"]
    naive = []
    for window in data.records["test"]:
        series = data.regular[window.series]
        forecast = persistence(series.values[:, :1], series.observed[:, :1], window.end, 6)
        naive.append(np.abs(forecast - series.values[window.end : window.end + 6, :1]).mean())
    assert mae < 0.5 * float(np.mean(naive))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r"horizon must be >= 1 \(link it from a TimeSeriesDataModule\), got None"):
        Forecaster(feature_size=3, future_size=0, num_targets=1, encoder=encoder())
    with pytest.raises(ValueError, match="interval_level must lie in"):
        Forecaster(feature_size=3, future_size=0, horizon=2, num_targets=1, encoder=encoder(), interval_level=1.0)


def test_the_recipe_fits_tests_and_predicts_a_users_csv_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hourly_csv(tmp_path / "sites.csv", 24 * 30, series=("a", "b"))
    args = ["--config", str(RECIPE), "--data.init_args.path=sites.csv", "--data.init_args.timestamp_column=time",
            "--data.init_args.series_column=site", "--data.init_args.target_columns=[temp]",
            "--data.init_args.input_columns=[wind]", "--data.init_args.missing=error",
            "--data.init_args.context_length=24", "--data.init_args.horizon=6", "--trainer.max_epochs=2", *QUIET]
    run(["fit", *args])
    ckpt = "runs/forecast_weather_lstm/checkpoints/best.ckpt"
    tested = run(["test", *args, "--ckpt_path", ckpt])
    assert set(tested.trainer.callback_metrics) >= {"test/mae", "test/rmse", "test/mase", "test/smape", "test/loss"}
    run(["predict", *args, "--ckpt_path", ckpt])
    with open("runs/forecast_weather_lstm/predictions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["input"] for r in rows] == ["a@2024-01-31T00:00:00", "b@2024-01-31T00:00:00"]
    assert [k for k in rows[0] if k.startswith("forecast.")] == [f"forecast.temp+{h}" for h in range(1, 7)]
    # in degrees: series b runs 10 degrees above a
    a, b = ([float(r[f"forecast.temp+{h}"]) for h in range(1, 7)] for r in rows)
    assert 5 < np.mean(b) - np.mean(a) < 15


@pytest.mark.parametrize("loss", [PointLoss("huber", delta=0.5), GaussianLikelihood(), QuantileLoss([0.2, 0.5, 0.8])])
def test_a_forecaster_built_in_python_reloads_weights_only_with_its_loss(tmp_path, loss):
    data = data_module(tmp_path)
    torch.manual_seed(0)
    model = Forecaster(feature_size=data.feature_size, future_size=data.future_size, horizon=data.horizon,
                       num_targets=data.num_targets, encoder=functools.partial(GRUEncoder, hidden_size=16), loss=loss)
    fit = pl.Trainer(max_epochs=1, default_root_dir=tmp_path, logger=False, enable_progress_bar=False,
                     enable_model_summary=False, accelerator="cpu", devices=1, limit_train_batches=2)
    fit.fit(model, datamodule=data)
    path = fit.checkpoint_callback.best_model_path
    assert torch.load(path, weights_only=True)["hyper_parameters"]["loss"]["class_path"].endswith(type(loss).__name__)
    back = Forecaster.load_from_checkpoint(path)
    assert back.loss == loss and back.label_names == ["temp"]
    batch = next(iter(data.val_dataloader()))
    model.eval(), back.eval()
    torch.testing.assert_close(back(batch.inputs, batch.lengths, batch.future),
                               model(batch.inputs, batch.lengths, batch.future))
