"""lightning_seq: recurrent sequence models (RNN, LSTM, GRU) for PyTorch Lightning, driven by YAML."""

__version__ = "0.3.0"
