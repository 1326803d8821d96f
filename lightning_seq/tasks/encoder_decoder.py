"""What every encoder-decoder task shares: the recurrent decoder, teacher forcing, decoding, metrics, predictions.

A subclass builds its encoder, then calls ``build_decoder(encoder_size)``, and implements ``encode`` (inputs to the
decoder's initial state). ``Seq2SeqTask`` encodes a token sequence; ``SequenceGenerator`` encodes one condition (a
class, a vector, an image, a clip).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.text import BLEUScore, CharErrorRate, WordErrorRate

from lightning_seq.nn.decoder import DecoderFactory, LSTMDecoder, RecurrentDecoder
from lightning_seq.nn.decoder_parts import DecoderState
from lightning_seq.plots import publish_picture, render_attention
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.decoding import Hypotheses, WithoutTokens
from lightning_seq.tasks.loss_logging import MeanLoss
from lightning_seq.tasks.schedules import TeacherForcingSchedule
from lightning_seq.tasks.strategies import DecodingStrategy, Greedy
from lightning_seq.types import BOS_ID, EOS_ID, NEVER_GENERATED, PAD_ID, SPECIALS, Seq2SeqBatch, join_tokens


class GeneratedSequences(NamedTuple):
    """What ``predict_step`` returns: ``hypotheses[b][n]`` token lists, best first, with their ``scores (B, N)``.

    ``joiner`` glues tokens into text (a space for words; nothing for characters or subword pieces, whose word marks
    become spaces: ``join_tokens``); ``prompts`` (language models)
    are the tokens each hypothesis continues, as the model read them.
    """

    indices: Tensor
    hypotheses: list[list[list[str]]]
    scores: Tensor
    joiner: str = " "
    prompts: list[list[str]] | None = None

    def to_rows(self) -> list[dict[str, Any]]:
        """One row per input: the best hypothesis and score, plus the n-best list when there are several."""
        rows = []
        for i, hyps, scores in zip(self.indices.tolist(), self.hypotheses, self.scores.tolist(), strict=True):
            row = {"index": int(i), "hypothesis": join_tokens(hyps[0], self.joiner), "score": scores[0]}
            if self.prompts is not None:
                row["prompt"] = join_tokens(self.prompts[len(rows)], self.joiner)
            if len(hyps) > 1:
                row["n_best"] = [
                    {"hypothesis": join_tokens(h, self.joiner), "score": s} for h, s in zip(hyps, scores, strict=True)
                ]
            rows.append(row)
        return rows


def shift_targets(targets: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Decoder inputs ``[BOS, y_1 .. y_n]`` and gold outputs ``[y_1 .. y_n, EOS]`` (PAD after), ``(B, T+1)``.

    Args:
        targets: ``(B, T)`` target ids, right-padded with PAD.
        lengths: ``(B,)`` valid target ids per row.
    """
    bos = torch.full_like(targets[:, :1], BOS_ID)
    inputs = torch.cat([bos, targets], dim=1)
    gold = torch.cat([targets, torch.zeros_like(bos)], dim=1)
    gold.scatter_(1, lengths.unsqueeze(1), EOS_ID)
    return inputs, gold


def check_decoding(decoding: Any) -> DecodingStrategy:
    """The strategy itself, ``Greedy()`` for None; anything else is refused, naming the strategies."""
    if decoding is None:
        return Greedy()
    if not isinstance(decoding, DecodingStrategy):
        raise TypeError(
            f"decoding must be a DecodingStrategy (lightning_seq.tasks.Greedy, Sampling or BeamSearch), "
            f"got {decoding!r}"
        )
    return decoding


class EncoderDecoderTask(SequenceTask):
    """Base of the tasks that decode a target sequence from an encoded input (see the module docstring).

    A subclass takes its own input-side arguments, forwards the rest of its keyword arguments here (``**kwargs``;
    jsonargparse follows them, so ``--help`` and ``--print_config`` list these with their defaults) and calls
    ``build_decoder`` once its encoder's output size is known.

    Args:
        target_vocab_size: number of target tokens, specials first (linked from the data; the tokens themselves
            come from the data or the checkpoint).
        decoder: factory ``(vocab_size, encoder_size) -> RecurrentDecoder``, the sizes filled in by the task; in
            YAML ``lightning_seq.nn.LSTMDecoder``, ``GRUDecoder`` or ``RNNDecoder`` with ``init_args`` such as
            ``hidden_size``, ``context``, ``attention`` (a class such as ``lightning_seq.nn.DotAttention``),
            ``conditioning``, ``deep_output`` and ``dropout``.
        pretrained_target_embeddings: GloVe / word2vec text file for the decoder's target token embedding.
        teacher_forcing: schedule of the teacher-forcing probability by training step (default: always 1);
            ``TeacherForcingSchedule(start=0, end=0)`` trains free running.
        decoding: strategy for validation, test, predict and ``generate``: ``lightning_seq.tasks.Greedy``
            (None: the default), ``Sampling`` or ``BeamSearch``.
        max_length: most tokens generated per sequence.
        heat_maps: test examples drawn as attention heat maps (PNG) after ``test`` (attention decoders only).
        target_joiner: text between target tokens in predictions and CER (a space for words, "" for characters and
            for subword pieces, whose word marks become spaces).
    """

    oldest_readable_format = 2  # 0.2.0: decoding (and decoders) became classes

    def __init__(
        self,
        *,
        target_vocab_size: int | None = None,
        decoder: DecoderFactory = LSTMDecoder,
        pretrained_target_embeddings: str | None = None,
        teacher_forcing: TeacherForcingSchedule | None = None,
        decoding: DecodingStrategy | None = None,
        max_length: int = 100,
        heat_maps: int = 4,
        target_joiner: str = " ",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)  # optimizer, schedule and in-model features: SequenceTask's arguments
        if target_vocab_size is None or target_vocab_size <= len(SPECIALS):
            raise ValueError(
                f"target_vocab_size must be > {len(SPECIALS)} (link it from the data), got {target_vocab_size!r}"
            )
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        if heat_maps < 0:
            raise ValueError(f"heat_maps must be >= 0, got {heat_maps!r}")
        self.target_vocab_size = target_vocab_size
        self.decoder_factory = decoder
        self.pretrained_target_embeddings = pretrained_target_embeddings
        self.schedule = teacher_forcing if teacher_forcing is not None else TeacherForcingSchedule("constant", 1.0)
        self.decoding = check_decoding(decoding)
        self.max_length, self.heat_maps, self.target_joiner = max_length, heat_maps, target_joiner
        metrics = MetricCollection(
            {
                "exact": MeanMetric(),
                "token_acc": MeanMetric(),
                "cer": CharErrorRate(),
                "wer": WordErrorRate(),
                "bleu": BLEUScore(),
            }
        )
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")
        self._maps: list[tuple[list[str], list[str], Tensor]] = []

    def build_decoder(self, encoder_size: int) -> None:
        """Create ``self.decoder`` for an encoder whose outputs and states are ``encoder_size`` wide."""
        self.decoder = self.decoder_factory(self.target_vocab_size, encoder_size)
        if not isinstance(self.decoder, RecurrentDecoder):
            raise TypeError(f"decoder must build a RecurrentDecoder, got {type(self.decoder).__name__}")
        if self.pretrained_target_embeddings is not None and self.decoder.embedding is None:
            raise ValueError(
                "pretrained_target_embeddings need a decoder that embeds the previous token: conditioning "
                "'input_and_prev', deep_output or attention_query 'state_and_input'"
            )

    # ------------------------------------------------------------------------------------------------ model
    @abstractmethod
    def encode(self, inputs: Tensor, lengths: Tensor) -> DecoderState:
        """Inputs ``(B, ...)`` with their ``lengths (B,)`` -> the decoder's initial state."""

    @abstractmethod
    def source_tokens(self, inputs: Tensor, length: int) -> list[str]:
        """Names of one input's ``length`` source steps (the heat maps' columns)."""

    def forward(self, inputs: Tensor, lengths: Tensor, decoder_inputs: Tensor, teacher_forcing: float = 1.0) -> Tensor:
        """Log-probabilities ``(B, T, V)`` of the next target tokens.

        Args:
            inputs: ``(B, ...)`` encoder inputs (source ids ``(B, S)``, features ``(B, S, F)``, labels ``(B,)``).
            lengths: ``(B,)`` input lengths.
            decoder_inputs: ``(B, T)`` BOS followed by the target tokens.
            teacher_forcing: probability of feeding the gold token at each step (scheduled sampling).
        """
        log_probs, _ = self.decoder(decoder_inputs, self.encode(inputs, lengths), teacher_forcing)
        return log_probs

    @staticmethod
    def shift(batch: Seq2SeqBatch) -> tuple[Tensor, Tensor]:
        """Decoder inputs ``[BOS, y_1 .. y_n]`` and gold outputs ``[y_1 .. y_n, EOS]`` (PAD after), ``(B, T+1)``."""
        return shift_targets(batch.targets, batch.target_lengths)

    def _loss(self, log_probs: Tensor, gold: Tensor) -> MeanLoss:
        """Negative log-likelihood, a mean over the target tokens (EOS included, padding not)."""
        loss = F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), gold.reshape(-1), ignore_index=PAD_ID)
        return MeanLoss(loss, (gold != PAD_ID).sum().float())

    def generate(
        self,
        inputs: Tensor,
        lengths: Tensor,
        *,
        max_length: int | None = None,
        decoding: DecodingStrategy | None = None,
    ) -> Hypotheses:
        """Decode a batch.

        Args:
            inputs: ``(B, ...)`` encoder inputs, as in ``forward``.
            lengths: ``(B,)`` input lengths.
            max_length: most tokens per sequence (default: the configured ``max_length``).
            decoding: a strategy such as ``BeamSearch(beam_size=5, n_best=3)`` (default: the configured one).

        Returns:
            ``Hypotheses`` with ``tokens (B, N, T)``, ``lengths (B, N)`` and ``scores (B, N)``, ``N`` the
            strategy's ``n_best``.
        """
        strategy = check_decoding(decoding) if decoding is not None else self.decoding
        max_length = max_length or self.max_length
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        state = self.encode(inputs, lengths)
        return strategy.search(
            WithoutTokens(self.decoder, NEVER_GENERATED), state, batch=lengths.numel(), start=BOS_ID, eos=EOS_ID,
            max_length=max_length, device=inputs.device,
        )

    def tokens(self, ids: list[int]) -> list[str]:
        """Target ids to tokens; PAD, BOS and EOS dropped, ``<unk>`` kept (a reference scores it as an error)."""
        return self.ids_to_tokens("target_vocabulary", ids)

    # ------------------------------------------------------------------------------------------------ steps
    def training_step(self, batch: Seq2SeqBatch, batch_idx: int) -> Tensor:
        """Negative log-likelihood with the scheduled teacher-forcing probability (logged)."""
        forcing = self.schedule(self.global_step)
        inputs, gold = self.shift(batch)
        loss, count = self._loss(self(batch.inputs, batch.lengths, inputs, forcing), gold)
        self.log_train_loss(loss, count, {"train/teacher_forcing": forcing})
        return self.global_mean(loss, count)

    def _evaluate(self, batch: Seq2SeqBatch, stage: str, metrics: MetricCollection) -> Hypotheses:
        inputs, gold = self.shift(batch)
        loss, count = self._loss(self(batch.inputs, batch.lengths, inputs), gold)
        size = batch.lengths.numel()
        self.log_eval_loss(stage, loss, count, prog_bar=stage == "val")
        hyps = self.generate(batch.inputs, batch.lengths)
        predicted = [self.tokens(row[0, :n].tolist()) for row, n in zip(hyps.tokens, hyps.lengths[:, 0], strict=True)]
        truth = batch.references  # as written: words missing from the target vocabulary stay what they are
        if truth is None:  # ids only: an <unk> there must not match a predicted <unk>
            targets, counts = batch.targets.tolist(), batch.target_lengths.tolist()
            rows = zip(targets, counts, strict=True)
            truth = [self.reference_tokens("target_vocabulary", row[:n]) for row, n in rows]
        self.update_generation_metrics(metrics, stage, predicted, truth)
        self.log_dict(metrics, on_epoch=True, batch_size=size, prog_bar=stage == "val")
        return hyps

    def update_generation_metrics(
        self, metrics: MetricCollection, stage: str, predicted: list[list[str]], truth: list[list[str]]
    ) -> None:
        """Exact match, token accuracy, CER, WER and BLEU of hypotheses against references (token lists).

        Exact match and token accuracy compare target tokens (words, characters or subword pieces, whatever the
        target tokenizer makes). Token accuracy counts position-wise matches over the longer of hypothesis and
        reference, so extra tokens cost as much as missing ones ("abc xyz" against "abc" scores 0.5); corpus-level,
        it is the matches over the summed longer lengths. CER, WER and BLEU read the texts joined by
        ``target_joiner``: CER counts characters, WER and BLEU the words of that text (split on whitespace), so
        with character or subword targets WER is still a word error rate.
        """
        hypotheses = [join_tokens(p, self.target_joiner) for p in predicted]
        references = [join_tokens(t, self.target_joiner) for t in truth]
        exact = torch.tensor([p == t for p, t in zip(predicted, truth, strict=True)], dtype=torch.float)
        longer = [max(len(p), len(t), 1) for p, t in zip(predicted, truth, strict=True)]
        pairs = zip(predicted, truth, longer, strict=True)
        matches = torch.tensor([sum(a == b for a, b in zip(p, t, strict=False)) / n for p, t, n in pairs])
        metrics[f"{stage}/exact"].update(exact)
        metrics[f"{stage}/token_acc"].update(matches, torch.tensor(longer, dtype=torch.float))
        metrics[f"{stage}/cer"].update(hypotheses, references)
        metrics[f"{stage}/wer"].update(hypotheses, references)
        metrics[f"{stage}/bleu"].update(hypotheses, [[text] for text in references])

    def validation_step(self, batch: Seq2SeqBatch, batch_idx: int) -> None:
        """Teacher-forced loss and free-running exact match, token accuracy, CER and BLEU."""
        self._evaluate(batch, "val", self.val_metrics)

    def test_step(self, batch: Seq2SeqBatch, batch_idx: int) -> None:
        """As validation; also keeps attention maps of the first examples."""
        hyps = self._evaluate(batch, "test", self.test_metrics)
        room = self.heat_maps - len(self._maps)
        if room <= 0 or not self.decoder.attends:
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
            steps, n = weights.size(-1), int(out_len[r])
            src_len = min(int(batch.lengths[r]), steps)
            source = self.source_tokens(batch.inputs[r], src_len)
            # every generated id named, specials included: an undertrained model may emit <pad> or <s> mid-sequence
            target = [self.target_vocabulary[i] for i in hyps.tokens[r, 0, :n].tolist()] + ["</s>"]
            self._maps.append((source, target, weights[r, : n + 1, :src_len].detach().cpu()))

    def on_test_epoch_end(self) -> None:
        """Write ``attention_<i>.png`` heat maps into the log folder and to TensorBoard."""
        maps, self._maps = self._maps, []
        log_dir = self.trainer.log_dir  # a collective under DDP: every rank must ask
        for i, (source, target, weights) in enumerate(maps):
            publish_picture(self.trainer, log_dir, render_attention(weights, source, target), f"attention_{i}.png")

    def predict_step(self, batch: Seq2SeqBatch, batch_idx: int, dataloader_idx: int = 0) -> GeneratedSequences:
        """Hypotheses (``n_best`` with beam search) and scores for every input."""
        hyps = self.generate(batch.inputs, batch.lengths)
        n_best = hyps.tokens.size(1)
        texts = [
            [self.tokens(hyps.tokens[b, n, : hyps.lengths[b, n]].tolist()) for n in range(n_best)]
            for b in range(batch.lengths.numel())
        ]
        return GeneratedSequences(batch.indices, texts, hyps.scores.cpu(), self.target_joiner)

    def name_sizes(self) -> dict[str, int]:
        """The target vocabulary (``target_vocab_size``); subclasses add their input's names."""
        return {"target_vocabulary": self.target_vocab_size}

    def check_names(self, key: str, values: list[str]) -> None:
        """The target vocabulary must start with the specials (PAD, UNK, BOS, EOS)."""
        if key == "target_vocabulary" and tuple(values[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"the target_vocabulary must start with the specials {list(SPECIALS)}")

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """The decoder's target embedding, when ``pretrained_target_embeddings`` is given."""
        if self.pretrained_target_embeddings is None or self.decoder.embedding is None:
            return []
        return [(self.decoder.embedding, "target_vocabulary", self.pretrained_target_embeddings)]
