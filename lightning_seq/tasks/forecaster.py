"""Multi-step forecasting of real values (N → H): a recurrent encoder over the context, a direct multi-horizon head."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import Tensor

from lightning_seq.nn.encoder import EncoderFactory
from lightning_seq.nn.head import MLPHead
from lightning_seq.nn.pooling import LastPooling
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.forecast_losses import ForecastLoss, PointLoss
from lightning_seq.tasks.forecast_metrics import ForecastErrors
from lightning_seq.types import ForecastBatch


class Forecast(NamedTuple):
    """What ``predict_step`` returns for one batch, in original units.

    Attributes:
        indices: ``(B,)`` positions of the windows in the prediction data set.
        point: ``(B, H, K)`` point forecasts.
        lower: ``(B, H, K)`` lower interval bounds (probabilistic losses), else None.
        upper: ``(B, H, K)`` upper interval bounds, else None.
        target_names: the ``K`` targets' names.
        level: the intervals' coverage (e.g. 0.8).
    """

    indices: Tensor
    point: Tensor
    lower: Tensor | None
    upper: Tensor | None
    target_names: list[str]
    level: float

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per window: ``index`` and the forecasts.

        Per target and lead ``h`` (1-based): ``forecast.<target>+h``, and ``lower.``/``upper.`` with intervals.
        """
        rows = []
        for row, index in enumerate(self.indices.tolist()):
            entry: dict[str, Any] = {"index": int(index)}
            parts = [("forecast", self.point)]
            if self.lower is not None and self.upper is not None:
                parts += [("lower", self.lower), ("upper", self.upper)]
            for part, values in parts:
                table = values[row].tolist()  # (H, K)
                entry[part] = {
                    f"{name}+{lead + 1}": table[lead][k]
                    for k, name in enumerate(self.target_names)
                    for lead in range(len(table))
                }
            rows.append(entry)
        return rows


class Forecaster(SequenceTask):
    """Forecast ``horizon`` steps of ``num_targets`` real values from a context of readings.

    The encoder reads the context ``(B, T, C)``; its state at each row's last step, beside the known inputs of every
    forecast step ``(B, H, F)`` (flattened), feeds an MLP that outputs all ``H`` steps at once (a direct
    multi-horizon head: no error feeds back through the forecast). The ``loss`` decides what is output per target and
    step: a point (``PointLoss``: MSE, MAE, Huber), a Gaussian (``GaussianLikelihood``) or quantiles
    (``QuantileLoss``). Training runs in each series' normalised units; metrics (``ForecastErrors``: MAE, RMSE, MASE,
    sMAPE, interval coverage) and predictions are in original units.

    Args:
        feature_size: context features per step ``C`` (linked from the data).
        future_size: known inputs per forecast step ``F`` (linked from the data; 0 for none).
        horizon: forecast steps ``H`` (linked from the data).
        num_targets: forecast values per step ``K`` (linked from the data).
        encoder: factory ``input_size -> SequenceEncoder``; in YAML a ``class_path`` such as
            ``lightning_seq.nn.LSTMEncoder`` or ``GRUEncoder`` with ``init_args``.
        loss: what is forecast and how it is scored (default ``PointLoss("mse")``).
        head_hidden_sizes: hidden layer sizes of the MLP head (empty: one linear layer).
        head_dropout: dropout in the head.
        input_dropout: dropout on the context features.
        linear_lags: the last this many context steps (every feature) and the known inputs of the forecast steps
            also feed a linear map whose outputs are added to the head's (an autoregressive highway, as in LSTNet):
            the model starts where a linear model on lags is and the recurrent path learns what it cannot; 0 for
            none. Rows with a shorter context read zeros before their first step.
        interval_level: the central interval probabilistic losses report (``val/coverage``, ``lower``/``upper``).
        **kwargs: the optimizer and its schedule (``SequenceTask``'s arguments).
    """

    def __init__(
        self,
        feature_size: int | None = None,
        future_size: int | None = None,
        horizon: int | None = None,
        num_targets: int | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        loss: ForecastLoss | None = None,
        head_hidden_sizes: list[int] | None = None,
        head_dropout: float = 0.0,
        input_dropout: float = 0.0,
        linear_lags: int = 0,
        interval_level: float = 0.8,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # optimizer and schedule: SequenceTask's arguments
        self.save_hyperparameters()
        for name, value, least in (("feature_size", feature_size, 1), ("future_size", future_size, 0),
                                   ("horizon", horizon, 1), ("num_targets", num_targets, 1)):
            if value is None or value < least:
                raise ValueError(f"{name} must be >= {least} (link it from a TimeSeriesDataModule), got {value!r}")
        if not 0.0 <= input_dropout < 1.0:
            raise ValueError(f"input_dropout must lie in [0, 1), got {input_dropout!r}")
        if linear_lags < 0:
            raise ValueError(f"linear_lags must be >= 0 (0: no linear path), got {linear_lags!r}")
        if not 0.0 < interval_level < 1.0:
            raise ValueError(f"interval_level must lie in (0, 1), got {interval_level!r}")
        assert feature_size is not None and future_size is not None and horizon is not None and num_targets is not None
        self.feature_size, self.future_size, self.horizon, self.num_targets = (
            feature_size, future_size, horizon, num_targets
        )
        self.loss = loss if loss is not None else PointLoss("mse")
        if not isinstance(self.loss, ForecastLoss):
            raise TypeError(f"loss must be a ForecastLoss, got {type(self.loss).__name__}")
        self.interval_level = interval_level
        self.input_dropout = torch.nn.Dropout(input_dropout)
        self.encoder = self.build_encoder(encoder, feature_size)
        self.pooling = LastPooling(self.encoder.num_directions)
        outputs = horizon * num_targets * self.loss.outputs_per_target
        self.head = MLPHead(self.encoder.output_size + horizon * future_size, outputs, head_hidden_sizes or [],
                            head_dropout)
        self.linear_lags = linear_lags
        self.linear = (
            torch.nn.Linear(linear_lags * feature_size + horizon * future_size, outputs) if linear_lags else None
        )
        self.val_errors, self.test_errors = ForecastErrors(), ForecastErrors()

    def forward(self, inputs: Tensor, lengths: Tensor, future: Tensor) -> Tensor:
        """Raw outputs ``(B, H, K, P)`` in normalised units; ``P`` is the loss's ``outputs_per_target``.

        Inputs: contexts ``inputs (B, T, C)``, ``lengths (B,)`` and the known inputs ``future (B, H, F)``.
        """
        outputs, _ = self.encoder(self.input_dropout(inputs), lengths)  # (B, T, D*H)
        last = self.pooling(outputs, lengths)  # (B, D*H)
        joined = torch.cat([last, future.flatten(1).to(last.dtype)], dim=-1)  # (B, D*H + H*F)
        raw = self.head(joined)  # (B, H*K*P)
        if self.linear is not None:
            lags = self.last_steps(inputs, lengths)  # (B, lags, C)
            raw = raw + self.linear(torch.cat([lags.flatten(1), future.flatten(1).to(lags.dtype)], dim=-1))
        return raw.view(len(raw), self.horizon, self.num_targets, self.loss.outputs_per_target)

    def last_steps(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        """The last ``linear_lags`` valid steps ``(B, lags, C)`` of ``inputs (B, T, C)``, oldest first.

        Zeros before a row's first step.
        """
        offsets = torch.arange(self.linear_lags, device=inputs.device) - self.linear_lags  # (lags,)
        steps = lengths.to(inputs.device).unsqueeze(1) + offsets  # (B, lags)
        picked = inputs.gather(1, steps.clamp(min=0).unsqueeze(-1).expand(-1, -1, inputs.size(-1)))  # (B, lags, C)
        return torch.where((steps >= 0).unsqueeze(-1), picked, torch.zeros_like(picked))

    def training_step(self, batch: ForecastBatch, batch_idx: int) -> Tensor:
        """The loss over the read targets of the batch, in normalised units (``train/loss_step``, ``_epoch``)."""
        raw = self(batch.inputs, batch.lengths, batch.future)
        loss, count = self.loss(raw, batch.targets, batch.observed)
        self.log_train_loss(loss, count)
        return self.global_mean(loss, count)

    def original_units(self, values: Tensor, batch: ForecastBatch) -> Tensor:
        """Normalised ``values (B, H, K)`` (or ``(B, H, K, Q)``) in each row's original units."""
        loc, scale = batch.loc.unsqueeze(1), batch.scale.unsqueeze(1)  # (B, 1, K)
        if values.dim() == 4:
            loc, scale = loc.unsqueeze(-1), scale.unsqueeze(-1)
        return loc + scale * values.float()

    def _interval(self, raw: Tensor, batch: ForecastBatch) -> tuple[Tensor | None, Tensor | None]:
        if not self.loss.probabilistic:
            return None, None
        tail = (1.0 - self.interval_level) / 2
        bounds = self.original_units(self.loss.quantiles(raw, [tail, 1.0 - tail]), batch)  # (B, H, K, 2)
        return bounds[..., 0], bounds[..., 1]

    def _evaluate(self, batch: ForecastBatch, stage: str, errors: ForecastErrors) -> None:
        raw = self(batch.inputs, batch.lengths, batch.future)
        loss, count = self.loss(raw, batch.targets, batch.observed)
        self.log_eval_loss(stage, loss, count, prog_bar=stage == "val")
        point = self.original_units(self.loss.point(raw), batch)
        target = self.original_units(batch.targets, batch)
        errors.update(point, target, batch.observed, batch.naive_error, *self._interval(raw, batch))

    def _log_errors(self, stage: str, errors: ForecastErrors) -> None:
        values = errors.compute()
        errors.reset()
        self.log_dict({f"{stage}/{name}": value for name, value in values.items()}, prog_bar=stage == "val")

    def validation_step(self, batch: ForecastBatch, batch_idx: int) -> None:
        """Loss and errors in original units (``val/mae``, ``val/rmse``, ``val/mase``, ``val/smape``)."""
        self._evaluate(batch, "val", self.val_errors)

    def on_validation_epoch_end(self) -> None:
        """Log the epoch's errors, summed over every rank."""
        super().on_validation_epoch_end()
        self._log_errors("val", self.val_errors)

    def test_step(self, batch: ForecastBatch, batch_idx: int) -> None:
        """Loss and errors in original units (``test/mae``, ...)."""
        self._evaluate(batch, "test", self.test_errors)

    def on_test_epoch_end(self) -> None:
        """Log the test errors, summed over every rank."""
        super().on_test_epoch_end()
        self._log_errors("test", self.test_errors)

    def predict_step(self, batch: ForecastBatch, batch_idx: int, dataloader_idx: int = 0) -> Forecast:
        """Forecasts in original units (and interval bounds for probabilistic losses)."""
        raw = self(batch.inputs, batch.lengths, batch.future)
        lower, upper = self._interval(raw, batch)
        point = self.original_units(self.loss.point(raw), batch)
        names = self.label_names or [str(k) for k in range(self.num_targets)]
        return Forecast(batch.indices, point, lower, upper, names, self.interval_level)

    def name_sizes(self) -> dict[str, int]:
        """The targets' names (``label_names``: one per forecast value)."""
        return {"label_names": self.num_targets}
