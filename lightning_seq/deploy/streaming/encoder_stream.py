"""A trained task's front half run on streams: features (computed in chunks) through the encoder, state carried."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from lightning_seq.deploy.streaming.framing import FrameStream
from lightning_seq.nn.audio_features import AudioFeatures
from lightning_seq.nn.encoder import SequenceEncoder
from lightning_seq.types import EncoderState


def check_streamable(encoder: SequenceEncoder, frontend: object | None) -> None:
    """Refuse what cannot run on a stream, saying why."""
    if encoder.bidirectional:
        raise ValueError(
            "a bidirectional encoder reads every step together with the steps after it, which a stream has not "
            "delivered yet: train a unidirectional encoder (bidirectional: false) to stream"
        )
    if frontend is not None:
        raise ValueError(
            "a convolutional front-end looks at neighbouring steps (and pools over time): streaming supports "
            "models without a front-end"
        )


class EncoderStreams:
    """Several streams through one encoder: each call encodes only the new steps, from each stream's carried state.

    Because a unidirectional recurrent encoder's output at a step depends only on the steps up to it, the outputs a
    stream yields chunk by chunk equal those of the whole sequence encoded at once (to float rounding), however the
    stream is cut.

    Args:
        encoder: a unidirectional encoder that accepts ``initial_state`` (the built-in ones do).
        features: the audio feature module when the inputs are waveforms (chunks ``(n,)``), None when they are
            feature steps already (chunks ``(n, F)``, e.g. the columns of a scanned line).
        num_streams: how many streams run side by side.
    """

    def __init__(self, encoder: SequenceEncoder, features: AudioFeatures | None, num_streams: int) -> None:
        if num_streams < 1:
            raise ValueError(f"num_streams must be >= 1, got {num_streams!r}")
        check_streamable(encoder, None)
        self.encoder = encoder
        self.features = features
        self.num_streams = num_streams
        self.framing: list[FrameStream | None] = [None] * num_streams
        self.states: list[EncoderState | None] = [None] * num_streams
        for stream in range(num_streams):
            self.reset(stream)

    def reset(self, stream: int) -> None:
        """Start ``stream`` afresh: no samples, no state."""
        self._check_stream(stream)
        self.framing[stream] = FrameStream(self.features) if self.features is not None else None
        self.states[stream] = None

    def steps(self, chunks: Sequence[Tensor]) -> list[Tensor]:
        """The new feature steps of each stream: ``(T_new, F)`` each."""
        if len(chunks) != self.num_streams:
            raise ValueError(f"push takes one chunk per stream ({self.num_streams}), got {len(chunks)}")
        out = []
        for framing, chunk in zip(self.framing, chunks, strict=True):
            if framing is not None:
                out.append(framing.push(chunk))
            else:
                if chunk.dim() != 2:
                    raise ValueError(f"a feature chunk is (n, F) steps, got shape {tuple(chunk.shape)}")
                out.append(chunk)
        return out

    def final_steps(self) -> list[Tensor]:
        """What each stream's framing still owes at its end (a short stream's one padded frame)."""
        width = self.features.feature_size if self.features is not None else 0
        return [f.flush() if f is not None else torch.zeros(0, width) for f in self.framing]

    @torch.no_grad()
    def encode(self, steps: Sequence[Tensor]) -> list[Tensor]:
        """Encode each stream's new steps ``(T_i, F)`` from its carried state: outputs ``(T_i, H)`` each."""
        active = [i for i, s in enumerate(steps) if s.size(0) > 0]
        outputs = [steps[i].new_zeros(0, self.encoder.output_size) for i in range(self.num_streams)]
        if not active:
            return outputs
        lengths = torch.tensor([steps[i].size(0) for i in active])
        x = torch.nn.utils.rnn.pad_sequence([steps[i] for i in active], batch_first=True)  # (B', T, F)
        encoded, state = self.encoder(x, lengths, self._initial(active, x))  # (B', T, H), (L, B', H)
        for row, stream in enumerate(active):
            outputs[stream] = encoded[row, : lengths[row]]
            cell = None if state.cell is None else state.cell[:, row : row + 1]
            self.states[stream] = EncoderState(state.hidden[:, row : row + 1], cell)
        return outputs

    def _initial(self, active: list[int], x: Tensor) -> EncoderState:
        layers, width = self.encoder.num_layers, self.encoder.output_size
        zeros = x.new_zeros(layers, 1, width)
        known = [self.states[i] for i in active]
        hidden = torch.cat([s.hidden if s is not None else zeros for s in known], dim=1)  # (L, B', H)
        if not self.encoder.carries_cell:  # the state layout is part of the encoder's contract
            return EncoderState(hidden, None)
        cell = torch.cat([s.cell if s is not None and s.cell is not None else zeros for s in known], dim=1)
        return EncoderState(hidden, cell)

    def _check_stream(self, stream: int) -> None:
        if not 0 <= stream < self.num_streams:
            raise ValueError(f"stream must lie in [0, {self.num_streams}), got {stream!r}")
