"""Recurrent language model (N -> N): next-token prediction trained with truncated BPTT, and text generation."""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torchmetrics.text import Perplexity

from lightning_seq.nn.embedding import token_table
from lightning_seq.nn.encoder import EncoderFactory
from lightning_seq.nn.recurrent import LSTMEncoder
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.decoding import Hypotheses, WithoutTokens
from lightning_seq.tasks.encoder_decoder import GeneratedSequences, check_decoding
from lightning_seq.tasks.ngram_mixture import MIXTURE_WEIGHTS, NgramMixture, perplexity
from lightning_seq.tasks.strategies import DecodingStrategy, Sampling
from lightning_seq.tasks.tbptt import detach_state, reset_some_rows, time_chunks
from lightning_seq.types import (
    EOS_ID,
    NEVER_GENERATED,
    SPECIALS,
    EncoderState,
    LanguageModelBatch,
    SequenceBatch,
    StreamsTokens,
)


class LanguageModel(SequenceTask):
    """Predict the next token of a stream with any unidirectional encoder; generate text from prompts.

    Training uses **truncated BPTT** under manual optimization: each batch (a window of ``B`` contiguous streams,
    from ``TextCorpusDataModule``) is split in time into chunks of ``tbptt_steps``; every chunk is one optimizer
    step (gradient clipping, then the LR scheduler when it steps per ``step``). The final state of a chunk is
    detached and carried into the next chunk and into the same row of the next batch, so the model sees the whole
    stream while gradients stop at chunk boundaries. The state is reset to zeros at the start of every epoch and of
    every validation / test run (which carry it across their batches too, without gradients).

    Args:
        vocab_size: vocabulary size ``V`` (linked from the data; the tokens come from the data or the checkpoint and
            write the generated text).
        encoder: factory ``input_size -> SequenceEncoder``; must be unidirectional and accept ``initial_state``
            (the built-in RNN, LSTM and GRU encoders do).
        embedding_dim: token embedding size ``E``.
        pretrained_embeddings: GloVe / word2vec text file to initialise the embedding from (read before fitting).
        freeze_embeddings: keep the embedding fixed (with ``tie_embeddings``, the output layer too).
        tie_embeddings: share the input embedding matrix with the output layer (needs ``E`` equal to the encoder's
            output size).
        dropout: dropout on embeddings and on the encoder's outputs.
        tbptt_steps: time steps per truncated-BPTT chunk (and per optimizer step).
        state_reset_rate: chance that a training stream's carried state is zeroed before a batch window, so the
            model also learns to start reading mid-text from a zero state, as every evaluation stream does (0: the
            state is only zeroed at each epoch's start).
        gradient_clip_val: clip the gradient norm of each chunk to this value (None: no clipping). Manual
            optimization ignores the Trainer's ``gradient_clip_val``, so it is set here.
        decoding: strategy for ``predict`` and ``generate``: ``lightning_seq.tasks.Sampling`` (None: the default,
            temperature 1), ``Greedy`` or ``BeamSearch``.
        max_length: most tokens generated after a prompt (generation also stops at the end-of-line token).
        token_joiner: text between generated tokens ("" for characters and subword pieces, a space for words).
        ngram_order: mix an interpolated Kneser-Ney n-gram of this order, counted on the training stream (when an
            evaluation first needs it; not kept in the checkpoint), with the model per token:
            ``w p_model + (1 - w) p_ngram``, ``w`` chosen from 0, 0.05, ..., 1 on every validation (kept in the
            checkpoint as ``ngram_weight``). Logs ``val/ppl_mixture``, ``val/ppl_ngram``, ``val/ngram_weight`` and
            on test ``test/ppl_mixture`` and ``test/ppl_ngram``; ``val/ppl`` and ``test/ppl`` stay the model's
            alone. None: no n-gram.
        optimizer: ``params -> Optimizer`` (default AdamW).
        lr_scheduler: ``optimizer -> scheduler`` or None.
        scheduler_interval: step the scheduler after every optimizer ``step`` (chunk) or every ``epoch``.
        scheduler_monitor: metric a ``ReduceLROnPlateau`` scheduler watches (stepped at epoch end).
    """

    oldest_readable_format = 2  # 0.2.0: decoding (and decoders) became classes

    def __init__(
        self,
        vocab_size: int | None = None,
        encoder: EncoderFactory = LSTMEncoder,
        embedding_dim: int = 128,
        pretrained_embeddings: str | None = None,
        freeze_embeddings: bool = False,
        tie_embeddings: bool = False,
        dropout: float = 0.0,
        tbptt_steps: int = 50,
        state_reset_rate: float = 0.0,
        gradient_clip_val: float | None = 1.0,
        decoding: DecodingStrategy | None = None,
        max_length: int = 200,
        token_joiner: str = "",
        ngram_order: int | None = None,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        lr_scheduler: LRSchedulerCallable | None = None,
        scheduler_interval: Literal["epoch", "step"] = "epoch",
        scheduler_monitor: str = "val/loss",
    ) -> None:
        super().__init__(
            optimizer=optimizer,
            lr_scheduler=lr_scheduler,
            scheduler_interval=scheduler_interval,
            scheduler_monitor=scheduler_monitor,
            input_features=None,
        )
        self.save_hyperparameters()
        self.automatic_optimization = False
        if vocab_size is None or vocab_size < len(SPECIALS) + 1:
            raise ValueError(f"vocab_size must be > {len(SPECIALS)} (link it from the data), got {vocab_size!r}")
        if isinstance(tbptt_steps, bool) or not isinstance(tbptt_steps, int) or tbptt_steps < 1:
            raise ValueError(f"tbptt_steps must be an integer >= 1, got {tbptt_steps!r}")
        if gradient_clip_val is not None and gradient_clip_val <= 0:
            raise ValueError(f"gradient_clip_val must be > 0 or None, got {gradient_clip_val!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        if not 0.0 <= state_reset_rate <= 1.0:
            raise ValueError(f"state_reset_rate must lie in [0, 1], got {state_reset_rate!r}")
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        self.vocab_size, self.pretrained_embeddings = vocab_size, pretrained_embeddings
        self.embedding = token_table(vocab_size, embedding_dim, freeze_embeddings)
        self.encoder = self.build_encoder(encoder, embedding_dim)
        if self.encoder.bidirectional:
            raise ValueError(
                "LanguageModel needs a unidirectional encoder: a bidirectional one reads the tokens it is asked to "
                "predict (set bidirectional: false)"
            )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(self.encoder.output_size, vocab_size)
        if tie_embeddings:
            if embedding_dim != self.encoder.output_size:
                raise ValueError(
                    f"tie_embeddings needs embedding_dim ({embedding_dim}) equal to the encoder's output size "
                    f"({self.encoder.output_size})"
                )
            self.output.weight = self.embedding.weight
        self.tbptt_steps, self.gradient_clip_val = tbptt_steps, gradient_clip_val
        self.state_reset_rate = state_reset_rate
        self.decoding = check_decoding(decoding) if decoding is not None else Sampling()
        self.max_length, self.token_joiner = max_length, token_joiner
        self.val_perplexity = Perplexity()
        self.test_perplexity = Perplexity()
        self.carried: dict[str, EncoderState | None] = {"train": None, "val": None, "test": None}
        self.ngram = NgramMixture(ngram_order) if ngram_order is not None else None
        self.register_buffer("ngram_weight", torch.tensor(0.5) if ngram_order is not None else None)

    # ------------------------------------------------------------------------------------------------ model
    def forward(
        self, inputs: Tensor, state: EncoderState | None = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, EncoderState]:
        """Next-token log-probabilities over a window.

        Args:
            inputs: ``(B, T)`` token ids.
            state: state to continue from (``(L, B, H)``), or None for zeros.
            lengths: ``(B,)`` valid steps when right-padded (default: all ``T``).

        Returns:
            ``log_probs (B, T, V)`` (float32) and the state after each row's last valid step.
        """
        if lengths is None:
            lengths = torch.full((inputs.size(0),), inputs.size(1), dtype=torch.long, device=inputs.device)
        x = self.dropout(self.embedding(inputs))  # (B, T, E)
        outputs, new_state = self.encoder(x, lengths, state)  # (B, T, H)
        logits = self.output(self.dropout(outputs))  # (B, T, V)
        return torch.log_softmax(logits.float(), dim=-1), new_state

    def step(self, tokens: Tensor, state: EncoderState) -> tuple[Tensor, EncoderState]:
        """One generation step (for the decoding functions): ``tokens (B,)`` -> ``log_probs (B, V)``, new state."""
        log_probs, state = self(tokens.unsqueeze(1), state)  # (B, 1, V)
        return log_probs[:, 0], state

    def reorder(self, state: EncoderState, index: Tensor) -> EncoderState:
        """Take batch rows ``index (M,)`` of the state (beam search)."""
        return EncoderState(*(None if t is None else t.index_select(1, index) for t in state))

    def reorder_beams(self, state: EncoderState, index: Tensor) -> EncoderState:
        """Follow beam back-pointers ``index (B*K,)``: the whole state is per hypothesis, as in ``reorder``."""
        return self.reorder(state, index)

    def prompt_state(self, prompts: Tensor, lengths: Tensor) -> tuple[EncoderState, Tensor]:
        """Read each prompt but its last token; return that state and the last tokens ``(B,)`` to start from.

        Args:
            prompts: ``(B, P)`` token ids, right-padded; each row at least one token (a line starts after EOS, so
                ``[EOS]`` alone asks for a new line from scratch).
            lengths: ``(B,)`` valid prompt tokens, each >= 1.
        """
        if prompts.dim() != 2 or int(lengths.min()) < 1 or int(lengths.max()) > prompts.size(1):
            raise ValueError(f"prompts must be (B, P) with lengths in [1, P], got {tuple(prompts.shape)}, {lengths}")
        lengths = lengths.to(prompts.device)
        start = prompts.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)  # (B,)
        read = (lengths - 1).clamp(min=1)  # rows with nothing to read run one step and are reset below
        _, state = self(prompts[:, : max(1, prompts.size(1) - 1)], None, read)
        empty = (lengths == 1).view(1, -1, 1)  # (1, B, 1)
        state = EncoderState(*(None if t is None else t.masked_fill(empty, 0.0) for t in state))
        return state, start

    def generate(
        self,
        prompts: Tensor,
        lengths: Tensor,
        *,
        max_length: int | None = None,
        decoding: DecodingStrategy | None = None,
    ) -> Hypotheses:
        """Continue each prompt until EOS or ``max_length`` tokens.

        Args:
            prompts: ``(B, P)`` token ids, right-padded (see ``prompt_state``).
            lengths: ``(B,)`` prompt lengths, each >= 1.
            max_length: most generated tokens (default: the configured ``max_length``).
            decoding: a strategy such as ``Sampling(temperature=0.8, seed=0)`` (default: the configured one).

        Returns:
            ``Hypotheses`` of the continuations (the prompt not included), ``N`` the strategy's ``n_best``.
        """
        strategy = check_decoding(decoding) if decoding is not None else self.decoding
        max_length = max_length or self.max_length
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length!r}")
        state, start = self.prompt_state(prompts, lengths)
        return strategy.search(
            WithoutTokens(self, NEVER_GENERATED), state, batch=prompts.size(0), start=start, eos=EOS_ID,
            max_length=max_length, device=prompts.device,
        )

    def tokens(self, ids: list[int]) -> list[str]:
        """Ids to the tokens of generated text (specials, ``<unk>`` included, dropped)."""
        return self.ids_to_tokens("vocabulary", ids, keep_unknown=False)

    # ------------------------------------------------------------------------------------------------ training
    def optimizer_steps_per_batch(self) -> int:
        """One optimizer step per TBPTT chunk: the chunks in a batch's window."""
        data = self.datamodule
        return math.ceil(data.sequence_length / self.tbptt_steps) if isinstance(data, StreamsTokens) else 1

    def on_fit_start(self) -> None:
        """Refuse a corpus whose streams are shorter than one TBPTT chunk (when the data module says)."""
        data = self.datamodule
        if isinstance(data, StreamsTokens):
            available = data.tokens_per_stream("train")
            if available < self.tbptt_steps + 1:
                raise ValueError(
                    f"each training stream holds {available} tokens, fewer than one TBPTT chunk of tbptt_steps="
                    f"{self.tbptt_steps} (+1 target); use a longer corpus, fewer streams (batch_size) or a smaller "
                    "tbptt_steps"
                )

    def reset_epoch_state(self) -> None:
        """Start every epoch's streams from a zero state (not when resuming within the epoch: see the base)."""
        super().reset_epoch_state()
        self.carried["train"] = None

    def training_step(self, batch: LanguageModelBatch, batch_idx: int) -> Tensor:
        """One optimizer step per ``tbptt_steps`` chunk, the state carried (detached) across chunks and batches."""
        optimizer = self.optimizers()
        scheduler = self.lr_schedulers() if self.scheduler_factory is not None else None
        state = self.carried["train"]
        if state is not None:
            state = reset_some_rows(state, self.state_reset_rate)
        total, count = batch.inputs.new_zeros((), dtype=torch.float), 0
        for inputs, targets in time_chunks(batch.inputs, batch.targets, self.tbptt_steps):
            log_probs, state = self(inputs, state)  # (B, k, V)
            loss = F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), targets.reshape(-1))
            optimizer.zero_grad()
            self.manual_backward(loss)
            if self.gradient_clip_val is not None:
                self.clip_gradients(optimizer, gradient_clip_val=self.gradient_clip_val, gradient_clip_algorithm="norm")
            optimizer.step()
            if scheduler is not None and self.scheduler_interval == "step":
                scheduler.step()
            state = detach_state(state)
            total, count = total + loss.detach() * targets.numel(), count + targets.numel()
        self.carried["train"] = state
        mean = total / count
        self.log_train_loss(mean, count, {"train/ppl": torch.exp(mean)})
        return mean

    def on_train_epoch_end(self) -> None:
        """Log ``train/loss_epoch``, then step a per-epoch LR scheduler (``ReduceLROnPlateau`` on its monitor)."""
        super().on_train_epoch_end()
        if self.scheduler_factory is None or self.scheduler_interval != "epoch":
            return
        scheduler = self.lr_schedulers()
        if isinstance(scheduler, ReduceLROnPlateau):
            value = self.trainer.callback_metrics.get(self.scheduler_monitor)
            if value is None:
                raise ValueError(
                    f"ReduceLROnPlateau watches {self.scheduler_monitor!r}, which was not logged; logged metrics: "
                    f"{sorted(self.trainer.callback_metrics)}"
                )
            scheduler.step(value)
        else:
            scheduler.step()

    # ------------------------------------------------------------------------------------------------ evaluation
    def _evaluate(self, batch: LanguageModelBatch, stage: str, metric: Perplexity) -> None:
        log_probs, state = self(batch.inputs, self.carried[stage])
        self.carried[stage] = state
        loss = F.nll_loss(log_probs.reshape(-1, log_probs.size(-1)), batch.targets.reshape(-1))
        size = batch.targets.numel()
        self.log_eval_loss(stage, loss, size)
        metric.update(log_probs, batch.targets)
        self.log(f"{stage}/ppl", metric, on_epoch=True, prog_bar=stage == "val", batch_size=size)
        if self.ngram is not None:
            self.ngram.keep(batch.inputs, batch.targets, log_probs)

    def _start_ngram(self) -> None:
        """Count the n-gram on the data module's training stream the first time; start a new evaluation."""
        if self.ngram is None:
            return
        if self.ngram.model is None:
            data = self.datamodule
            if not isinstance(data, StreamsTokens):
                raise ValueError("ngram_order counts the n-gram on the training stream: evaluate with a data module "
                                 "of token streams (TextCorpusDataModule)")
            self.ngram.fit(data.token_ids("train"))
        self.ngram.start()

    def _mixture_scores(self) -> tuple[Tensor, float]:
        """The log-likelihood under every mixture weight, summed over ranks, and the token count over ranks."""
        sums, count = self.ngram.log_likelihoods()
        totals = self.trainer.strategy.reduce(sums.to(self.device), reduce_op="sum")
        count = self.trainer.strategy.reduce(torch.tensor(float(count), device=self.device), reduce_op="sum")
        return totals.cpu(), float(count)

    def _log_mixture(self, stage: str) -> None:
        """Log the mixture's and the n-gram's perplexity; on validation choose the weight first (and log it)."""
        totals, count = self._mixture_scores()
        if count == 0:
            return
        if stage == "val":
            self.ngram_weight.fill_(MIXTURE_WEIGHTS[int(totals.argmax())])
            self.log("val/ngram_weight", self.ngram_weight.clone())
        chosen = min(range(len(MIXTURE_WEIGHTS)), key=lambda i: abs(MIXTURE_WEIGHTS[i] - float(self.ngram_weight)))
        self.log(f"{stage}/ppl_mixture", perplexity(float(totals[chosen]), count))
        self.log(f"{stage}/ppl_ngram", perplexity(float(totals[0]), count))

    def on_validation_epoch_start(self) -> None:
        """Validation streams start from a zero state (and, with an n-gram, without history)."""
        self.carried["val"] = None
        self._start_ngram()

    def on_validation_epoch_end(self) -> None:
        """With an n-gram: choose the mixture's weight on this validation; log the mixture's perplexity."""
        if self.ngram is None:
            return
        self._log_mixture("val")

    def validation_step(self, batch: LanguageModelBatch, batch_idx: int) -> None:
        """Loss and perplexity (summed over tokens and ranks, then exponentiated), the state carried across batches."""
        self._evaluate(batch, "val", self.val_perplexity)

    def on_test_epoch_start(self) -> None:
        """Test streams start from a zero state (and, with an n-gram, without history)."""
        self.carried["test"] = None
        self._start_ngram()

    def on_test_epoch_end(self) -> None:
        """With an n-gram: the perplexity of the mixture at the weight validation chose, and of the n-gram alone."""
        if self.ngram is None:
            return
        self._log_mixture("test")

    def test_step(self, batch: LanguageModelBatch, batch_idx: int) -> None:
        """As validation, on the test streams."""
        self._evaluate(batch, "test", self.test_perplexity)

    def predict_step(self, batch: SequenceBatch, batch_idx: int, dataloader_idx: int = 0) -> GeneratedSequences:
        """Each prompt followed by its generated continuation, with the continuation's log-probability.

        The ``prompt`` column shows the prompt as the model read it (unknown tokens as ``<unk>``).
        """
        hyps = self.generate(batch.inputs, batch.lengths)
        texts, prompts = [], []
        for row in range(batch.lengths.numel()):
            ids = batch.inputs[row, : batch.lengths[row]].tolist()
            prompts.append(self.ids_to_tokens("vocabulary", ids))  # <unk> shown: the model read it
            continuations = [hyps.tokens[row, n, : hyps.lengths[row, n]].tolist() for n in range(hyps.tokens.size(1))]
            texts.append([self.tokens(ids) + self.tokens(c) for c in continuations])  # n-best with BeamSearch
        return GeneratedSequences(batch.indices, texts, hyps.scores.cpu(), self.token_joiner, prompts)

    def run_state(self) -> dict[str, Tensor]:
        """The base state plus the training state carried across batches (TBPTT), per rank."""
        state = super().run_state()
        carried = self.carried["train"]
        if carried is not None:
            state["carried_hidden"] = self._per_rank(carried.hidden)
            if carried.cell is not None:
                state["carried_cell"] = self._per_rank(carried.cell)
        return state

    def load_run_state(self, state: dict[str, Tensor]) -> None:
        """Restore the base state and the carried training state."""
        super().load_run_state(state)
        if "carried_hidden" in state:
            cell = state.get("carried_cell")
            self.carried["train"] = EncoderState(
                state["carried_hidden"].to(self.device), None if cell is None else cell.to(self.device)
            )

    def name_sizes(self) -> dict[str, int]:
        """The vocabulary (``vocab_size``)."""
        return {"vocabulary": self.vocab_size}

    def pretrained_tables(self) -> list[tuple[nn.Embedding, str, str]]:
        """The token embedding, when ``pretrained_embeddings`` is given."""
        if self.pretrained_embeddings is None:
            return []
        return [(self.embedding, "vocabulary", self.pretrained_embeddings)]
