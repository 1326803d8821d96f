"""A token classifier's wide path: its construction, its logits from token ids, its pre-fit, its optimizer group."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal

import torch
from torch import Tensor

from lightning_seq.nn.hashed_ngrams import token_kind, tokens_to_text
from lightning_seq.nn.wide import WideFactory, WideNgrams

log = logging.getLogger(__name__)

WideMix = Literal["sum", "average"]
"""How the wide path joins the recurrent one: ``sum`` of logits, trained together (wide & deep), or ``average``
of the two paths' probabilities, each fitted alone, the wide path's weight chosen on validation (an ensemble)."""

MIX_WEIGHTS = tuple(i / 20 for i in range(21))
"""The wide path's weights ``w`` an ``average`` mixture tries on validation: ``(1 - w) p_recurrent + w p_wide``."""


class WidePathMixin:
    """Adds an optional ``WideNgrams`` path to a token classifier (``SequenceClassifier``).

    The task calls ``build_wide_path`` at the end of its constructor, joins its recurrent logits with the wide
    path's by ``join_paths`` and adds ``wide_penalty()`` to its training loss. Before the first training step the
    path is fitted alone to its L2 optimum on the data module's training loader (its strength chosen on the
    validation loader), unless the weights came from a checkpoint that was already fitted. Under DDP each rank fits
    on its share and rank 0's fit is kept.

    With ``mix="average"`` the pre-fitted path stays fixed, the recurrent path trains on its own loss, and the
    model's output is the log of ``(1 - w) p_recurrent + w p_wide``; at the end of every validation (not the sanity
    check) ``w`` is chosen from ``MIX_WEIGHTS`` by the validation log-loss summed over ranks, kept in the checkpoint
    as the buffer ``wide_weight`` and logged as ``val/wide_weight``, and the epoch's validation metrics are those of
    the chosen mixture.
    """

    def build_wide_path(self, wide: WideFactory | None, recurrent: bool, mix: WideMix = "sum") -> None:
        """Build the wide path for ``num_classes`` logits; start the head at zero beside it; freeze an unused one."""
        if mix not in ("sum", "average"):
            raise ValueError(f"wide_mix must be 'sum' or 'average', got {mix!r}")
        if mix == "average" and (wide is None or not recurrent):
            raise ValueError("wide_mix='average' mixes two paths: give the wide path (wide) and keep recurrent=True")
        self.recurrent, self.wide_mix = recurrent, mix
        self.wide = wide(self.num_classes) if wide is not None else None
        if self.wide is not None and not isinstance(self.wide, WideNgrams):
            raise TypeError(f"wide must build a WideNgrams, got {type(self.wide).__name__}")
        self.register_buffer("wide_weight", torch.tensor(0.5) if mix == "average" else None)
        self._mix_rows: list[tuple[Tensor, Tensor, Tensor]] = []  # one validation's (recurrent, wide, targets)
        if self.wide is not None and recurrent and mix == "sum":
            last = self.head.net[-1]
            torch.nn.init.zeros_(last.weight)
            torch.nn.init.zeros_(last.bias)
        if not recurrent:  # built but never read: frozen, so no optimizer or DDP reducer waits for its gradients
            for name, module in self.named_children():
                if name != "wide":
                    module.requires_grad_(False)
        if self.wide is not None and not self.wide_trains:
            self.wide.requires_grad_(False)

    @property
    def wide_trains(self) -> bool:
        """Whether the wide path's weights move after the pre-fit (not with ``lr_scale=0`` or in an average)."""
        return self.wide is not None and self.wide.lr_scale > 0 and self.wide_mix == "sum"

    def join_paths(self, recurrent: Tensor, wide: Tensor | None) -> Tensor:
        """The model's ``(B, C)`` logits from the recurrent path's and the wide path's (either may be absent)."""
        if wide is None:
            return recurrent
        if self.wide_mix == "sum":
            return recurrent + wide
        weight = self.wide_weight.clamp(0.0, 1.0)
        return torch.logaddexp(  # log((1 - w) p_recurrent + w p_wide); log(0) = -inf is exact at w = 0 or 1
            recurrent.float().log_softmax(-1) + torch.log1p(-weight), wide.float().log_softmax(-1) + weight.log()
        )

    def keep_for_mixing(self, recurrent: Tensor, wide: Tensor, targets: Tensor) -> None:
        """Remember one validation batch's logits of both paths (``(B, C)`` each) for choosing the weight."""
        self._mix_rows.append((recurrent.detach().float(), wide.detach().float(), targets))

    def choose_wide_weight(self) -> tuple[Tensor, Tensor]:
        """Choose ``wide_weight`` on the kept validation rows (log-loss over every rank); the rows' mixed logits.

        Returns:
            ``(N, C)`` logits of the chosen mixture and the ``(N,)`` targets of this rank's kept rows.
        """
        recurrent, wide, targets = (torch.cat(parts) for parts in zip(*self._mix_rows, strict=True))
        self._mix_rows = []
        if not self.trainer.sanity_checking:  # the sanity check runs before the wide path is fitted
            losses = []
            for w in MIX_WEIGHTS:
                self.wide_weight.fill_(w)
                losses.append(torch.nn.functional.cross_entropy(
                    self.join_paths(recurrent, wide), targets, reduction="sum"))
            total = self.trainer.strategy.reduce(torch.stack(losses), reduce_op="sum")  # (len(MIX_WEIGHTS),)
            self.wide_weight.fill_(MIX_WEIGHTS[int(total.argmin())])
            self.log("val/wide_weight", self.wide_weight.clone())
        return self.join_paths(recurrent, wide), targets

    def texts_of(self, inputs: Tensor, lengths: Tensor) -> list[str]:
        """The text each row of token ids ``(B, T)`` stands for, read through the vocabulary."""
        vocabulary = self.vocabulary
        if vocabulary is None:
            raise ValueError("the wide path reads texts through the vocabulary: fit with a data module that has one")
        if getattr(self, "_token_kind", (None,))[0] is not vocabulary:  # decided once per vocabulary
            self._token_kind = (vocabulary, token_kind(vocabulary))
        kind = self._token_kind[1]
        return [
            tokens_to_text([vocabulary[i] for i in row[:n]], kind)
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
        if not self.wide_trains:
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
