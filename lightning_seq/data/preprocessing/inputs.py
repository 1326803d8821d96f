"""What a data module tells a checkpoint about its preprocessing, so a model can read raw inputs without it.

Each data module's ``inference_inputs()`` returns one of these plain dicts (saved by the task under
``PREPROCESSING_KEY``; ``lightning_seq.deploy`` rebuilds the encoder from it). A module that cannot describe its
preprocessing returns ``unavailable(reason)``, and a predictor built from such a checkpoint says the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightning_seq.data.preprocessing.described import describe
from lightning_seq.data.text.tokenizers import Tokenizer

TEXT_KIND = "text"


def unavailable(reason: str) -> dict[str, Any]:
    """The entry of a module whose inputs cannot be encoded from the checkpoint alone, with the reason."""
    return {"unavailable": reason}


def text_inputs_spec(
    tokenizer: Tokenizer, prefix_ids: Sequence[int] = (), max_length: int | None = None
) -> dict[str, Any]:
    """How texts become ids: the tokenizer (described), ids put first, the truncation limit.

    Args:
        tokenizer: the data module's tokenizer; one ``describe`` cannot store gives ``unavailable`` with the reason.
        prefix_ids: ids put before every text (a language model's prompt starts with ``<eos>``).
        max_length: the data module's truncation limit in tokens, if any.
    """
    try:
        described = describe(tokenizer)
    except ValueError as err:  # a user's tokenizer whose arguments are not kept: training goes on, serving cannot
        return unavailable(str(err))
    return {"kind": TEXT_KIND, "tokenizer": described, "prefix_ids": list(prefix_ids), "max_length": max_length}


IMAGE_KIND = "image"
AUDIO_KIND = "audio"


def image_inputs_spec(transform: Any) -> dict[str, Any]:
    """How images become sequences: the ``RowScan`` (scan direction, resize, colour, normalisation), described."""
    return {"kind": IMAGE_KIND, "transform": describe(transform)}


def audio_inputs_spec(features: Any, features_on_device: bool, duration: int | None) -> dict[str, Any]:
    """How recordings become model inputs: the sample rate and feature settings with any train-set statistics.

    Args:
        features: the data module's ``AudioFeatures`` (its ``config()``: settings, mean and std).
        features_on_device: whether the model computes the features (it then reads waveforms).
        duration: samples every clip is padded or cropped to, or None.
    """
    return {"kind": AUDIO_KIND, "features": features.config(), "features_on_device": features_on_device,
            "duration": duration}
