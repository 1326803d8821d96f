"""Random convolutional kernels and a ridge classifier: the strong, fast classical baseline of series classification.

The idea of ROCKET/MiniRocket, written here from their papers' description.

Each kernel is nine weights of -1 and 2 (three twos, so they sum to zero), a dilation spread exponentially up to
a ninth of the shortest case, one input channel and a bias drawn from the quantiles of its own output on training
cases. A case becomes two features per kernel over its valid steps: the share of steps where the output exceeds the
bias (PPV) and the largest output. A ridge regression onto one-hot classes, its L2 strength chosen on validation,
classifies the features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lightning_seq.baselines.forecast import RidgeForecast

KERNEL_LENGTH = 9


def _padded(cases: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(N, T, D)`` zero-padded cases and ``(N, T)`` masks of their valid steps."""
    longest = max(len(c) for c in cases)
    values = np.zeros((len(cases), longest, cases[0].shape[1]))
    valid = np.zeros((len(cases), longest), dtype=bool)
    for i, case in enumerate(cases):
        values[i, : len(case)], valid[i, : len(case)] = case, True
    return values, valid


class RandomKernelFeatures:
    """Two features (PPV, max) per random dilated kernel; see the module docstring.

    Args:
        num_kernels: kernels drawn (features: twice as many).
        seed: seed of the kernels and their biases.
    """

    def __init__(self, num_kernels: int = 500, seed: int = 0) -> None:
        if num_kernels < 1:
            raise ValueError(f"num_kernels must be >= 1, got {num_kernels!r}")
        self.num_kernels, self.seed = num_kernels, seed
        self.kernels: list[tuple[np.ndarray, int, int, float]] = []  # weights, dilation, channel, bias

    def _outputs(self, values: np.ndarray, weights: np.ndarray, dilation: int, channel: int) -> np.ndarray:
        """``(N, T)`` the kernel's output at every step (zero outside each case: "same" padding)."""
        x = values[:, :, channel]
        half = (KERNEL_LENGTH // 2) * dilation
        padded = np.pad(x, ((0, 0), (half, half)))
        out = np.zeros_like(x)
        for j, w in enumerate(weights):
            out += w * padded[:, j * dilation : j * dilation + x.shape[1]]
        return out

    def fit(self, cases: Sequence[np.ndarray]) -> RandomKernelFeatures:
        """Draw the kernels; each bias is a random quantile of its output on one random training case."""
        rng = np.random.default_rng(self.seed)
        values, valid = _padded(cases)
        shortest = min(len(c) for c in cases)
        largest = max(0.0, np.log2(max(1.0, (shortest - 1) / (KERNEL_LENGTH - 1))))
        self.kernels = []
        for _ in range(self.num_kernels):
            weights = -np.ones(KERNEL_LENGTH)
            weights[rng.choice(KERNEL_LENGTH, 3, replace=False)] = 2.0
            dilation = int(2 ** rng.uniform(0, largest))
            channel = int(rng.integers(values.shape[2]))
            case = int(rng.integers(len(cases)))
            out = self._outputs(values[case : case + 1], weights, dilation, channel)[0][valid[case]]
            self.kernels.append((weights, dilation, channel, float(np.quantile(out, rng.uniform(0.25, 0.75)))))
        return self

    def transform(self, cases: Sequence[np.ndarray]) -> np.ndarray:
        """``(N, 2 · num_kernels)`` features of ``cases`` (each ``(T_i, D)``)."""
        if not self.kernels:
            raise RuntimeError("fit the kernels first")
        values, valid = _padded(cases)
        counts = valid.sum(axis=1)
        features = np.empty((len(cases), 2 * len(self.kernels)))
        for k, (weights, dilation, channel, bias) in enumerate(self.kernels):
            out = self._outputs(values, weights, dilation, channel)
            features[:, 2 * k] = ((out > bias) & valid).sum(axis=1) / counts
            features[:, 2 * k + 1] = np.where(valid, out, -np.inf).max(axis=1)
        return features


class RandomKernelClassifier:
    """Random kernel features, standardised, and a ridge regression onto one-hot classes.

    Args:
        num_kernels: kernels drawn.
        alphas: the ridge strengths tried on validation.
        seed: seed of the kernels.
    """

    def __init__(self, num_kernels: int = 500, alphas: Sequence[float] = (0.1, 1.0, 10.0, 100.0, 1000.0),
                 seed: int = 0) -> None:
        self.features = RandomKernelFeatures(num_kernels, seed)
        self.ridge = RidgeForecast(alphas)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def _standard(self, cases: Sequence[np.ndarray]) -> np.ndarray:
        assert self.mean is not None and self.std is not None
        return (self.features.transform(cases) - self.mean) / self.std

    def fit(self, cases: Sequence[np.ndarray], labels: Sequence[int], val_cases: Sequence[np.ndarray],
            val_labels: Sequence[int], num_classes: int) -> RandomKernelClassifier:
        """Fit on training cases and class ids, choosing the ridge strength on the validation cases."""
        train = self.features.fit(cases).transform(cases)
        self.mean, self.std = train.mean(axis=0), train.std(axis=0) + 1e-8
        targets = 2.0 * np.eye(num_classes)[np.asarray(labels)] - 1.0
        val_targets = 2.0 * np.eye(num_classes)[np.asarray(val_labels)] - 1.0
        self.ridge.fit_select((train - self.mean) / self.std, targets, self._standard(val_cases), val_targets)
        return self

    def predict(self, cases: Sequence[np.ndarray]) -> np.ndarray:
        """``(N,)`` class ids."""
        return self.ridge.predict(self._standard(cases)).argmax(axis=1)
