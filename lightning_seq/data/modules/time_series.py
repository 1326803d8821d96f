"""Forecasting data: timestamped readings (a wide or long table, or the embedded weather) as forecast windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lightning_seq.data.datasets.windows import ForecastWindows, PreparedSeries, collate_forecast
from lightning_seq.data.modules.base import LOADER_ARGS, SequenceDataModule
from lightning_seq.data.series.calendar import CalendarFeature, calendar_features, default_calendar
from lightning_seq.data.series.regular import (
    Frequency,
    MissingPolicy,
    RegularSeries,
    apply_missing,
    infer_frequency,
    to_grid,
)
from lightning_seq.data.series.scaling import Scaling, fit_scaling, seasonal_naive_error
from lightning_seq.data.series.splits import Window, check_windows, spans, split_starts, windows_in
from lightning_seq.data.series.table import DEFAULT_MISSING, SeriesReadings, read_series_table
from lightning_seq.data.synthetic.weather import WEATHER_COLUMNS, generate_weather
from lightning_seq.docstrings import append_args


def default_season(frequency: Frequency) -> int:
    """The seasonal-naive season of a grid: a day below a day, a week of days, a year of weeks or months."""
    if frequency.unit == "M":
        return max(1, 12 // frequency.count)
    if frequency.seconds < 86400:
        return max(1, round(frequency.periods_per_day))
    if frequency.seconds == 86400:
        return 7
    return max(1, round(52 / (frequency.seconds // 604800))) if frequency.seconds % 604800 == 0 else 1


@append_args(LOADER_ARGS)
class TimeSeriesDataModule(SequenceDataModule):
    """Forecast ``horizon`` steps of target columns from ``context_length`` steps of readings.

    **Layouts.** ``path`` is a CSV or Parquet table with a timestamp column and value columns: one series (wide
    layout: a weather station's hourly readings), or many (long layout: ``series_column`` names each row's series,
    e.g. sales per store). Without ``path``, the embedded weather: hourly readings of three stations over two years
    with fronts, bursty rain and sensor dropouts (``lightning_seq.data.synthetic.weather``), target ``temperature``.

    **Inputs.** Each context step holds the normalised targets and ``input_columns`` (read up to the forecast),
    ``known_columns`` (known in advance) and the calendar features; each forecast step holds the known inputs and
    calendar features of that step (``ForecastBatch.future``). Under ``missing="mask"`` every value column also
    gets an observed indicator (1 read, 0 missing), missing values read as 0 (the training mean), and the loss and
    metrics skip missing targets.

    **Splits** are chronological, by ``val_fraction``/``test_fraction`` of the time span of all series or at
    ``val_start``/``test_start``; the ``horizon`` steps after each cut belong to no split, and a window lies wholly
    inside one split. **Normalisation** per series and channel is fitted on the training span, kept in
    checkpoints (a checkpoint's statistics replace those refitted on the data it is used with), and forecasts are
    returned in original units. **Prediction** forecasts the ``horizon`` steps after each series' last reading.

    Args:
        path: CSV or Parquet file of readings; None for the embedded weather.
        timestamp_column: the column of times (ISO 8601, or see ``timestamp_format``).
        series_column: the column naming each row's series (long layout); None: one series per file.
        target_columns: the columns to forecast (default for the embedded weather: ``temperature``).
        input_columns: other columns read in the context only (default for the embedded weather: the other four).
        known_columns: columns known in advance (read at the forecast steps too), e.g. a holiday flag.
        timestamp_format: ``strptime`` format of the timestamps when they are not ISO 8601.
        missing_values: cells read as missing; add sensor codes such as ``-9900``.
        frequency: the grid step (``1h``, ``15min``, ``1D``, ``1W``, ``1M`` for month starts); None infers the most
            common step. A grid time without a row is a missing reading; a row off the grid is an error.
        calendar: calendar features (sine and cosine each) of ``hour_of_day``, ``day_of_week``, ``day_of_year``,
            ``month_of_year``; None picks what the frequency can see; ``[]`` for none.
        season_length: the season of the seasonal-naive error MASE divides by (None: 24 for hours, 7 for days,
            12 for months).
        missing: ``error`` (default: a missing reading is an error naming the file, series, column and time),
            ``ffill`` (carry the last reading forward) or ``mask`` (observed indicators; see above).
        context_length: longest context, in steps.
        min_context: shortest context of a window (None: ``context_length``); a smaller value gives short series
            and a split's first steps windows with shorter histories (``lengths``).
        horizon: forecast steps.
        stride: steps between the forecast starts of consecutive training windows.
        eval_stride: the same for validation and test windows (None: ``horizon``, each step forecast once per lead).
        val_fraction: share of the time span for validation (before the test span).
        test_fraction: share of the time span for test (at its end).
        val_start: when validation starts (ISO 8601; overrides ``val_fraction``).
        test_start: when test starts (ISO 8601; overrides ``test_fraction``).
        generated_stations: stations of the embedded weather.
        generated_size: days of the embedded weather (every station reads all of them, hourly).
        seed: seed of the embedded weather and of the shuffling order.
    """

    def __init__(
        self,
        path: str | None = None,
        timestamp_column: str = "timestamp",
        series_column: str | None = None,
        target_columns: list[str] | None = None,
        input_columns: list[str] | None = None,
        known_columns: list[str] | None = None,
        timestamp_format: str | None = None,
        missing_values: list[str] | None = None,
        frequency: str | None = None,
        calendar: list[CalendarFeature] | None = None,
        season_length: int | None = None,
        missing: MissingPolicy = "error",
        context_length: int = 72,
        min_context: int | None = None,
        horizon: int = 24,
        stride: int = 1,
        eval_stride: int | None = None,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        val_start: str | None = None,
        test_start: str | None = None,
        generated_stations: int = 3,
        generated_size: int = 730,
        batch_size: int = 64,
        bucketing: bool = True,
        pool_batches: int = 16,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(
            batch_size=batch_size, bucketing=bucketing, pool_batches=pool_batches, num_workers=num_workers, seed=seed
        )
        for name, value in (("context_length", context_length), ("horizon", horizon), ("stride", stride)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        min_context = context_length if min_context is None else min_context
        if not 1 <= min_context <= context_length:
            raise ValueError(f"min_context must lie in [1, context_length={context_length}], got {min_context!r}")
        if eval_stride is not None and eval_stride < 1:
            raise ValueError(f"eval_stride must be >= 1, got {eval_stride!r}")
        if missing not in ("error", "ffill", "mask"):
            raise ValueError(f"missing must be 'error', 'ffill' or 'mask', got {missing!r}")
        if season_length is not None and season_length < 1:
            raise ValueError(f"season_length must be >= 1, got {season_length!r}")
        self.collate_fn = collate_forecast
        self.paths["train"] = path
        self.missing = missing
        self.context_length, self.min_context, self.horizon = context_length, min_context, horizon
        self.stride, self.eval_stride = stride, eval_stride if eval_stride is not None else horizon
        self.target_columns, self.input_columns, self.known_columns = self._columns(
            path, target_columns, input_columns, known_columns or []
        )
        self.source = {"timestamp_column": timestamp_column, "series_column": series_column,
                       "timestamp_format": timestamp_format,
                       "missing_values": DEFAULT_MISSING if missing_values is None else missing_values}
        self.splitting = {"val_fraction": val_fraction, "test_fraction": test_fraction, "val_start": val_start,
                          "test_start": test_start}
        self.generated = {"stations": generated_stations, "days": generated_size}
        self.load_series(frequency, calendar, season_length)

    def load_series(
        self, frequency: str | None, calendar: list[str] | None, season_length: int | None
    ) -> None:
        """Read (or generate) the series, put them on the grid, cut the splits and fit the normalisation.

        Sets what the model is built for (``feature_size``, ``future_size``, ``horizon``, ``num_targets``, linked by
        the CLI) and the targets' names (``label_names``, kept in checkpoints).
        """
        columns = [*self.target_columns, *self.input_columns, *self.known_columns]
        path = self.paths["train"]
        if path is None:
            readings = generate_weather(self.generated["stations"], self.generated["days"], self.seed)
            readings = [r._replace(values=r.values[:, [WEATHER_COLUMNS.index(c) for c in columns]],
                                   columns=tuple(columns)) for r in readings]
        else:
            readings = read_series_table(path, columns=columns, **self.source)
        self.frequency = Frequency.parse(frequency) if frequency is not None else infer_frequency(readings)
        self.calendar = list(default_calendar(self.frequency) if calendar is None else calendar)
        self.season_length = season_length or default_season(self.frequency)
        self.regular = self._regularise(readings)
        val, test = split_starts(
            min(s.times[0] for s in self.regular), max(s.times[-1] for s in self.regular), **self.splitting
        )
        self.spans = [spans(s.times, val, test, self.horizon) for s in self.regular]
        self.scaling = {s.series_id: self._fit(s, span["train"]) for s, span in zip(self.regular, self.spans,
                                                                                    strict=True)}
        self.prepared = self._prepare()
        for split in ("train", "val", "test"):
            self.records[split] = self._windows(split)
        self.num_targets = len(self.target_columns)
        self.future_size = int(self.prepared[0].known.shape[1])
        self.feature_size = int(self.prepared[0].past.shape[1]) + self.future_size
        self.label_names = list(self.target_columns)

    # ------------------------------------------------------------------------------------------------ reading
    @staticmethod
    def _columns(
        path: str | None, targets: list[str] | None, inputs: list[str] | None, known: list[str]
    ) -> tuple[list[str], list[str], list[str]]:
        if path is None:
            targets = targets or ["temperature"]
            if inputs is None:
                inputs = [c for c in WEATHER_COLUMNS if c not in targets and c not in known]
            unknown = sorted(set(targets + inputs + known) - set(WEATHER_COLUMNS))
            if unknown:
                raise ValueError(f"the embedded weather has no column {unknown}: it has {list(WEATHER_COLUMNS)}")
        elif not targets:
            raise ValueError(f"target_columns must name the column(s) of {path} to forecast")
        inputs = inputs or []
        named = targets + inputs + known
        repeated = sorted({c for c in named if named.count(c) > 1})
        if repeated:
            raise ValueError(f"columns {repeated} are named more than once among target, input and known columns")
        return list(targets), list(inputs), list(known)

    def _regularise(self, readings: list[SeriesReadings]) -> list[RegularSeries]:
        origin = min(r.timestamps[0] for r in readings if len(r.timestamps))
        regular = []
        for r in readings:
            times, values = to_grid(r, self.frequency, origin)
            regular.append(apply_missing(r, times, values, self.missing))
        return regular

    def _fit(self, series: RegularSeries, train: tuple[int, int]) -> Scaling:
        a, b = train
        if b - a < 2:
            raise ValueError(f"{series.where}: series {series.series_id!r} has {b - a} steps in the training span: "
                             f"too few to normalise by (it starts at {series.times[0]})")
        return fit_scaling(series.values[a:b], series.observed[a:b], f"{series.where}: series {series.series_id!r}")

    # ------------------------------------------------------------------------------------------------ model inputs
    def _prepare(self) -> list[PreparedSeries]:
        k, p = len(self.target_columns), len(self.target_columns) + len(self.input_columns)
        prepared = []
        for series, span in zip(self.regular, self.spans, strict=True):
            scaling = self.scaling[series.series_id]
            normal = np.where(series.observed, (series.values - scaling.loc) / scaling.scale, 0.0)  # (T, C)
            indicators = series.observed.astype(np.float64)
            mask = self.missing == "mask"
            past = np.concatenate([normal[:, :p], indicators[:, :p]] if mask else [normal[:, :p]], axis=1)
            known = self._known(series.times[0], len(series.times), normal[:, p:],
                                indicators[:, p:] if mask else None)
            a, b = span["train"]
            naive = seasonal_naive_error(series.values[a:b, :k], series.observed[a:b, :k], self.season_length)
            prepared.append(PreparedSeries(
                past.astype(np.float32), known, normal[:, :k].astype(np.float32), series.observed[:, :k].copy(),
                scaling.loc[:k], scaling.scale[:k], naive,
            ))
        return prepared

    def _known(self, start: np.datetime64, steps: int, known: np.ndarray, indicators: np.ndarray | None) -> np.ndarray:
        """Known inputs of ``steps`` grid steps from ``start`` and ``horizon`` more past them (calendar only there)."""
        times = self.frequency.times(start, 0, steps + self.horizon)
        parts = [calendar_features(times, self.calendar)]
        if known.shape[1]:
            extra = np.zeros((self.horizon, known.shape[1] * (2 if indicators is not None else 1)))
            columns = np.concatenate([known, indicators], axis=1) if indicators is not None else known
            parts.append(np.concatenate([columns, extra], axis=0))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _windows(self, split: str) -> list[Window]:
        stride = self.stride if split == "train" else self.eval_stride
        windows = [
            w for i, span in enumerate(self.spans)
            for w in windows_in(i, span[split], self.context_length, self.min_context, self.horizon, stride)
        ]
        steps = [span[split][1] - span[split][0] for span in self.spans]
        check_windows(windows, split, (
            f"a window needs min_context + horizon = {self.min_context + self.horizon} steps inside the split, and "
            f"its longest span holds {max(steps)} (lower min_context or horizon, or move the split times)"
        ))
        return windows

    def split_records(self, split: str) -> list[Window]:
        """The windows of ``split``; ``predict`` is one window per series, forecasting past its last reading."""
        if split == "predict" and "predict" not in self.records:
            if self.known_columns:
                raise ValueError(
                    f"forecasting past the end of the data needs the future values of known_columns "
                    f"{self.known_columns}: predict reads none (use test, or leave those columns out)"
                )
            self.records["predict"] = [
                Window(i, max(0, len(s.past) - self.context_length), len(s.past)) for i, s in enumerate(self.prepared)
            ]
        return super().split_records(split)

    def setup(self, stage: str | None = None) -> None:
        """Build the data sets ``stage`` needs; ``predict`` reads the windows at each series' end (not test's)."""
        if stage == "predict" and "predict" not in self.datasets:
            self.datasets["predict"] = self.to_dataset("predict", self.split_records("predict"))
        super().setup(stage)

    def to_dataset(self, split: str, records: list[Window]) -> ForecastWindows:  # type: ignore[override]
        """The windows of ``split`` over the prepared series."""
        return ForecastWindows(self.prepared, records, self.horizon)

    def record_id(self, record: Window) -> str:
        """``series@time``: the series and the first forecast step's time."""
        series = self.regular[record.series]
        return f"{series.series_id}@{self.frequency.times(series.times[0], record.end, 1)[0]}"

    def source_hint(self, split: str) -> str:
        """Every split comes from one file, cut in time."""
        return "--data.path (the splits are cut from it in time)"

    # ------------------------------------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The normalisation of every series (a checkpoint keeps it: forecasts are in the units it trained in)."""
        return {**super().state_dict(), "scaling": {name: s.to_state() for name, s in self.scaling.items()}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take a checkpoint's normalisation: the model reads inputs in the units it was trained in.

        A series the checkpoint has no statistics for is an error naming it (the model never saw it).
        """
        super().load_state_dict(state_dict)
        saved = state_dict.get("scaling")
        if not saved:
            return
        unseen = [name for name in self.scaling if name not in saved]
        if unseen:
            raise ValueError(f"series {unseen[:5]} were not in the checkpoint's training data: their normalisation "
                             f"is unknown")
        self.scaling = {name: Scaling.from_state(saved[name]) for name in self.scaling}
        self.prepared = self._prepare()
        for split in list(self.datasets):  # the Trainer builds its loaders after restoring, from these
            self.datasets[split] = self.to_dataset(split, self.split_records(split))

    @property
    def series_ids(self) -> list[str]:
        """The series' names, in order."""
        return [s.series_id for s in self.regular]

    def describe(self) -> str:
        """One line: series, grid, splits' windows."""
        counts = ", ".join(f"{split} {len(self.records[split])}" for split in ("train", "val", "test"))
        where = Path(self.paths["train"]).name if self.paths["train"] else "embedded weather"
        return (f"{where}: {len(self.regular)} series on a {self.frequency} grid, windows {counts} "
                f"(context {self.context_length}, horizon {self.horizon})")
