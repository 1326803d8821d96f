"""Classical baselines a recipe is compared with on the same split (they need no accelerator and no training loop)."""

from lightning_seq.baselines.kneser_ney import KneserNeyLM, token_symbols

__all__ = ["KneserNeyLM", "token_symbols"]
