"""Objects that are nothing but their settings (the decoding strategies): compared, shown and saved by them."""

from __future__ import annotations

from typing import Any


class PlainSettings:
    """Equality, ``repr`` and a checkpoint form taken from the instance's attributes.

    The attributes must be the ``__init__`` arguments under the same names.
    """

    def hyperparameters(self) -> dict[str, Any]:
        """``{"class_path", "init_args"}``: the form LightningCLI writes, so checkpoints load weights-only."""
        cls = type(self)
        config: dict[str, Any] = {"class_path": f"{cls.__module__}.{cls.__qualname__}"}
        if vars(self):
            config["init_args"] = dict(vars(self))
        return config

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))
