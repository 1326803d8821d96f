"""Audio features computed inside the model, so that waveforms go in and the framing runs on the accelerator."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from lightning_seq.nn.audio_features import AudioFeatures


class InModelFeatures:
    """A task's ``features``: the data module's ``AudioFeatures``, rebuilt in the model from their settings.

    A mixin of ``SequenceTask`` (an ``nn.Module``). A data module with ``features_on_device`` hands its features'
    settings to the task (the linked ``input_features``); the task's inputs are then waveforms ``(B, N)`` and
    ``features_of`` turns them into frames. Without them (``features`` is None) inputs pass through unchanged.
    """

    features: AudioFeatures | None
    """The features computed in the model, or None (the data module computed them)."""

    def use_features(self, settings: dict[str, Any] | None) -> None:
        """Build ``features`` from ``AudioFeatures`` settings (None: inputs are features already)."""
        self.features = AudioFeatures.from_config(settings) if settings is not None else None
        if self.features is not None:
            self.register_load_state_dict_pre_hook(rename_featurizer_keys)

    def features_of(self, inputs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Waveforms ``(B, N)`` and sample counts -> features ``(B, T, F)`` and frame counts; else unchanged."""
        if self.features is None:
            return inputs, lengths
        return self.features(inputs, lengths)


def rename_featurizer_keys(module: nn.Module, state_dict: dict[str, Tensor], prefix: str, *_: Any) -> None:
    """A ``load_state_dict`` pre-hook: read the ``featurizer.*`` keys lightning_seq 0.2 wrote as ``features.*``."""
    old = prefix + "featurizer."
    for key in [k for k in state_dict if k.startswith(old)]:
        state_dict[prefix + "features." + key[len(old):]] = state_dict.pop(key)
