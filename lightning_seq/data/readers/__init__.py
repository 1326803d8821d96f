"""Readers: files (tables, JSONL, folders, Hugging Face data sets, audio, images) to records, waveforms, images."""
