"""Sequence classification (N -> 1): embedding or features -> encoder -> pooling -> MLP head -> logits."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassF1Score

from lightning_seq.nn.embedding import TokenEmbedding
from lightning_seq.nn.encoder import EncoderFactory
from lightning_seq.nn.frontend import FrontEndFactory
from lightning_seq.nn.head import MLPHead
from lightning_seq.nn.ngram_bag import NgramBag
from lightning_seq.nn.pooling import DirectionMerge, PoolingMode, build_pooling, merge_directions, merged_size
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.nn.wide import WideFactory
from lightning_seq.plots import publish_picture, render_confusion_matrix
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.loss_logging import MeanLoss
from lightning_seq.tasks.transfer import transfer_language_model
from lightning_seq.tasks.wide_path import WideMix, WidePathMixin
from lightning_seq.types import PAD_ID, UNK_ID, SequenceBatch


class ClassificationPrediction(NamedTuple):
    """What ``predict_step`` returns for one batch.

    Attributes:
        indices: ``(B,)`` positions of the rows in the prediction data set.
        label_ids: ``(B,)`` predicted class ids.
        probabilities: ``(B, C)`` softmax probabilities.
        label_names: the name of each predicted class.
        class_names: the names of all ``C`` classes, in id order.
    """

    indices: Tensor
    label_ids: Tensor
    probabilities: Tensor
    label_names: list[str]
    class_names: list[str]

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain-data row per input: index, label, label_id and the probability of every class."""
        probs = self.probabilities.tolist()
        return [
            {
                "index": int(i),
                "label": name,
                "label_id": int(label),
                "probabilities": dict(zip(self.class_names, row, strict=True)),
            }
            for i, label, name, row in zip(
                self.indices.tolist(), self.label_ids.tolist(), self.label_names, probs, strict=True
            )
        ]


class SequenceClassifier(WidePathMixin, SequenceTask):
    """Classify whole sequences: sentiment from tokens, keywords from audio frames, digits from image rows.

    Exactly one input kind is given (the CLI links both from the data; the unused one stays None): ``vocab_size``
    for token ids ``(B, T)``, or ``feature_size`` for float features ``(B, T, F)``.

    Args:
        num_classes: number of classes ``C`` (linked from the data).
        vocab_size: vocabulary size for token inputs (linked from the data).
        feature_size: feature size for float inputs (linked from the data).
        encoder: factory ``input_size -> SequenceEncoder``; in YAML a ``class_path`` such as
            ``lightning_seq.nn.LSTMEncoder`` with ``init_args`` but no ``input_size``.
        frontend: optional factory ``input_size -> SequenceFrontEnd`` applied to float features before the
            encoder (e.g. ``lightning_seq.nn.ConvFrontEnd`` for image rows or spectrogram frames).
        embedding_dim: token embedding size (token inputs only).
        pretrained_embeddings: GloVe / word2vec text file to initialise the embedding from (read before fitting,
            once the data's vocabulary is known).
        language_model: a ``LanguageModel`` checkpoint (ULMFiT) to start the embedding and the encoder from
            before fitting: embedding rows mapped by token, each encoder layer's forward direction from the
            language model's layer (``lightning_seq.tasks.transfer``). It must use the classifier's tokenizer,
            ``embedding_dim``, recurrent cell, hidden size and layer count; a bidirectional classifier's backward
            direction starts fresh. Read once, never over weights from a checkpoint.
        transfer_lr_scale: the learning rate of the embedding and encoder started from ``language_model``, as a
            multiple of the task's (discriminative rates: below 1 the transferred layers move slower than the head).
        freeze_embeddings: keep the embedding fixed.
        embedding_dropout: dropout on the embedded (or feature) inputs.
        unknown_word_dropout: in training, the share of tokens replaced by ``<unk>`` (token inputs only), so the
            model learns what to make of a word it has not seen; most words of real short texts are rare.
        ngram_buckets: rows of a bag of hashed token n-grams (``lightning_seq.nn.NgramBag``, token inputs only)
            read beside the encoder: its mean vector joins the pooled one before the head, what a bag-of-words
            model sees; 0 for none.
        ngram_dim: size of the n-gram bag's vector.
        ngram_order: longest n-gram in the bag (1: words, 2: words and word pairs; at most 4).
        wide: factory ``num_classes -> WideNgrams`` (token inputs only): logistic regression over tf-idf hashed
            word and character n-grams with its own L2, pre-fitted before training starts, its logits summed with
            the recurrent path's (wide & deep; the head's last layer then starts at zero, so training starts
            where logistic regression ends). In YAML ``class_path: lightning_seq.nn.WideNgrams``.
        wide_mix: ``sum``: the wide path's logits added to the recurrent ones, trained together (wide & deep);
            ``average``: an ensemble of the two, each fitted alone (the wide path fixed after its pre-fit), the
            output the mixture ``(1 - w) p_recurrent + w p_wide`` with ``w`` chosen on every validation by log-loss
            (``val/wide_weight``; kept in the checkpoint).
        recurrent: False leaves the recurrent path out (its embedding, encoder and head are built but frozen and
            never read): the wide path alone, scikit-learn's logistic regression inside the library.
        pooling: how outputs become one vector: ``last`` valid step (backward half at step 0), ``mean`` or ``max``
            over valid steps, or ``attention`` with a learned query.
        direction_merge: combine the two directions' halves by ``concat``, ``sum`` or ``mean``.
        head_hidden_sizes: hidden layer sizes of the MLP head (empty: one linear layer).
        head_dropout: dropout in the head.
        class_weights: cross-entropy weight per class (length ``num_classes``).
        label_smoothing: cross-entropy label smoothing in ``[0, 1)``.
        **kwargs: the optimizer, its schedule and in-model audio features (``SequenceTask``'s arguments).
    """

    def __init__(
        self,
        num_classes: int | None = None,
        vocab_size: int | None = None,
        feature_size: int | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        frontend: FrontEndFactory | None = None,
        embedding_dim: int = 128,
        pretrained_embeddings: str | None = None,
        language_model: str | None = None,
        transfer_lr_scale: float = 1.0,
        freeze_embeddings: bool = False,
        embedding_dropout: float = 0.0,
        unknown_word_dropout: float = 0.0,
        ngram_buckets: int = 0,
        ngram_dim: int = 64,
        ngram_order: int = 2,
        wide: WideFactory | None = None,
        wide_mix: WideMix = "sum",
        recurrent: bool = True,
        pooling: PoolingMode = "last",
        direction_merge: DirectionMerge = "concat",
        head_hidden_sizes: list[int] | None = None,
        head_dropout: float = 0.0,
        class_weights: list[float] | None = None,
        label_smoothing: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # optimizer, schedule and in-model features: SequenceTask's arguments
        self.save_hyperparameters()
        if num_classes is None or num_classes < 2:
            raise ValueError(f"num_classes must be >= 2 (link it from the data), got {num_classes!r}")
        if (vocab_size is None) == (feature_size is None):
            raise ValueError(
                f"give exactly one of vocab_size (token inputs) and feature_size (float features); "
                f"got vocab_size={vocab_size!r}, feature_size={feature_size!r}"
            )
        if not 0.0 <= embedding_dropout < 1.0:
            raise ValueError(f"embedding_dropout must lie in [0, 1), got {embedding_dropout!r}")
        if not 0.0 <= unknown_word_dropout < 1.0:
            raise ValueError(f"unknown_word_dropout must lie in [0, 1), got {unknown_word_dropout!r}")
        if ngram_buckets < 0:
            raise ValueError(f"ngram_buckets must be >= 0 (0: no n-gram bag), got {ngram_buckets!r}")
        if vocab_size is None and (unknown_word_dropout > 0 or ngram_buckets > 0):
            raise ValueError(
                "unknown_word_dropout and ngram_buckets apply to token inputs (vocab_size), not to float features"
            )
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {label_smoothing!r}")
        if class_weights is not None and (len(class_weights) != num_classes or min(class_weights) < 0):
            raise ValueError(f"class_weights needs {num_classes} non-negative values, got {class_weights!r}")
        if vocab_size is None and wide is not None:
            raise ValueError("wide applies to token inputs (vocab_size), not to float features")
        if not recurrent and wide is None:
            raise ValueError("recurrent=False leaves no path: give the wide path (wide), or keep recurrent=True")
        if feature_size is not None and feature_size < 1:
            raise ValueError(f"feature_size must be >= 1, got {feature_size!r}")
        self.num_classes, self.vocab_size = num_classes, vocab_size
        self.pretrained_embeddings = pretrained_embeddings
        if pretrained_embeddings is not None and vocab_size is None:
            raise ValueError("pretrained_embeddings apply to token inputs (vocab_size), not to float features")
        if language_model is not None and (vocab_size is None or pretrained_embeddings is not None):
            raise ValueError(
                "language_model starts a token classifier's embedding and encoder (vocab_size), and replaces "
                "pretrained_embeddings: give one of the two"
            )
        if not (transfer_lr_scale > 0 and math.isfinite(transfer_lr_scale)):
            raise ValueError(f"transfer_lr_scale must be > 0, got {transfer_lr_scale!r}")
        self.language_model, self.transfer_lr_scale = language_model, transfer_lr_scale
        self.embedding = (
            TokenEmbedding(vocab_size, embedding_dim, freeze=freeze_embeddings) if vocab_size is not None else None
        )
        if frontend is not None and vocab_size is not None:
            raise ValueError("frontend applies to float features (feature_size), not to token ids (vocab_size)")
        self.input_dropout = torch.nn.Dropout(embedding_dropout)
        self.frontend, encoder_input = self.build_frontend(frontend, feature_size or embedding_dim)
        self.encoder = self.build_encoder(encoder, encoder_input)
        self.direction_merge = direction_merge
        self.pooling = build_pooling(pooling, self.encoder.output_size, self.encoder.num_directions)
        pooled_size = merged_size(self.encoder.output_size, self.encoder.num_directions, direction_merge)
        self.unknown_word_dropout = unknown_word_dropout
        self.ngram_bag = NgramBag(ngram_buckets, ngram_dim, ngram_order) if ngram_buckets > 0 else None
        if self.ngram_bag is not None:
            pooled_size += self.ngram_bag.output_size
        self.head = MLPHead(pooled_size, num_classes, head_hidden_sizes or [], head_dropout)
        weights = torch.tensor(class_weights, dtype=torch.float) if class_weights is not None else None
        self.register_buffer("class_weights", weights, persistent=False)
        self.label_smoothing = label_smoothing
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes, average="micro"),
                "f1": MulticlassF1Score(num_classes, average="macro"),
            }
        )
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self.test_confusion = MulticlassConfusionMatrix(num_classes)
        self.build_wide_path(wide, recurrent, wide_mix)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        """Class logits for a padded batch.

        Args:
            inputs: ``(B, T)`` int64 token ids (PAD 0) or ``(B, T, F)`` float features, right-padded.
            lengths: ``(B,)`` int64 valid lengths.

        Returns:
            ``(B, C)`` logits (with ``wide_mix="average"``: the log of the mixed probabilities).
        """
        return self.join_paths(*self.path_logits(inputs, lengths))

    def path_logits(self, inputs: Tensor, lengths: Tensor, with_wide: bool = True) -> tuple[Tensor, Tensor | None]:
        """The recurrent path's and the wide path's ``(B, C)`` logits, apart.

        With ``recurrent=False`` the first is the wide path's and the second None; without a wide path (or with
        ``with_wide=False``, which skips counting its n-grams) the second is None.
        """
        inputs, lengths = self.features_of(inputs, lengths)  # waveforms (B, N) -> (B, T, F) with input_features
        wide = self.wide_logits(inputs, lengths) if with_wide or not self.recurrent else None  # (B, C) or None
        if not self.recurrent:
            return wide, None
        if self.training and self.unknown_word_dropout > 0:
            dropped = torch.rand(inputs.shape, device=inputs.device) < self.unknown_word_dropout  # (B, T)
            inputs = inputs.masked_fill(dropped & (inputs != PAD_ID), UNK_ID)
        x = self.embedding(inputs) if self.embedding is not None else inputs  # (B, T, F)
        if self.frontend is not None:
            x, lengths = self.frontend(x, lengths)  # (B, T', F'), T' = ceil(T / time_reduction)
        outputs, _ = self.encoder(self.input_dropout(x), lengths)  # (B, T', D*H)
        pooled = self.pooling(outputs, lengths)  # (B, D*H)
        pooled = merge_directions(pooled, self.encoder.num_directions, self.direction_merge)  # (B, D*H) or (B, H)
        if self.ngram_bag is not None:
            pooled = torch.cat([pooled, self.ngram_bag(inputs, lengths)], dim=-1)  # (B, P + E)
        return self.head(pooled), wide  # (B, C), (B, C) or None

    def _loss(self, logits: Tensor, targets: Tensor) -> MeanLoss:
        """Cross-entropy, a mean over the rows, or over the targets' class weights when ``class_weights`` is set."""
        loss = F.cross_entropy(logits.float(), targets, weight=self.class_weights, label_smoothing=self.label_smoothing)
        if self.class_weights is None:
            return MeanLoss(loss, torch.tensor(float(targets.numel()), device=loss.device))
        return MeanLoss(loss, self.class_weights[targets].sum())  # torch divides by the summed weights

    def training_step(self, batch: SequenceBatch, batch_idx: int) -> Tensor | None:
        """Cross-entropy on one batch (``train/loss_step``, ``train/loss_epoch``); None when nothing trains.

        With ``wide_mix="average"`` the recurrent path's own cross-entropy: the two paths are fitted apart.
        """
        alone = self.wide_mix == "average"  # the recurrent path trains on its own loss: no n-grams to count
        logits = self.join_paths(*self.path_logits(batch.inputs, batch.lengths, with_wide=not alone))
        loss, count = self._loss(logits, batch.targets)
        self.log_train_loss(loss, count)
        if not loss.requires_grad:  # a fixed pre-fitted wide path alone: the epochs only validate
            return None
        return self.global_mean(loss, count) + self.wide_penalty()

    def _evaluate(self, batch: SequenceBatch, stage: str, metrics: MetricCollection) -> Tensor:
        logits = self(batch.inputs, batch.lengths)
        self._score(logits, batch.targets, stage, metrics)
        return logits

    def _score(self, logits: Tensor, targets: Tensor, stage: str, metrics: MetricCollection) -> None:
        loss, count = self._loss(logits, targets)
        self.log_eval_loss(stage, loss, count, prog_bar=stage == "val")
        metrics.update(logits, targets)
        self.log_dict(metrics, on_epoch=True, prog_bar=stage == "val")

    def validation_step(self, batch: SequenceBatch, batch_idx: int) -> None:
        """Loss, accuracy and macro-F1, computed per epoch and synced across ranks.

        With ``wide_mix="average"`` both paths' logits are kept, and scored once the epoch's weight is chosen.
        """
        if self.wide_mix != "average":
            self._evaluate(batch, "val", self.val_metrics)
            return
        recurrent, wide = self.path_logits(batch.inputs, batch.lengths)
        self.keep_for_mixing(recurrent, wide, batch.targets)

    def on_validation_epoch_end(self) -> None:
        """With ``wide_mix="average"``: choose the wide path's weight on this validation, then score the mixture."""
        super().on_validation_epoch_end()
        if self.wide_mix == "average" and self._mix_rows:
            self._score(*self.choose_wide_weight(), "val", self.val_metrics)

    def test_step(self, batch: SequenceBatch, batch_idx: int) -> None:
        """Loss, accuracy and macro-F1, computed per epoch and synced across ranks; the confusion matrix too."""
        logits = self._evaluate(batch, "test", self.test_metrics)
        self.test_confusion.update(logits, batch.targets)

    def on_test_epoch_end(self) -> None:
        """Write ``confusion_matrix.png`` (true × predicted counts over all ranks) to the log folder and TensorBoard."""
        matrix = self.test_confusion.compute().cpu()
        self.test_confusion.reset()
        log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
        if self.trainer.is_global_zero:
            picture = render_confusion_matrix(matrix, self.class_names())
            publish_picture(self.trainer, log_dir, picture, "confusion_matrix.png")

    def predict_step(self, batch: SequenceBatch, batch_idx: int, dataloader_idx: int = 0) -> ClassificationPrediction:
        """Predicted label ids, names and class probabilities for one batch."""
        probabilities = torch.softmax(self(batch.inputs, batch.lengths).float(), dim=-1)  # (B, C)
        label_ids = probabilities.argmax(dim=-1)  # (B,)
        classes = self.class_names()
        names = [classes[i] for i in label_ids.tolist()]
        return ClassificationPrediction(batch.indices, label_ids, probabilities, names, classes)

    def class_names(self) -> list[str]:
        """The class names by id, from the data or the checkpoint; the ids as text when none are known."""
        return self.label_names or [str(i) for i in range(self.num_classes)]

    def name_sizes(self) -> dict[str, int]:
        """Class names (``num_classes``) and, for token inputs, the vocabulary (``vocab_size``)."""
        sizes = {"label_names": self.num_classes}
        if self.vocab_size is not None:
            sizes["vocabulary"] = self.vocab_size
        return sizes

    def load_pretrained_embeddings(self) -> None:
        """Before fitting: start from ``language_model`` (once), or read ``pretrained_embeddings``."""
        if self.language_model is not None and not self._pretrained_loaded:
            vocabulary = self.names("vocabulary")
            if vocabulary is None:
                raise ValueError("language_model maps embedding rows by token: fit with a data module that has a "
                                 "vocabulary, or call set_names(vocabulary=...) first")
            transfer_language_model(self.language_model, self.embedding.embedding, self.encoder, vocabulary)
        super().load_pretrained_embeddings()

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The groups of ``SequenceTask`` (and the wide path's); the transferred layers at ``transfer_lr_scale``."""
        groups = super().parameter_groups()
        if self.language_model is None or self.transfer_lr_scale == 1.0:
            return groups
        transferred = {id(p) for p in (*self.embedding.parameters(), *self.encoder.parameters())}
        parted = []
        for group in groups:
            rest = [p for p in group["params"] if id(p) not in transferred]
            moved = [p for p in group["params"] if id(p) in transferred]
            scale = group.get("lr_scale", 1.0) * self.transfer_lr_scale
            parted += [{**group, "params": rest}, {**group, "params": moved, "lr_scale": scale}]
        return [group for group in parted if group["params"]]

    def pretrained_tables(self) -> list[tuple[torch.nn.Embedding, str, str]]:
        """The token embedding, when ``pretrained_embeddings`` is given."""
        if self.embedding is None or self.pretrained_embeddings is None:
            return []
        return [(self.embedding.embedding, "vocabulary", self.pretrained_embeddings)]
