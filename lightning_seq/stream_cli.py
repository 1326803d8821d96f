"""``lightning-seq-stream``: run a trained keyword spotter or CTC transcriber over a recording as a live stream.

lightning-seq-stream --make_example long.wav                 # a minute of background with keywords (+ long.csv)
lightning-seq-stream --ckpt_path best.ckpt --input long.wav  # events as they happen, and long.events.csv
lightning-seq-stream --ckpt_path best.ckpt --input long.wav --truth long.csv   # + precision and recall
arecord -q -t raw -f S16_LE -c 1 -r 8000 | lightning-seq-stream --ckpt_path best.ckpt --input -   # live
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
import torch

from lightning_seq.cli_errors import report, wants_traceback
from lightning_seq.data.readers.audio import load_audio
from lightning_seq.data.synthetic.keyword_stream import BACKGROUND, SpokenWord, generate_long_recording
from lightning_seq.deploy.streaming.classifier_streamer import ClassifierStreamer
from lightning_seq.deploy.streaming.ctc_streamer import CTCStreamer
from lightning_seq.deploy.streaming.event_scores import read_spoken_words, score_events, write_csv
from lightning_seq.deploy.streaming.keyword_events import KeywordDetector, KeywordEvent
from lightning_seq.deploy.streaming.spotting import pieces, spot_stream
from lightning_seq.tasks.base import SequenceTask
from lightning_seq.tasks.classification import SequenceClassifier
from lightning_seq.tasks.ctc import CTCTranscriber
from lightning_seq.tasks.loading import load_task


def make_example(path: Path, seconds: float, seed: int, sample_rate: int) -> None:
    """Write a recording with keywords at known times (voices unseen in training) and ``<stem>.csv`` of them."""
    wave, words = generate_long_recording(seconds, seed, sample_rate)
    soundfile.write(str(path), (0.9 * wave / wave.abs().max().clamp(min=1e-8)).numpy(), sample_rate)
    truth = path.with_suffix(".csv")
    write_csv(truth, SpokenWord._fields, words)
    print(f"wrote {path} ({seconds:g} s at {sample_rate} Hz, {len(words)} keywords) and {truth}")


def _audio_task(checkpoint: str) -> SequenceTask:
    task = load_task(checkpoint)
    if not isinstance(task, SequenceClassifier | CTCTranscriber):
        raise ValueError(f"{checkpoint}: streams keyword spotters (SequenceClassifier) and CTC transcribers, "
                         f"not {type(task).__name__}")
    if task.features is None:
        raise ValueError(f"{checkpoint}: the model does not compute its audio features, so a stream of samples "
                         "cannot reach it: train with --data.features_on_device=true")
    return task


def chunks(task: SequenceClassifier | CTCTranscriber, args: argparse.Namespace) -> Iterator[torch.Tensor]:
    """``--chunk_ms`` of samples at a time at the model's rate, each as soon as it has arrived.

    From an audio file (resampled), or with ``-`` from standard input as raw 16-bit little-endian mono PCM.
    """
    features = task.features
    assert features is not None
    chunk = max(1, round(args.chunk_ms / 1000 * features.sample_rate))
    if args.input != "-":
        yield from pieces(load_audio(args.input, features.sample_rate), chunk)
        return
    stream = sys.stdin.buffer
    while True:
        data = stream.read(2 * chunk)
        if len(data) % 2:  # an odd byte at the very end: the last sample was cut
            data = data[:-1]
        if not data:
            return
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32)  # little-endian whatever the host's order
        yield torch.from_numpy(samples) / 32768.0


def spot(task: SequenceClassifier, args: argparse.Namespace) -> list[KeywordEvent]:
    """Print each keyword event as the stream reaches its end; return them all."""
    features = task.features
    assert features is not None
    detector = KeywordDetector(
        task.label_names, args.background, hop_seconds=features.hop_length / features.sample_rate,
        frame_seconds=features.frame_length / features.sample_rate, smoothing=args.smoothing,
        threshold=args.threshold, refractory=args.refractory, min_duration=args.min_duration,
    )
    events = []
    for event in spot_stream(ClassifierStreamer(task), detector, chunks(task, args)):
        print(f"{event.start:8.2f} s  {event.label:<12} until {event.end:.2f} s, score {event.score:.3f}", flush=True)
        events.append(event)
    return events


def transcribe(task: CTCTranscriber, args: argparse.Namespace) -> str:
    """Print the text as it becomes known (greedy CTC, never revised); return all of it."""
    assert task.features is not None
    streamer = CTCStreamer(task)
    heard = 0
    for piece in chunks(task, args):
        heard += piece.numel()
        added = streamer.push([piece])[0]
        if added:
            print(f"{heard / task.features.sample_rate:8.2f} s  {added}", flush=True)
    streamer.flush()
    return streamer.text(0)


def parser() -> argparse.ArgumentParser:
    """The command's arguments (the detector's and the scoring's defaults are theirs, read from their signatures)."""
    detector = {name: p.default for name, p in inspect.signature(KeywordDetector).parameters.items()}
    tolerance = inspect.signature(score_events).parameters["tolerance"].default
    p = argparse.ArgumentParser(
        prog="lightning-seq-stream",
        description="Run a keyword spotter or a CTC transcriber over a recording chunk by chunk, as a live stream.",
    )
    p.add_argument("--ckpt_path", help="a checkpoint of a SequenceClassifier or CTCTranscriber with a "
                   "unidirectional encoder and features computed in the model")
    p.add_argument("--input", help="the recording (wav, flac, ogg), resampled to the model's rate; - reads raw "
                   "16-bit little-endian mono PCM at the model's rate from standard input, live")
    p.add_argument("--output", help="events CSV (label,start,end,score) or transcript file; default "
                   "<input stem>.events.csv / .txt beside the input (stream.events.csv / stream.txt for -)")
    p.add_argument("--chunk_ms", type=float, default=100.0, help="milliseconds of audio per push (default 100)")
    p.add_argument("--background", default=BACKGROUND, help="the class that means no keyword (default %(default)s)")
    # KeywordDetector's defaults were tuned on five generated minutes apart from the test minutes README reports
    p.add_argument("--threshold", type=float, default=detector["threshold"], help="smoothed posterior a keyword "
                   "must exceed (default %(default)s)")
    p.add_argument("--smoothing", type=int, default=detector["smoothing"], help="frames averaged before the "
                   "threshold, causally (default %(default)s)")
    p.add_argument("--refractory", type=float, default=detector["refractory"], help="seconds after an event with "
                   "no new event (default %(default)s)")
    p.add_argument("--min_duration", type=float, default=detector["min_duration"], help="seconds an event must "
                   "stay above the threshold to count; shorter blips are dropped (default %(default)s)")
    p.add_argument("--truth", help="CSV of the keywords known to be spoken (label,start,end): prints precision and "
                   "recall of the events")
    p.add_argument("--tolerance", type=float, default=tolerance, help="seconds an event may fire before or after "
                   "its keyword and still count (default %(default)s)")
    p.add_argument("--make_example", metavar="WAV", help="write a recording with keywords at known times (unseen "
                   "voices) and WAV's .csv of them, then stop")
    p.add_argument("--seconds", type=float, default=60.0, help="length of --make_example's recording")
    p.add_argument("--seed", type=int, default=1, help="seed of --make_example's recording")
    p.add_argument("--sample_rate", type=int, default=8000, help="sample rate of --make_example's recording")
    p.add_argument("--print_traceback", action="store_true", help="show the full traceback of an error")
    return p


def run(argv: list[str] | None = None) -> None:
    """Parse ``argv`` and do what it asks (errors raise; ``main`` prints them)."""
    p = parser()
    args = p.parse_args(argv)
    if args.make_example:
        make_example(Path(args.make_example), args.seconds, args.seed, args.sample_rate)
        return
    if not args.ckpt_path or not args.input:
        p.error("give --ckpt_path and --input (or --make_example WAV)")
    if args.chunk_ms <= 0:
        p.error(f"--chunk_ms must be > 0, got {args.chunk_ms:g}")
    torch.set_grad_enabled(False)
    task = _audio_task(args.ckpt_path)
    source = Path("stream") if args.input == "-" else Path(args.input)
    if args.input == "-":
        assert task.features is not None
        print(f"reading 16-bit mono PCM at {task.features.sample_rate} Hz from standard input", file=sys.stderr)
    if isinstance(task, CTCTranscriber):
        text = transcribe(task, args)
        output = Path(args.output) if args.output else source.with_suffix(".txt")
        output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {output}")
        return
    events = spot(task, args)
    output = Path(args.output) if args.output else source.with_name(source.stem + ".events.csv")
    write_csv(output, KeywordEvent._fields, events)
    print(f"wrote {output} ({len(events)} events)")
    if args.truth:
        scores = score_events(events, read_spoken_words(args.truth), args.tolerance)
        print(f"precision {scores.precision:.3f} ({scores.hits} of {scores.detections} events), recall "
              f"{scores.recall:.3f} ({scores.hits} of {scores.keywords} keywords), within {args.tolerance:g} s")


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``lightning-seq-stream``: errors in the user's files or settings print as one block, exit 1."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        run(words)
    except Exception as error:  # report() re-raises all but the user's errors
        raise SystemExit(report(error, wants_traceback(words))) from None
