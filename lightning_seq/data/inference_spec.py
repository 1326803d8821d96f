"""What a data module tells a checkpoint about its preprocessing, so a model can read raw inputs without it.

Each data module's ``inference_inputs()`` returns one of these plain dicts (saved by the task under
``PREPROCESSING_KEY``; ``lightning_seq.deploy`` rebuilds the encoder from it). A module that cannot describe its
preprocessing returns ``unavailable(reason)``, and a predictor built from such a checkpoint says the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lightning_seq.data.described import describe
from lightning_seq.data.tokenizers import Tokenizer

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
