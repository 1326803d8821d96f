"""Encoder-decoder (N -> M): any recurrent encoder, a recurrent decoder with every classic variant, and decoding."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import torch
import torch.nn.functional as F
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.text import BLEUScore, CharErrorRate

from lightning_seq.data.vocab import BOS_ID, EOS_ID, PAD_ID, SPECIALS
from lightning_seq.nn.attention import AttentionKind
from lightning_seq.nn.decoder import Conditioning, ContextMode, RecurrentDecoder
from lightning_seq.nn.encoder import EncoderFactory, SequenceEncoder
from lightning_seq.nn.masking import lengths_to_mask
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.plots import render_attention
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.decoding import Hypotheses, beam_search, greedy_decode, sample_decode
from lightning_seq.tasks.schedules import TeacherForcingSchedule
from lightning_seq.types import TranscriptionBatch


class Seq2SeqPrediction(NamedTuple):
    """What ``predict_step`` returns: ``hypotheses[b][n]`` token lists, best first, with their ``scores (B, N)``."""

    indices: Tensor
    hypotheses: list[list[list[str]]]
    scores: Tensor

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per input: the best hypothesis and score, plus the n-best list when there are several."""
        rows = []
        for i, hyps, scores in zip(self.indices.tolist(), self.hypotheses, self.scores.tolist(), strict=True):
            row = {"index": int(i), "hypothesis": " ".join(hyps[0]), "score": scores[0]}
            if len(hyps) > 1:
                row["n_best"] = [{"hypothesis": " ".join(h), "score": s} for h, s in zip(hyps, scores, strict=True)]
            rows.append(row)
        return rows


class Seq2SeqTask(SequenceTask):
    """Translate token sequences with an RNN encoder-decoder.

    Args:
        vocab_size: source vocabulary size (linked from the data).
        vocabulary: source tokens by id (linked; stored in the checkpoint).
        target_vocabulary: target tokens by id (linked; stored in the checkpoint).
        encoder: factory ``input_size -> SequenceEncoder`` (any encoder, stacked and bidirectional).
        embedding_dim: source embedding size.
        decoder_cell: ``lstm``, ``gru`` or ``rnn``.
        decoder_hidden_size: decoder hidden size.
        decoder_layers: stacked decoder layers.
        decoder_embedding_dim: target embedding size.
        context: ``last`` (c = h_N), ``bridge`` (c = tanh(W h_N)) or ``attention`` (c_t over all outputs).
        attention: ``additive``, ``dot`` or ``general``.
        conditioning: ``init`` (context initialises the state), ``input`` (context as input at every step) or
            ``input_and_prev`` (context and the previous token).
        input_feeding: feed the previous attentional vector into the next input.
        dropout: dropout in the decoder.
        teacher_forcing: schedule of the teacher-forcing probability by training step (default: always 1);
            ``TeacherForcingSchedule(start=0, end=0)`` trains free running.
        decoding: ``greedy``, ``beam`` or ``sample`` for validation, test and predict.
        beam_size: hypotheses kept by beam search.
        length_penalty: beam scores are divided by ``length ** length_penalty``.
        n_best: hypotheses written per input by ``predict`` (beam search).
        temperature: sampling temperature.
        top_k: sample among the ``k`` most likely tokens (None: all).
        top_p: sample from the smallest set of tokens with this much probability (None: all).
        max_length: most tokens generated per sequence.
        heat_maps: test examples drawn as attention heat maps (PNG) after ``test``.
        optimizer: ``params -> Optimizer`` (default AdamW).
        lr_scheduler: ``optimizer -> scheduler`` or None.
        scheduler_interval: step the scheduler every ``epoch`` or ``step``.
        scheduler_monitor: metric watched by ``ReduceLROnPlateau``.
        input_features: ``AudioFeatures`` settings (linked from the data when features are computed on device).
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        vocabulary: list[str] | None = None,
        target_vocabulary: list[str] | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        embedding_dim: int = 64,
        decoder_cell: Literal["lstm", "gru", "rnn"] = "lstm",
        decoder_hidden_size: int = 128,
        decoder_layers: int = 1,
        decoder_embedding_dim: int = 64,
        context: ContextMode = "attention",
        attention: AttentionKind = "additive",
        conditioning: Conditioning = "input_and_prev",
        input_feeding: bool = False,
        dropout: float = 0.0,
        teacher_forcing: TeacherForcingSchedule | None = None,
        decoding: Literal["greedy", "beam", "sample"] = "greedy",
        beam_size: int = 5,
        length_penalty: float = 0.0,
        n_best: int = 1,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        max_length: int = 100,
        heat_maps: int = 4,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
        input_features: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(optimizer, lr_scheduler, scheduler_interval, scheduler_monitor, input_features)
        self.save_hyperparameters()
        if vocab_size is None or vocab_size < len(SPECIALS) + 1:
            raise ValueError(f"vocab_size must be > {len(SPECIALS)} (link it from the data), got {vocab_size!r}")
        if target_vocabulary is None or tuple(target_vocabulary[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"target_vocabulary must start with the specials {list(SPECIALS)} (link it from the data)")
        if decoding not in ("greedy", "beam", "sample"):
            raise ValueError(f"decoding must be 'greedy', 'beam' or 'sample', got {decoding!r}")
        if beam_size < 1:
            raise ValueError(f"beam_size must be >= 1, got {beam_size!r}")
        if not 1 <= n_best <= beam_size:
            raise ValueError(f"n_best must lie in [1, beam_size={beam_size}], got {n_best!r}")
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must lie in (0, 1], got {top_p!r}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.vocabulary = vocabulary
        self.target_vocabulary = list(target_vocabulary)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.encoder: SequenceEncoder = encoder(embedding_dim)
        if not isinstance(self.encoder, SequenceEncoder):
            raise TypeError(f"encoder must build a SequenceEncoder, got {type(self.encoder).__name__}")
        self.decoder = RecurrentDecoder(
            len(target_vocabulary),
            self.encoder.output_size,
            decoder_cell,
            decoder_hidden_size,
            decoder_layers,
            decoder_embedding_dim,
            context,
            attention,
            conditioning,
            input_feeding,
            dropout,
        )
        self.schedule = teacher_forcing if teacher_forcing is not None else TeacherForcingSchedule("constant", 1.0)
        self.decoding, self.beam_size, self.length_penalty, self.n_best = decoding, beam_size, length_penalty, n_best
        self.temperature, self.top_k, self.top_p, self.max_length = temperature, top_k, top_p, max_length
        self.heat_maps = heat_maps
        metrics = MetricCollection(
            {"exact": MeanMetric(), "token_acc": MeanMetric(), "cer": CharErrorRate(), "bleu": BLEUScore()}
        )
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self._maps: list[tuple[list[str], list[str], Tensor]] = []

    # ------------------------------------------------------------------------------------------------ model
    def encode(self, sources: Tensor, lengths: Tensor) -> Any:
        """Source ids ``(B, S)`` -> the decoder's initial state."""
        outputs, state = self.encoder(self.embedding(sources), lengths)  # (B, S, D*H)
        return self.decoder.initial_state(outputs, state, lengths_to_mask(lengths.to(sources.device), sources.size(1)))

    def forward(self, sources: Tensor, lengths: Tensor, decoder_inputs: Tensor, teacher_forcing: float = 1.0) -> Tensor:
        """Log-probabilities ``(B, T, V)`` of the next target tokens.

        Args:
            sources: ``(B, S)`` source ids, right-padded.
            lengths: ``(B,)`` source lengths.
            decoder_inputs: ``(B, T)`` BOS followed by the target tokens.
            teacher_forcing: probability of feeding the gold token at each step (scheduled sampling).
        """
        log_probs, _ = self.decoder(decoder_inputs, self.encode(sources, lengths), teacher_forcing)
        return log_probs

    @staticmethod
    def shift(batch: TranscriptionBatch) -> tuple[Tensor, Tensor]:
        """Decoder inputs ``[BOS, y_1 .. y_n]`` and gold outputs ``[y_1 .. y_n, EOS]`` (PAD after), ``(B, T+1)``."""
        targets, lengths = batch.targets, batch.target_lengths
        bos = torch.full_like(targets[:, :1], BOS_ID)
        inputs = torch.cat([bos, targets], dim=1)
        gold = torch.cat([targets, torch.zeros_like(bos)], dim=1)
        gold.scatter_(1, lengths.unsqueeze(1), EOS_ID)
        return inputs, gold

    def _loss(self, log_probs: Tensor, gold: Tensor) -> Tensor:
        return F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), gold.reshape(-1), ignore_index=PAD_ID)

    def generate(self, sources: Tensor, lengths: Tensor, n_best: int = 1) -> Hypotheses:
        """Decode a batch with the configured strategy (greedy, beam or sampling)."""
        state = self.encode(sources, lengths)
        batch, device = sources.size(0), sources.device
        if self.decoding == "beam":
            return beam_search(
                self.decoder,
                state,
                batch,
                BOS_ID,
                EOS_ID,
                self.max_length,
                self.beam_size,
                self.length_penalty,
                n_best,
                device,
            )
        if self.decoding == "sample":
            return sample_decode(
                self.decoder,
                state,
                batch,
                BOS_ID,
                EOS_ID,
                self.max_length,
                self.temperature,
                self.top_k,
                self.top_p,
                device=device,
            )
        return greedy_decode(self.decoder, state, batch, BOS_ID, EOS_ID, self.max_length, device)

    def tokens(self, ids: list[int]) -> list[str]:
        """Target ids to tokens (specials dropped)."""
        return [self.target_vocabulary[i] for i in ids if i >= len(SPECIALS)]

    # ------------------------------------------------------------------------------------------------ steps
    def training_step(self, batch: TranscriptionBatch, batch_idx: int) -> Tensor:
        """Negative log-likelihood with the scheduled teacher-forcing probability (logged)."""
        forcing = self.schedule(self.global_step)
        inputs, gold = self.shift(batch)
        loss = self._loss(self(batch.inputs, batch.lengths, inputs, forcing), gold)
        size = batch.lengths.numel()
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=size)
        self.log("train/teacher_forcing", forcing, on_step=True, on_epoch=False, batch_size=size)
        return loss

    def _evaluate(self, batch: TranscriptionBatch, stage: str, metrics: MetricCollection) -> Hypotheses:
        inputs, gold = self.shift(batch)
        loss = self._loss(self(batch.inputs, batch.lengths, inputs), gold)
        size = batch.lengths.numel()
        self.log(f"{stage}/loss", loss, on_epoch=True, sync_dist=True, batch_size=size, prog_bar=stage == "val")
        hyps = self.generate(batch.inputs, batch.lengths)
        predicted = [self.tokens(row[0, :n].tolist()) for row, n in zip(hyps.tokens, hyps.lengths[:, 0], strict=True)]
        truth = [
            self.tokens(row[:n]) for row, n in zip(batch.targets.tolist(), batch.target_lengths.tolist(), strict=True)
        ]
        exact = torch.tensor([p == t for p, t in zip(predicted, truth, strict=True)], dtype=torch.float)
        matches = torch.tensor(
            [
                sum(a == b for a, b in zip(p, t, strict=False)) / max(len(t), 1)
                for p, t in zip(predicted, truth, strict=True)
            ]
        )
        weights = torch.tensor([float(max(len(t), 1)) for t in truth])
        metrics[f"{stage}/exact"].update(exact)
        metrics[f"{stage}/token_acc"].update(matches, weights)
        metrics[f"{stage}/cer"].update([" ".join(p) for p in predicted], [" ".join(t) for t in truth])
        metrics[f"{stage}/bleu"].update([" ".join(p) for p in predicted], [[" ".join(t)] for t in truth])
        self.log_dict(metrics, on_epoch=True, batch_size=size, prog_bar=stage == "val")
        return hyps

    def validation_step(self, batch: TranscriptionBatch, batch_idx: int) -> None:
        """Teacher-forced loss and free-running exact match, token accuracy, CER and BLEU."""
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: TranscriptionBatch, batch_idx: int) -> None:
        """As validation; also keeps attention maps of the first examples."""
        hyps = self._evaluate(batch, "test", self.test_metrics)
        room = self.heat_maps - len(self._maps)
        if room <= 0 or self.decoder.attention is None:
            return
        count = min(room, batch.lengths.numel())
        rows = torch.arange(count, device=batch.inputs.device)
        out_len = hyps.lengths[:count, 0]
        width = int(out_len.max()) + 1
        inputs = torch.cat(
            [torch.full_like(hyps.tokens[:count, 0, :1], BOS_ID), hyps.tokens[:count, 0, : width - 1]], 1
        )
        state = self.decoder.reorder(self.encode(batch.inputs, batch.lengths), rows)
        _, weights = self.decoder(inputs, state)  # (count, width, S)
        for r in range(count):
            src_len, n = int(batch.lengths[r]), int(out_len[r])
            source = [self.vocabulary[i] if self.vocabulary else str(i) for i in batch.inputs[r, :src_len].tolist()]
            target = self.tokens(hyps.tokens[r, 0, :n].tolist()) + ["</s>"]
            self._maps.append((source, target, weights[r, : n + 1, :src_len].detach().cpu()))

    def on_test_epoch_end(self) -> None:
        """Write ``attention_<i>.png`` heat maps into the log folder."""
        maps, self._maps = self._maps, []
        log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
        if not log_dir or not self.trainer.is_global_zero:
            return
        for i, (source, target, weights) in enumerate(maps):
            render_attention(weights, source, target).save(f"{log_dir}/attention_{i}.png")

    def predict_step(self, batch: TranscriptionBatch, batch_idx: int, dataloader_idx: int = 0) -> Seq2SeqPrediction:
        """Hypotheses (``n_best`` with beam search) and scores for every source."""
        n_best = self.n_best if self.decoding == "beam" else 1
        hyps = self.generate(batch.inputs, batch.lengths, n_best)
        texts = [
            [self.tokens(hyps.tokens[b, n, : hyps.lengths[b, n]].tolist()) for n in range(n_best)]
            for b in range(batch.lengths.numel())
        ]
        return Seq2SeqPrediction(batch.indices, texts, hyps.scores.cpu())

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuse a checkpoint whose vocabularies differ from the data's."""
        saved = checkpoint.get("hyper_parameters", {})
        for key, mine in (("vocabulary", self.vocabulary), ("target_vocabulary", self.target_vocabulary)):
            theirs = saved.get(key)
            if theirs is not None and mine is not None and list(theirs) != list(mine):
                raise ValueError(
                    f"the checkpoint's {key} ({len(theirs)} tokens) does not match the data's ({len(mine)} tokens)"
                )
