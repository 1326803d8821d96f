import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from lightning_seq.data import TextCorpusDataModule
from lightning_seq.nn import GRUEncoder, LSTMEncoder
from lightning_seq.tasks import BeamSearch, Greedy, LanguageModel, Sampling
from lightning_seq.tasks.tbptt import detach_state, reset_some_rows, time_chunks
from lightning_seq.types import EncoderState

VOCAB = [f"t{i}" for i in range(12)]


def make_model(encoder=LSTMEncoder, **kwargs):
    torch.manual_seed(0)
    factory = lambda size: encoder(size, 16)  # noqa: E731
    model = LanguageModel(vocab_size=12, encoder=factory, embedding_dim=8, **kwargs)
    model.set_names(vocabulary=VOCAB)
    return model


def quiet_trainer(**kwargs):
    return pl.Trainer(
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,
    )


def test_gradients_stop_at_a_chunk_boundary():
    model = make_model()
    first = torch.tensor([[4, 5, 4, 5], [5, 4, 5, 4]])  # tokens 4, 5 only in the first chunk
    second = torch.tensor([[6, 7, 6, 7], [7, 6, 7, 6]])  # tokens 6, 7 only in the second
    _, state = model(first)
    for carried, grad_reaches_first_chunk in ((detach_state(state), False), (state, True)):
        model.zero_grad()
        log_probs, _ = model(second, carried)
        F.nll_loss(log_probs.reshape(-1, 12), second.reshape(-1)).backward(retain_graph=True)
        grad = model.embedding.weight.grad
        assert bool(grad[[6, 7]].abs().sum() > 0)
        assert bool(grad[[4, 5]].abs().sum() > 0) == grad_reaches_first_chunk
    assert detach_state(state).hidden.grad_fn is None and detach_state(state).cell.grad_fn is None


def test_a_carried_state_changes_the_loss_and_continues_the_stream_exactly():
    model = make_model(GRUEncoder).eval()
    stream = torch.randint(4, 12, (3, 20), generator=torch.Generator().manual_seed(1))
    whole, _ = model(stream)
    head, state = model(stream[:, :8])
    carried, _ = model(stream[:, 8:], state)
    reset, _ = model(stream[:, 8:])
    torch.testing.assert_close(torch.cat([head, carried], 1), whole)
    assert not torch.allclose(carried, reset)


def test_time_chunks_cover_the_window_in_order():
    inputs, targets = torch.arange(22).view(2, 11), torch.arange(1, 23).view(2, 11)
    chunks = time_chunks(inputs, targets, 4)
    assert [c[0].size(1) for c in chunks] == [4, 4, 3]
    assert torch.equal(torch.cat([c[0] for c in chunks], 1), inputs)
    assert torch.equal(torch.cat([c[1] for c in chunks], 1), targets)


def write_corpus(path, lines=60):
    words = ["the cat sees a dog .", "a dog runs .", "the birds sing ."]
    path.write_text("\n".join(words[i % 3] for i in range(lines)) + "\n", encoding="utf-8")
    return str(path)


def test_training_takes_one_step_per_chunk_and_carries_a_detached_state(tmp_path):
    data = TextCorpusDataModule(train_path=write_corpus(tmp_path / "train.txt"), sequence_length=10, batch_size=4)
    model = LanguageModel(
        vocab_size=data.vocab_size,
        encoder=lambda s: LSTMEncoder(s, 16),
        embedding_dim=8,
        tbptt_steps=4,
    )
    trainer = quiet_trainer(max_epochs=1)
    trainer.fit(model, data)
    steps = data.tokens_per_stream("train") - 1
    windows = [min(10, steps - s) for s in range(0, steps, 10)]
    assert trainer.global_step == sum(-(-w // 4) for w in windows)
    carried = model.carried["train"]
    assert carried.hidden.shape == (1, 4, 16) and carried.hidden.grad_fn is None
    assert torch.isfinite(trainer.callback_metrics["val/ppl"])


def test_a_corpus_shorter_than_one_chunk_per_stream_is_refused(tmp_path):
    data = TextCorpusDataModule(train_path=write_corpus(tmp_path / "train.txt", 12), batch_size=4)
    model = LanguageModel(vocab_size=data.vocab_size, tbptt_steps=50)
    per_stream = data.tokens_per_stream("train")
    with pytest.raises(ValueError, match=f"each training stream holds {per_stream} tokens, fewer than one TBPTT chunk"):
        quiet_trainer(max_epochs=1).fit(model, data)


def test_seeded_sampling_is_reproducible_and_prompts_batch_like_single_rows():
    model = make_model().eval()
    prompts = torch.tensor([[3, 4, 5, 6], [3, 7, 0, 0], [3, 0, 0, 0]])
    lengths = torch.tensor([4, 2, 1])
    a = model.generate(prompts, lengths, max_length=15, decoding=Sampling(seed=7))
    b = model.generate(prompts, lengths, max_length=15, decoding=Sampling(seed=7))
    c = model.generate(prompts, lengths, max_length=15, decoding=Sampling(seed=8))
    assert torch.equal(a.tokens, b.tokens) and not torch.equal(a.tokens, c.tokens)
    together = model.generate(prompts, lengths, max_length=10, decoding=Greedy())
    for row in range(3):
        n = int(lengths[row])
        alone = model.generate(prompts[row : row + 1, :n], lengths[row : row + 1], max_length=10, decoding=Greedy())
        assert torch.equal(together.tokens[row], alone.tokens[0])
    beams = model.generate(prompts, lengths, max_length=10, decoding=BeamSearch(n_best=2))
    assert beams.tokens.shape[:2] == (3, 2) and bool((beams.scores[:, 0] >= beams.scores[:, 1]).all())


def test_a_one_token_prompt_starts_from_a_zero_state():
    model = make_model().eval()
    state, start = model.prompt_state(torch.tensor([[3, 5], [6, 0]]), torch.tensor([2, 1]))
    assert start.tolist() == [5, 6]
    assert bool((state.hidden[:, 1] == 0).all()) and bool((state.cell[:, 1] == 0).all())
    assert bool((state.hidden[:, 0] != 0).any())


def test_tied_embeddings_share_one_matrix():
    model = LanguageModel(vocab_size=12, encoder=lambda s: LSTMEncoder(s, 8), embedding_dim=8, tie_embeddings=True)
    assert model.output.weight is model.embedding.weight
    with pytest.raises(ValueError, match=r"tie_embeddings needs embedding_dim \(8\) equal to the encoder's output"):
        LanguageModel(vocab_size=12, encoder=lambda s: LSTMEncoder(s, 16), embedding_dim=8, tie_embeddings=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tbptt_steps": 0}, "tbptt_steps must be an integer >= 1, got 0"),
        ({"encoder": lambda s: LSTMEncoder(s, 8, bidirectional=True)}, "LanguageModel needs a unidirectional encoder"),
        ({"gradient_clip_val": 0.0}, "gradient_clip_val must be > 0 or None"),
        ({"max_length": 0}, "max_length must be >= 1, got 0"),
        ({"vocab_size": None}, "vocab_size must be > 4"),
        ({"state_reset_rate": 1.5}, r"state_reset_rate must lie in \[0, 1\], got 1.5"),
    ],
)
def test_invalid_arguments_name_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LanguageModel(**{"vocab_size": 12, **kwargs})


def test_plateau_scheduler_steps_on_the_monitored_metric(tmp_path):
    data = TextCorpusDataModule(train_path=write_corpus(tmp_path / "train.txt"), sequence_length=10, batch_size=4)
    model = LanguageModel(
        vocab_size=data.vocab_size,
        encoder=lambda s: LSTMEncoder(s, 8),
        embedding_dim=8,
        tbptt_steps=5,
        scheduler_monitor="val/ppl",
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5),
    )
    quiet_trainer(max_epochs=3).fit(model, data)
    scheduler = model.lr_schedulers()
    assert scheduler.last_epoch == 3  # stepped once per epoch with the monitored value


@pytest.mark.parametrize("decoding", [Greedy(), BeamSearch(beam_size=3, n_best=2), Sampling(seed=1)])
def test_generation_never_emits_pad_or_bos_even_when_the_model_ranks_them_first(decoding):
    torch.manual_seed(0)
    model = make_model().eval()
    with torch.no_grad():
        model.output.bias[0] += 50.0  # <pad>
        model.output.bias[2] += 49.0  # <bos>
        model.output.bias[3] -= 50.0  # <eos> last: every continuation runs to max_length
        out = model.generate(torch.tensor([[3, 4, 5], [3, 6, 0]]), torch.tensor([3, 2]), max_length=8,
                             decoding=decoding)
    assert bool((out.lengths == 8).all())
    assert not bool(((out.tokens == 0) | (out.tokens == 2)).any())


def test_reset_some_rows_zeroes_whole_rows_at_the_given_rate():
    torch.manual_seed(0)
    hidden, cell = torch.randn(2, 4000, 3) + 5, torch.randn(2, 4000, 3) - 5
    state = EncoderState(hidden, cell)
    assert reset_some_rows(state, 0.0) is state
    assert not reset_some_rows(state, 1.0).hidden.any() and not reset_some_rows(state, 1.0).cell.any()
    reset = reset_some_rows(state, 0.3)
    zeroed = (reset.hidden == 0).all(dim=2).all(dim=0)  # (B,): rows zeroed in every layer
    assert 0.27 < zeroed.float().mean() < 0.33
    assert torch.equal(zeroed, (reset.cell == 0).all(dim=2).all(dim=0))  # the same rows of hidden and cell
    assert torch.equal(reset.hidden[:, ~zeroed], hidden[:, ~zeroed]) and torch.equal(reset.cell[:, ~zeroed],
                                                                                     cell[:, ~zeroed])
    assert reset_some_rows(EncoderState(hidden, None), 1.0).cell is None  # GRU and RNN states
    with pytest.raises(ValueError, match=r"the reset rate must lie in \[0, 1\], got -0.1"):
        reset_some_rows(state, -0.1)


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_training_windows_start_from_the_reset_state(tmp_path, monkeypatch, rate):
    import lightning_seq.tasks.language_model as module

    seen = []

    def recording(state, reset_rate):
        out = reset_some_rows(state, reset_rate)
        seen.append((state.hidden.abs().sum().item(), out.hidden.abs().sum().item(), out.cell.abs().sum().item()))
        return out

    monkeypatch.setattr(module, "reset_some_rows", recording)
    data = TextCorpusDataModule(train_path=write_corpus(tmp_path / "train.txt"), sequence_length=10, batch_size=4)
    model = LanguageModel(vocab_size=data.vocab_size, encoder=lambda s: LSTMEncoder(s, 16), embedding_dim=8,
                          tbptt_steps=4, state_reset_rate=rate)
    quiet_trainer(max_epochs=1).fit(model, data)
    assert len(seen) == len(data.windows["train"]) - 1  # every window but the first, which starts from zero anyway
    assert all(before > 0 for before, _, _ in seen)
    if rate == 1.0:
        assert all(after == 0 and cell == 0 for _, after, cell in seen)
    else:
        assert all(after == before for before, after, _ in seen)
