"""Class label names in a stable order."""

from __future__ import annotations


def sort_label_names(labels: set[str]) -> list[str]:
    """Label names in a stable order: numerically when all are integers, else alphabetically."""
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)
