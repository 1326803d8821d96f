"""Generated hourly weather at a few stations: the embedded default data of the time-series recipes (no download).

Each station reads temperature (°C), relative humidity (%), pressure (hPa), wind speed (m/s) and rain (mm in the
hour). What makes it a forecasting problem rather than a sum of sines:

* **fronts** arrive at random (about every four days) and pass the stations in turn, a few hours apart: pressure falls
  for half a day before one and recovers after it, the wind rises with the pressure tendency, rain comes with it,
  and the air behind it is colder for days, by more the deeper the front;
* the **daily cycle** of temperature (and, inversely, humidity) shrinks under cloud and rain, so its amplitude is
  not fixed; the **yearly cycle** moves the mean;
* **rain** is zero most hours and comes in bursts (a wet/dry chain whose onset rate rises near fronts and under low
  pressure);
* **sensors drop out**: blocks of an hour to a day of missing readings, per sensor.

A linear model on lags and calendar features predicts the cycles and the persistence well; what the fronts do next
(a falling barometer now, cold air tomorrow) is what a recurrent model must learn to win.
"""

from __future__ import annotations

import numpy as np

from lightning_seq.data.series.table import SeriesReadings

WEATHER_COLUMNS = ("temperature", "humidity", "pressure", "wind_speed", "rain")
WEATHER_START = np.datetime64("2022-01-01T00:00", "s")


def _ar1(rng: np.random.Generator, size: int, phi: float, sigma: float) -> np.ndarray:
    noise = rng.normal(0.0, sigma, size)
    out = np.empty(size)
    level = rng.normal(0.0, sigma / np.sqrt(1 - phi**2))
    for t in range(size):
        level = phi * level + noise[t]
        out[t] = level
    return out


def _fronts(rng: np.random.Generator, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Arrival hours and depths (hPa) of the fronts of the whole period."""
    arrivals = np.cumsum(rng.exponential(96.0, size=hours // 24 + 10))
    arrivals = arrivals[arrivals < hours + 48]
    return arrivals, rng.uniform(6.0, 24.0, size=len(arrivals))


def _station(rng: np.random.Generator, hours: int, arrivals: np.ndarray, depths: np.ndarray) -> np.ndarray:
    """``(hours, 5)`` readings of one station (no dropouts yet)."""
    t = np.arange(hours, dtype=np.float64)
    hour_of_day, day_of_year = t % 24, (t / 24) % 365.25
    dip = np.zeros(hours)  # pressure drop of the fronts
    cold = np.zeros(hours)  # temperature change behind them
    near = np.zeros(hours)  # closeness to a front passing (0..1)
    for arrival, depth in zip(arrivals, depths, strict=True):
        lo, hi = max(0, int(arrival) - 96), min(hours, int(arrival) + 360)  # where the front is felt
        if lo >= hi:
            continue
        lag = t[lo:hi] - arrival
        before = lag < 0
        dip[lo:hi] += depth * np.exp(np.where(before, lag / 14.0, -lag / 30.0))
        behind = -0.28 * depth * np.exp(-np.abs(lag) / 60.0) * (1 - np.exp(-np.abs(lag) / 6))
        cold[lo:hi] += np.where(before, 1.5 * np.exp(np.minimum(lag, 0) / 10.0), behind)
        near[lo:hi] += np.exp(-0.5 * (lag / 6.0) ** 2)
    pressure = 1016.0 + _ar1(rng, hours, 0.998, 0.22) - dip + rng.normal(0, 0.15, hours)
    tendency = np.concatenate([np.zeros(3), pressure[3:] - pressure[:-3]])  # hPa per 3 h
    wet = np.zeros(hours, dtype=bool)
    state = False
    start_rate = 0.004 + 0.18 * np.clip(near, 0, 1) + 0.01 * (pressure < 1002)
    draws = rng.random(hours)
    for k in range(hours):
        state = draws[k] >= 0.18 if state else draws[k] < start_rate[k]
        wet[k] = state
    rain = np.where(wet, rng.gamma(0.7, 1.6, hours), 0.0)
    cloud = np.clip(0.35 + 0.5 * np.convolve(wet.astype(float), np.ones(12) / 12, "same") + 0.15 * np.clip(near, 0, 1)
                    + _ar1(rng, hours, 0.97, 0.05), 0.0, 1.0)
    climate = rng.uniform(7.0, 12.0)
    yearly = -rng.uniform(7.0, 10.0) * np.cos(2 * np.pi * (day_of_year - 20) / 365.25)
    daily = -rng.uniform(4.0, 6.0) * (1.0 - 0.7 * cloud) * np.cos(2 * np.pi * (hour_of_day - 3) / 24)
    temperature = climate + yearly + daily + cold + _ar1(rng, hours, 0.985, 0.18) + rng.normal(0, 0.15, hours)
    humidity = np.clip(72 - 2.2 * daily + 18 * cloud + 8 * wet + _ar1(rng, hours, 0.95, 1.2), 15, 100)
    wind = np.clip(2.0 + 0.9 * np.abs(tendency) + 0.12 * np.clip(1014 - pressure, 0, None)
                   + rng.weibull(2.0, hours) * 1.2 - 0.6, 0.0, None)
    return np.stack([temperature, humidity, pressure, wind, rain], axis=1)


def _drop_out(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Blocks of missing readings, about one per sensor a month, an hour to a day long."""
    values = values.copy()
    hours = len(values)
    for column in range(values.shape[1]):
        for start in np.flatnonzero(rng.random(hours) < 1 / (30 * 24)):
            values[start : start + int(rng.integers(1, 25)), column] = np.nan
    return values


def generate_weather(stations: int = 3, days: int = 730, seed: int = 0, dropouts: bool = True) -> list[SeriesReadings]:
    """Hourly readings of ``stations`` stations over ``days`` days, from 2022-01-01, one series each.

    Args:
        stations: number of stations (series); the fronts reach station ``k`` ``5·k`` hours after station 0.
        days: length of every series, in days.
        seed: seed of everything drawn.
        dropouts: leave sensor dropouts in as missing readings (NaN).
    """
    if stations < 1:
        raise ValueError(f"stations must be >= 1, got {stations!r}")
    if days < 2:
        raise ValueError(f"days must be >= 2, got {days!r}")
    rng = np.random.default_rng(seed)
    hours = days * 24
    arrivals, depths = _fronts(rng, hours)
    times = WEATHER_START + np.arange(hours).astype("timedelta64[h]").astype("timedelta64[s]")
    series = []
    for k in range(stations):
        values = _station(rng, hours, arrivals + 5.0 * k, depths * rng.uniform(0.8, 1.2, len(depths)))
        if dropouts:
            values = _drop_out(rng, values)
        series.append(SeriesReadings(f"station_{k + 1}", times, values, WEATHER_COLUMNS, "<generated weather>"))
    return series
