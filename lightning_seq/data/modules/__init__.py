"""Data modules (LightningDataModules): one per data family, over ``SequenceDataModule`` (``base.py``)."""
