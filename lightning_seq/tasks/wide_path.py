"""A token classifier's wide path: its construction, its logits from token ids, its pre-fit, its optimizer group."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from lightning_seq.nn.hashed_ngrams import tokens_to_text
from lightning_seq.nn.wide import WideFactory, WideNgrams

log = logging.getLogger(__name__)


class WidePathMixin:
    """Adds an optional ``WideNgrams`` path to a token classifier (``SequenceClassifier``).

    The task calls ``build_wide_path`` at the end of its constructor, adds ``wide_logits`` to its own logits and
    ``wide_penalty()`` to its training loss. Before the first training step the path is fitted alone to its L2
    optimum on the data module's training loader (its strength chosen on the validation loader), unless the weights
    came from a checkpoint that was already fitted. Under DDP each rank fits on its share and rank 0's fit is kept.
    """

    def build_wide_path(self, wide: WideFactory | None, recurrent: bool) -> None:
        """Build the wide path for ``num_classes`` logits; start the head at zero beside it; freeze an unused one."""
        self.recurrent = recurrent
        self.wide = wide(self.num_classes) if wide is not None else None
        if self.wide is not None and not isinstance(self.wide, WideNgrams):
            raise TypeError(f"wide must build a WideNgrams, got {type(self.wide).__name__}")
        if self.wide is not None and recurrent:
            last = self.head.net[-1]
            torch.nn.init.zeros_(last.weight)
            torch.nn.init.zeros_(last.bias)
        if not recurrent:  # built but never read: frozen, so no optimizer or DDP reducer waits for its gradients
            for name, module in self.named_children():
                if name != "wide":
                    module.requires_grad_(False)
        if self.wide is not None and self.wide.lr_scale == 0:
            self.wide.requires_grad_(False)

    def texts_of(self, inputs: Tensor, lengths: Tensor) -> list[str]:
        """The text each row of token ids ``(B, T)`` stands for, read through the vocabulary."""
        vocabulary = self.vocabulary
        if vocabulary is None:
            raise ValueError("the wide path reads texts through the vocabulary: fit with a data module that has one")
        return [
            tokens_to_text([vocabulary[i] for i in row[:n]])
            for row, n in zip(inputs.tolist(), lengths.tolist(), strict=True)
        ]

    def wide_logits(self, inputs: Tensor, lengths: Tensor) -> Tensor | None:
        """``(B, C)`` logits of the wide path for token ids ``(B, T)``; None without one."""
        if self.wide is None:
            return None
        return self.wide(self.texts_of(inputs, lengths))

    def export_blocker(self) -> str | None:
        """The wide path counts n-grams of texts in Python: no traced graph holds it."""
        if self.wide is None:
            return super().export_blocker()
        return "the wide path (wide) counts n-grams in Python and cannot be exported: serve it with Predictor"

    def wide_penalty(self) -> Tensor | float:
        """The wide path's own L2 term while it trains (0 without one, or when it is kept fixed)."""
        if self.wide is None or self.wide.lr_scale == 0:
            return 0.0
        return self.wide.penalty()

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The wide path in a group of its own: no weight decay (its L2 is in the loss) and its ``lr_scale``."""
        if self.wide is None:
            return super().parameter_groups()
        wide = {id(p) for p in self.wide.parameters()}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in wide]
        own = [p for p in self.wide.parameters() if p.requires_grad]
        return [{"params": rest}, {"params": own, "weight_decay": 0.0, "lr_scale": self.wide.lr_scale}]

    def on_train_start(self) -> None:
        """Size the schedule (``SequenceTask``), then pre-fit the wide path unless it is fitted already."""
        super().on_train_start()
        if self.wide is None or bool(self.wide.fitted):
            return
        datamodule = self.datamodule
        if datamodule is None:
            raise ValueError("the wide path is pre-fitted on the data module's loaders: fit with a data module")
        train = self.texts_and_targets(datamodule.train_dataloader())
        val = self.texts_and_targets(datamodule.val_dataloader()) if self.wide.l2_given is None else None
        self.wide.prefit(train, val, log=log.info)
        kept = self.trainer.strategy.broadcast({k: v.cpu() for k, v in self.wide.state_dict().items()}, src=0)
        self.wide.load_state_dict(kept)

    def texts_and_targets(self, loader: Iterable[Any]) -> tuple[list[str], Tensor]:
        """Every text and class id a loader yields (batches of token ids back to texts)."""
        texts: list[str] = []
        targets: list[Tensor] = []
        for batch in loader:
            texts += self.texts_of(batch.inputs, batch.lengths)
            targets.append(batch.targets)
        return texts, torch.cat(targets)
