"""lightning_seq: recurrent sequence models (RNN, LSTM, GRU) for PyTorch Lightning, driven by YAML."""

__version__ = "0.3.0"

from lightning_seq.moved import install as _install_moved_modules

_install_moved_modules()  # 0.2 module paths (stored in configs, checkpoints, shard indexes) import as their new modules
