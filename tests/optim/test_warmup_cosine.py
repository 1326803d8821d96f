import functools
import math

import pytest
import pytorch_lightning as pl
import torch

from lightning_seq.data import SentimentDataModule
from lightning_seq.nn import GRUEncoder
from lightning_seq.optim import WarmupCosineLR
from lightning_seq.tasks import SequenceClassifier


def rates(scheduler: WarmupCosineLR, steps: int) -> list[float]:
    out = []
    for _ in range(steps):
        out.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def sgd(lr: float = 0.5) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


@pytest.mark.parametrize("warmup, total", [(0, 1), (1, 2), (4, 10), (10, 10), (3, 50), (25, 40)])
def test_rates_rise_linearly_then_follow_a_half_cosine_to_the_floor(warmup, total):
    scheduler = WarmupCosineLR(sgd(0.5), warmup_steps=warmup, total_steps=total, min_factor=0.1)
    got = rates(scheduler, total + 5)
    span = max(1, total - warmup)
    for step, lr in enumerate(got):
        if step < warmup:
            expected = 0.5 * (step + 1) / warmup
        else:
            progress = min(1.0, (step - warmup) / span)
            expected = 0.5 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        assert lr == pytest.approx(expected), step
    assert got[-1] == pytest.approx(0.05)  # the floor, held after total_steps
    assert max(got) == pytest.approx(0.5)


def test_bad_arguments_and_a_missing_total_are_named():
    with pytest.raises(ValueError, match="warmup_steps must be >= 0, got -1"):
        WarmupCosineLR(sgd(), warmup_steps=-1)
    with pytest.raises(ValueError, match="total_steps must be >= 1, got 0"):
        WarmupCosineLR(sgd(), total_steps=0)
    with pytest.raises(ValueError, match="decay_epochs must be > 0, got 0"):
        WarmupCosineLR(sgd(), decay_epochs=0)
    with pytest.raises(ValueError, match="give total_steps or decay_epochs, not both"):
        WarmupCosineLR(sgd(), total_steps=10, decay_epochs=2)
    with pytest.raises(ValueError, match=r"min_factor must lie in \[0, 1\], got 1.5"):
        WarmupCosineLR(sgd(), min_factor=1.5)
    scheduler = WarmupCosineLR(sgd(), warmup_steps=2)
    rates(scheduler, 2)  # the warmup and the top of the cosine need no length
    with pytest.raises(RuntimeError, match="past its warmup without total_steps"):
        rates(scheduler, 1)


def small_task(interval: str, **schedule) -> tuple[SequenceClassifier, SentimentDataModule]:
    data = SentimentDataModule(generated_size=96, batch_size=16)
    model = SequenceClassifier(
        num_classes=data.num_classes, vocab_size=data.vocab_size, embedding_dim=8,
        encoder=functools.partial(GRUEncoder, hidden_size=8),
        lr_scheduler=functools.partial(WarmupCosineLR, warmup_steps=3, min_factor=0.0, **schedule),
        scheduler_interval=interval,
    )
    return model, data


def test_a_task_sizes_the_decay_from_the_trainer_and_steps_it_every_optimizer_step(tmp_path):
    pl.seed_everything(0)
    model, data = small_task("step")
    trainer = pl.Trainer(accelerator="cpu", max_epochs=3, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.fit(model, data)
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    steps_per_epoch = math.ceil(96 / 16)
    assert scheduler.total_steps == 3 * steps_per_epoch == trainer.global_step
    assert scheduler.last_epoch == trainer.global_step
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # decayed to the floor


@pytest.mark.parametrize(
    ("decay_epochs", "max_epochs", "accumulate"), [(2, 5, 1), (3, 4, 2), (1.5, 6, 1), (4, 4, 3), (6, 3, 1), (5, 2, 2)]
)
def test_decay_epochs_sizes_the_decay_by_epochs_of_the_data_not_by_the_ceiling(
    tmp_path, decay_epochs, max_epochs, accumulate
):
    """The decay spans ``decay_epochs`` epochs whatever a longer ``max_epochs`` is: the same rates as a run whose
    ceiling is ``decay_epochs`` (to the step), then the floor while training goes on; a ceiling below
    ``decay_epochs`` sizes the decay itself, so a run cut short still ends at the floor."""
    trainers = []
    shorter = min(decay_epochs, max_epochs)
    for schedule, epochs in (({"decay_epochs": decay_epochs}, max_epochs), ({}, math.ceil(shorter))):
        pl.seed_everything(0)
        model, data = small_task("step", **schedule)
        trainer = pl.Trainer(accelerator="cpu", max_epochs=epochs, logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                             accumulate_grad_batches=accumulate)
        trainer.fit(model, data)
        trainers.append(trainer)
    per_epoch = math.ceil(math.ceil(96 / 16) / accumulate)
    sized, by_ceiling = (t.lr_scheduler_configs[0].scheduler for t in trainers)
    assert sized.total_steps == round(shorter * per_epoch)
    assert trainers[0].global_step == max_epochs * per_epoch  # the ceiling still ends this short run
    if shorter == math.ceil(shorter):
        assert sized.total_steps == by_ceiling.total_steps
    assert trainers[0].optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)  # at its floor


def test_decay_epochs_sizes_the_decay_of_a_run_without_a_step_limit(tmp_path):
    class StopAfterTwoEpochs(pl.Callback):
        def on_train_epoch_end(self, trainer, pl_module):
            trainer.should_stop = trainer.current_epoch >= 1

    model, data = small_task("step", decay_epochs=2)
    trainer = pl.Trainer(accelerator="cpu", max_epochs=-1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                         callbacks=[StopAfterTwoEpochs()])
    trainer.fit(model, data)
    assert trainer.lr_scheduler_configs[0].scheduler.total_steps == 2 * math.ceil(96 / 16) == trainer.global_step


def test_a_run_without_a_step_limit_is_refused_with_the_way_out(tmp_path):
    model, data = small_task("step")
    trainer = pl.Trainer(accelerator="cpu", max_epochs=-1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    with pytest.raises(ValueError, match="the trainer has no step limit .* set max_epochs or max_steps"):
        trainer.fit(model, data)


def test_a_task_refuses_it_per_epoch(tmp_path):
    model, data = small_task("epoch")
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    with pytest.raises(ValueError, match="WarmupCosineLR counts optimizer steps: set scheduler_interval to 'step'"):
        trainer.fit(model, data)


def test_a_resumed_schedule_keeps_its_position_and_takes_the_current_runs_length():
    first = WarmupCosineLR(sgd(), warmup_steps=2)
    first.set_total_steps(5)  # the interrupted run stopped early (max_steps)
    rates(first, 4)
    resumed = WarmupCosineLR(sgd(), warmup_steps=2)
    resumed.load_state_dict(first.state_dict())
    resumed.set_total_steps(20)  # the resumed run's trainer, as training starts: the full length
    assert (resumed.last_epoch, resumed.total_steps) == (4, 20)
    straight = WarmupCosineLR(sgd(), warmup_steps=2, total_steps=20)
    assert rates(resumed, 16) == rates(straight, 20)[4:]
