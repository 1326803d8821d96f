"""Samples to batches: padding collate functions and the DDP-correct bucketing sampler."""
