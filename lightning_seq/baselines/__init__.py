"""Classical baselines a recipe is compared with on the same split (they need no accelerator and no training loop)."""

from lightning_seq.baselines.forecast import RidgeForecast, persistence, seasonal_naive
from lightning_seq.baselines.kneser_ney import KneserNeyLM, token_symbols
from lightning_seq.baselines.random_kernels import RandomKernelClassifier, RandomKernelFeatures

__all__ = [
    "KneserNeyLM",
    "RandomKernelClassifier",
    "RandomKernelFeatures",
    "RidgeForecast",
    "persistence",
    "seasonal_naive",
    "token_symbols",
]
