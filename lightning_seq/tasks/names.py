"""Vocabularies and label names of a task: checkpoint state, never hyper-parameters.

A model is built from sizes only (``vocab_size``, ``num_classes``, ``target_vocab_size``: small integers that the CLI
links from the data and stores as hyper-parameters). The names behind those sizes (tokens by id, class names by id)
reach the task from its data module in ``setup`` or from a checkpoint, and are saved in the checkpoint under their
own key, one JSON string per list (see ``save_names``). So loading a checkpoint costs the same for a 100-word and
a 200,000-word vocabulary: the lists never go through argument parsing (jsonargparse deep-copies and type-checks
every element of a hyper-parameter; a 42,780-word vocabulary took over ten minutes there).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from lightning_seq.types import BOS_ID, EOS_ID, PAD_ID, UNK_ID, UNKNOWN_REFERENCE

NAMES_KEY = "lightning_seq_names"
NAME_FIELDS = ("vocabulary", "label_names", "target_vocabulary")
"""The name lists a task can keep; each matches one size: ``vocab_size``, ``num_classes``, ``target_vocab_size``."""


def describe_difference(
    key: str, theirs: Sequence[str], theirs_owner: str, mine: Sequence[str], mine_owner: str
) -> str:
    """A message naming the first entry where two name lists differ, e.g. the checkpoint's and the data's."""
    diff = next((i for i, (a, b) in enumerate(zip(theirs, mine, strict=False)) if a != b), min(len(theirs), len(mine)))
    shown = (theirs[diff] if diff < len(theirs) else "<end>", mine[diff] if diff < len(mine) else "<end>")
    return (
        f"the {theirs_owner}'s {key} ({len(theirs)} entries) does not match the {mine_owner}'s ({len(mine)} entries): "
        f"first difference at index {diff}: {shown[0]!r} in the {theirs_owner} vs {shown[1]!r} in the {mine_owner}. "
        f"Build the data with the training run's vocabulary or labels (e.g. --data.vocab_path=<run dir>/vocab.txt, "
        f"--data.charset)."
    )


class TaskNames:
    """Mixin of ``SequenceTask``: keeps the name lists, checks them against the model's sizes and against each other.

    Subclasses say which lists they use and how long each must be (``name_sizes``) and may add checks
    (``check_names``, e.g. that a vocabulary starts with the specials).
    """

    def name_sizes(self) -> dict[str, int]:
        """The name lists this task keeps, each with the length the model was built for."""
        return {}

    def check_names(self, key: str, values: list[str]) -> None:
        """Refuse a name list this task cannot use (raise ``ValueError``); the base accepts any."""

    def _name_store(self) -> dict[str, list[str]]:
        store = self.__dict__.get("_task_names")
        if store is None:
            store = {}
            self.__dict__["_task_names"] = store
        return store

    def set_names(
        self,
        vocabulary: Sequence[str] | None = None,
        label_names: Sequence[str] | None = None,
        target_vocabulary: Sequence[str] | None = None,
        source: str = "data",
    ) -> None:
        """Give the task the names behind its sizes (the data module's, in ``setup``; a checkpoint's, on load).

        Lists the task does not use are ignored. A list must have the length the model was built for, and must
        equal the one the task already holds, if any (a model trained on one vocabulary cannot read another).

        Args:
            vocabulary: (source) tokens by id.
            label_names: class names by id.
            target_vocabulary: target tokens by id, specials first.
            source: who gives them, for error messages (``data``, ``checkpoint``).
        """
        sizes, store = self.name_sizes(), self._name_store()
        given = {"vocabulary": vocabulary, "label_names": label_names, "target_vocabulary": target_vocabulary}
        for key, values in given.items():
            if values is None or key not in sizes:
                continue
            values = [str(v) for v in values]
            held = store.get(key)
            if held is not None and held != values:
                owner = "model" if source != "checkpoint" else "data"
                raise ValueError(describe_difference(key, values, source, held, owner))
            if len(values) != sizes[key]:
                raise ValueError(
                    f"the {source}'s {key} has {len(values)} entries, but the model was built for {sizes[key]}"
                )
            self.check_names(key, values)
            store[key] = values

    def names(self, key: str) -> list[str] | None:
        """The name list ``key`` (``vocabulary``, ``label_names``, ``target_vocabulary``), or None when unknown."""
        return self._name_store().get(key)

    def ids_to_tokens(self, key: str, ids: Iterable[int], *, keep_unknown: bool = True) -> list[str]:
        """Ids to tokens of the name list ``key``, without ``<pad>``, ``<bos>`` and ``<eos>``.

        The one way every task turns ids into text.

        Args:
            key: ``vocabulary`` or ``target_vocabulary``.
            ids: token ids.
            keep_unknown: keep ``<unk>`` (a hypothesis as the model wrote it); False drops it (text to show). A
                reference to score against comes from ``reference_tokens`` instead.
        """
        names = self.names(key)
        if names is None:
            raise RuntimeError(f"the {key} is unknown: fit or test with a data module, or load a checkpoint")
        dropped = {PAD_ID, BOS_ID, EOS_ID} if keep_unknown else {PAD_ID, UNK_ID, BOS_ID, EOS_ID}
        return [names[i] for i in ids if i not in dropped]

    def reference_tokens(self, key: str, ids: Iterable[int]) -> list[str]:
        """Target ids as a reference to score against, when the data gives no text as written.

        As ``ids_to_tokens``, but ``<unk>`` becomes ``UNKNOWN_REFERENCE`` (U+FFFD), which no hypothesis holds: the
        token it replaced is one the model cannot produce, so a predicted ``<unk>`` must not match it.
        """
        ids = list(ids)
        tokens = self.ids_to_tokens(key, ids)  # keeps <unk>: one token per kept id
        kept = [i for i in ids if i not in (PAD_ID, BOS_ID, EOS_ID)]
        return [UNKNOWN_REFERENCE if i == UNK_ID else token for i, token in zip(kept, tokens, strict=True)]

    def names_from(self, holder: Any, source: str) -> None:
        """``set_names`` with whichever of the lists ``holder`` (a data module) has as attributes."""
        self.set_names(*(getattr(holder, key, None) for key in NAME_FIELDS), source=source)

    def save_names(self, checkpoint: dict[str, Any]) -> None:
        """Store the name lists in ``checkpoint``, each as one JSON string.

        One string per list, not a list of strings: ``torch.load(weights_only=True)`` unpickles every object in
        Python, so a 100,000-entry list cost a third of a second; one JSON string loads in milliseconds and still
        holds any character a token may contain.
        """
        checkpoint[NAMES_KEY] = {key: json.dumps(values) for key, values in self._name_store().items()}

    def load_names(self, checkpoint: dict[str, Any]) -> None:
        """Take the checkpoint's name lists, refusing ones that differ from those the data gave."""
        saved = checkpoint.get(NAMES_KEY) or {}
        lists = [saved.get(key) for key in NAME_FIELDS]
        self.set_names(*(json.loads(v) if isinstance(v, str) else v for v in lists), source="checkpoint")
