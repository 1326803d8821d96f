"""The private Lightning APIs lightning_seq relies on, each because no public one does the same (the reason is at
the use site). When a Lightning release changes one, the matching test fails here, by name, instead of a recipe
misbehaving quietly."""

import inspect

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LightningCLI
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
from torch.utils.data import DataLoader, TensorDataset


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_batches_that_stepped_counts_the_optimizer_steps_the_logger_connector_logs_by(tmp_path):
    """``SequenceTask._step_is_read`` decides whether a step's values are written with the same count."""
    loader = DataLoader(TensorDataset(torch.randn(10, 2)), batch_size=2)
    trainer = pl.Trainer(max_epochs=2, logger=CSVLogger(tmp_path), enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1)
    trainer.fit(Tiny(), loader)
    assert trainer.fit_loop.epoch_loop._batches_that_stepped == trainer.global_step == 10


def test_jit_is_scripting_lets_a_module_without_a_trainer_be_traced():
    """``export`` traces a task outside a Trainer; Lightning's flag stops ``.trainer`` from raising then."""
    module = Tiny()
    assert module._jit_is_scripting is False
    with pytest.raises(RuntimeError, match="not attached to a `Trainer`"):
        _ = module.trainer
    module._jit_is_scripting = True
    assert module.trainer is None


@pytest.mark.parametrize("logger_class", [CSVLogger, TensorBoardLogger])
def test_logger_version_slot_is_what_version_reads(tmp_path, logger_class):
    """``share_log_folder`` gives the recipes' second logger the first one's ``version_N`` folder."""
    logger = logger_class(tmp_path, name="")
    assert logger._version is None
    logger._version = 7
    assert logger.version == 7 and logger.log_dir.endswith("version_7")


def test_lightning_cli_hooks_seqcli_overrides_keep_their_signatures():
    """``SeqCLI`` overrides ``_parse_ckpt_path`` (inference options survive ``--ckpt_path``) and
    ``_instantiate_trainer`` (plain-line progress, shared log folders, the launch check)."""
    assert list(inspect.signature(LightningCLI._parse_ckpt_path).parameters) == ["self"]
    assert list(inspect.signature(LightningCLI._instantiate_trainer).parameters) == ["self", "config", "callbacks"]


def test_litserve_waits_on_its_shutdown_event_and_names_its_http_processes():
    """``deploy/shutdown.py`` releases ``LitServer.run`` by setting ``_shutdown_event`` (run waits on it and then
    shuts down its processes), finds the HTTP processes by LitServe's name for them, and sets how long they drain
    through ``uvicorn_graceful_timeout``: LitServe has no public way to stop a running server from its own process."""
    import litserve as ls

    from lightning_seq.deploy.shutdown import HTTP_PROCESS_PREFIX

    run = inspect.getsource(ls.LitServer.run)
    assert "self._shutdown_event.wait()" in run and "self._perform_graceful_shutdown(" in run
    assert f'name=f"{HTTP_PROCESS_PREFIX}{{response_queue_id}}"' in inspect.getsource(ls.LitServer._start_server)
    assert "timeout_graceful_shutdown=self.uvicorn_graceful_timeout" in inspect.getsource(ls.LitServer._start_server)
