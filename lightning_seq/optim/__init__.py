"""Learning-rate schedules the recipes use."""

from lightning_seq.optim.warmup_cosine import WarmupCosineLR

__all__ = ["WarmupCosineLR"]
