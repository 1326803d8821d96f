"""The embedded data sets every recipe runs on by default, generated from a seed (no download)."""
