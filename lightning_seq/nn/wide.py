"""The "wide" path of a wide & deep text classifier: a linear model over tf-idf-weighted hashed n-grams.

A bag-of-n-grams table trained jointly with a recurrent model by the same optimizer memorises the training texts;
logistic regression with L2 over the same n-grams generalises. ``WideNgrams`` is that logistic regression inside
the model: its own L2 (a penalty on this path's weights only), fitted to its optimum before the recurrent path
starts (full-batch L-BFGS, its strength chosen on validation), and its logits summed with the recurrent ones, so
training starts where logistic regression ends and the recurrent path learns what it cannot.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lightning_seq.nn.hashed_ngrams import HashedNgrams, sublinear

C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
"""scikit-learn ``C`` values the pre-fit tries when no ``l2`` is given (each is ``l2 = 1 / (C * rows)``)."""

CACHE_TEXTS = 200_000
"""Texts whose counts the path remembers, so later epochs do not count them again."""


class SparseRows(NamedTuple):
    """Hashed n-gram counts of a batch of texts, flattened as ``nn.EmbeddingBag`` reads them.

    Attributes:
        buckets: ``(N,)`` int64 column of each nonzero.
        tf: ``(N,)`` float sublinear term frequency ``1 + ln(count)``.
        blocks: ``(N,)`` int64 ``row * num_blocks + block``: which row and block each nonzero belongs to.
        offsets: ``(B,)`` int64 start of each row's nonzeros.
    """

    buckets: Tensor
    tf: Tensor
    blocks: Tensor
    offsets: Tensor


class WideNgrams(nn.Module):
    """Logistic regression over tf-idf-weighted hashed word and character n-grams, as a module.

    Features are scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` over word 1..``word_order``-grams and
    ``char_wb`` ``char_orders`` n-grams, hashed into ``num_buckets`` columns, each block scaled to unit length
    (as a union of the two vectorizers); the inverse document frequencies are counted on the training texts by
    ``fit_idf``. The loss of this path is cross-entropy plus ``penalty()``, ``l2 / 2 * ||W||^2`` (the bias is not
    penalised), which is scikit-learn's ``LogisticRegression(C=1 / (l2 * rows))``.

    Args:
        num_classes: logits ``C`` (linked from the data through the task).
        num_buckets: hashed columns (2^18: 1 MB of weights per class).
        word_order: longest word n-gram (0: no word block).
        char_orders: shortest and longest character n-gram within words (``[0, 0]``: no character block).
        l2: the L2 strength; None chooses it on validation when the path is pre-fitted (``C_GRID``).
        lr_scale: this path's learning rate as a multiple of the task's once the recurrent path trains (0: keep
            the pre-fitted weights fixed).
        prefit_iterations: most L-BFGS iterations per L2 strength in the pre-fit.
    """

    def __init__(
        self,
        num_classes: int,
        num_buckets: int = 2**18,
        word_order: int = 2,
        char_orders: Sequence[int] = (2, 5),
        l2: float | None = None,
        lr_scale: float = 1.0,
        prefit_iterations: int = 300,
    ) -> None:
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes!r}")
        if l2 is not None and not (l2 > 0 and math.isfinite(l2)):
            raise ValueError(f"l2 must be a positive number (None: chosen on validation), got {l2!r}")
        if not (lr_scale >= 0 and math.isfinite(lr_scale)):
            raise ValueError(f"lr_scale must be >= 0, got {lr_scale!r}")
        if prefit_iterations < 1:
            raise ValueError(f"prefit_iterations must be >= 1, got {prefit_iterations!r}")
        self.ngrams = HashedNgrams(num_buckets, word_order, char_orders)
        self.l2_given, self.lr_scale, self.prefit_iterations = l2, lr_scale, prefit_iterations
        self.weight = nn.EmbeddingBag(num_buckets, num_classes, mode="sum")
        nn.init.zeros_(self.weight.weight)
        self.bias = nn.Parameter(torch.zeros(num_classes))
        self.register_buffer("idf", torch.ones(num_buckets))
        self.register_buffer("l2", torch.tensor(l2 if l2 is not None else 0.0))
        self.register_buffer("fitted", torch.tensor(False))
        self._cache: dict[str, list] = {}  # text -> its counts; emptied when it reaches CACHE_TEXTS

    def sparse_rows(self, texts: Sequence[str]) -> SparseRows:
        """The hashed counts of ``texts`` (cached per text: later epochs do not count again)."""
        buckets: list[int] = []
        tf: list[float] = []
        blocks: list[int] = []
        offsets: list[int] = []
        per_row = self.ngrams.num_blocks
        for row, text in enumerate(texts):
            offsets.append(len(buckets))
            for block, counts in enumerate(self.counts(text)):
                buckets.extend(counts)
                tf.extend(sublinear(c) for c in counts.values())
                blocks.extend([row * per_row + block] * len(counts))
        device = self.idf.device
        as_long = functools.partial(torch.tensor, dtype=torch.long, device=device)
        return SparseRows(as_long(buckets), torch.tensor(tf, device=device), as_long(blocks), as_long(offsets))

    def counts(self, text: str) -> list:
        """The hashed counts of one text, per block, remembered for ``CACHE_TEXTS`` texts."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) >= CACHE_TEXTS:
                self._cache.clear()
            found = self._cache[text] = self.ngrams(text)
        return found

    def tfidf(self, rows: SparseRows, num_rows: int) -> Tensor:
        """``(N,)`` tf-idf value of each nonzero, each row's block scaled to unit length."""
        values = rows.tf * self.idf[rows.buckets]
        norms = torch.zeros(num_rows * self.ngrams.num_blocks, device=values.device).index_add_(
            0, rows.blocks, values.square()
        )
        return values / norms.sqrt().clamp(min=1e-12)[rows.blocks]

    def logits_of(self, rows: SparseRows, values: Tensor) -> Tensor:
        """``(B, C)`` logits of rows whose tf-idf ``values`` are known."""
        return self.weight(rows.buckets, rows.offsets, per_sample_weights=values) + self.bias

    def forward(self, texts: Sequence[str]) -> Tensor:
        """Logits of this path.

        Args:
            texts: ``B`` texts (the task turns its token ids back into text).

        Returns:
            ``(B, C)`` logits.
        """
        rows = self.sparse_rows(texts)
        return self.logits_of(rows, self.tfidf(rows, len(texts)).to(self.weight.weight.dtype))

    def penalty(self) -> Tensor:
        """``l2 / 2 * ||W||^2``: this path's own L2, added to the task's loss."""
        return 0.5 * self.l2 * self.weight.weight.float().square().sum()

    def fit_idf(self, texts: Sequence[str]) -> None:
        """Count document frequencies on the training texts: ``idf = ln((1 + n) / (1 + df)) + 1`` (scikit-learn's)."""
        rows = self.sparse_rows(texts)
        row_of = rows.blocks // self.ngrams.num_blocks
        pairs = torch.unique(row_of * self.idf.numel() + rows.buckets)  # each (row, bucket) once
        df = torch.bincount(pairs % self.idf.numel(), minlength=self.idf.numel()).float()
        self.idf.copy_(torch.log((1.0 + len(texts)) / (1.0 + df)) + 1.0)

    def prefit(
        self,
        train: tuple[Sequence[str], Tensor],
        val: tuple[Sequence[str], Tensor] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> dict[float, float]:
        """Fit idf and this path's weights alone to their L2 optimum (full-batch L-BFGS), choosing L2 on ``val``.

        Args:
            train: the training texts and their ``(N,)`` class ids.
            val: validation texts and ids; needed when no ``l2`` was given.
            log: called with one line per L2 strength tried.

        Returns:
            The validation accuracy of each L2 strength tried (empty when ``l2`` was given).
        """
        texts, targets = train
        if len(texts) == 0:
            raise ValueError("the wide path's pre-fit needs training texts")
        if self.l2_given is None and val is None:
            raise ValueError("the wide path chooses its l2 on validation data: give a validation split, or l2")
        self.fit_idf(texts)
        train_rows = self.sparse_rows(texts)
        used, columns = torch.unique(train_rows.buckets, return_inverse=True)  # only these columns can move
        row_of = train_rows.blocks // self.ngrams.num_blocks
        with warnings.catch_warnings():  # torch calls its CSR layout beta; sparse.mm over it is what is used here
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            matrix = torch.sparse_coo_tensor(
                torch.stack([row_of, columns]), self.tfidf(train_rows, len(texts)), (len(texts), used.numel()),
                check_invariants=False,  # built here from unique columns: valid by construction
            ).to_sparse_csr()  # (N, U)
        targets = targets.to(self.bias.device)
        strengths = [self.l2_given] if self.l2_given is not None else [1.0 / (c * len(texts)) for c in C_GRID]
        compact = nn.Parameter(self.weight.weight.detach()[used].clone())  # (U, C)
        scores: dict[float, float] = {}
        best: tuple[float, float, Tensor, Tensor, float] | None = None
        for l2 in strengths:  # strongest first: each warm-starts the next
            self._lbfgs(matrix, compact, targets, l2)
            with torch.no_grad():
                self.weight.weight.zero_()
                self.weight.weight[used] = compact.detach()
            if val is None:
                break
            with torch.no_grad():
                val_logits = self(val[0])
                val_targets = val[1].to(val_logits.device)
                accuracy = (val_logits.argmax(-1) == val_targets).float().mean().item()
                loss = F.cross_entropy(val_logits, val_targets).item()
            scores[l2] = accuracy
            if log is not None:
                log(f"wide path: l2={l2:.3g} (C={1 / (l2 * len(texts)):.3g}): val accuracy {accuracy:.4f}")
            if best is None or (accuracy, -loss) > (best[0], best[1]):
                best = (accuracy, -loss, compact.detach().clone(), self.bias.detach().clone(), l2)
        with torch.no_grad():
            if best is not None:
                self.weight.weight.zero_()
                self.weight.weight[used] = best[2]
                self.bias.copy_(best[3])
            self.l2.fill_(best[4] if best is not None else strengths[0])
            self.fitted.fill_(True)
        return scores

    def _lbfgs(self, matrix: Tensor, compact: nn.Parameter, targets: Tensor, l2: float) -> None:
        """Minimise mean cross-entropy plus ``l2 / 2 * ||W||^2`` over the whole training set (used columns only)."""
        optimizer = torch.optim.LBFGS(
            [compact, self.bias], lr=1.0, max_iter=self.prefit_iterations, history_size=20,
            line_search_fn="strong_wolfe", tolerance_grad=1e-6, tolerance_change=1e-10,
        )  # fmt: skip

        def closure() -> Tensor:
            optimizer.zero_grad()
            logits = torch.sparse.mm(matrix, compact) + self.bias  # (N, C)
            loss = F.cross_entropy(logits, targets) + 0.5 * l2 * compact.square().sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            optimizer.step(closure)


WideFactory = Callable[[int], WideNgrams]
"""Builds the wide path from the number of classes (``num_classes -> WideNgrams``); in YAML a ``class_path``."""
