"""A property-based fuzzer over every request decoder of the server: random and mutated JSON bodies, base64,
WAV/FLAC/OGG and PNG/JPEG files, multipart bodies and numbers at the edges (NaN, inf, huge integers, negative and
absurd rates). The properties: a request is answered with a status the gate or ``encode_request`` chose (2xx for
what it accepts, 4xx with a message for what it refuses, never 500, never an exception, never an object repr or
memory address), within a deadline, and the process's peak memory stays within a bound.

``run(name, examples)`` runs one decoder's property for ``examples`` inputs and returns what it tried and found;
``tests/deploy/test_fuzz_requests.py`` runs a bounded number of each in CI, ``benchmarks/fuzz_requests.py`` a longer
run."""

import asyncio
import base64
import io
import json
import resource
import time
from dataclasses import dataclass, field

import numpy as np
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from lightning_seq.data.readers.images import RowScan
from lightning_seq.data.text.tokenizers import WordTokenizer
from lightning_seq.data.text.vocab import Vocabulary
from lightning_seq.deploy.audio_inputs import AudioInputs
from lightning_seq.deploy.gate import RequestGate
from lightning_seq.deploy.image_inputs import ImageInputs
from lightning_seq.deploy.payloads import EncodedRequest, RequestError, encode_request
from lightning_seq.deploy.text_inputs import TextInputs
from lightning_seq.nn.audio_features import AudioFeatures
from tests.deploy.hostile import flac_claiming, png

MAX_STEPS = 2000
"""The server's ``max_input_length`` while fuzzing."""

DEADLINE_MS = 3000
"""The most one input may take to be answered."""

PEAK_GROWTH_MB = 300
"""The most the process's peak memory may grow over a whole run (one kernel of the old resampling: 6.4 GB)."""


def media_files() -> dict[str, bytes]:
    """Valid files of every format the decoders read, to mutate."""
    files = {}
    tone = (np.sin(np.arange(4000) * 0.05) * 0.3).astype(np.float32)
    for fmt, subtype in (("WAV", "PCM_16"), ("WAV", "FLOAT"), ("FLAC", "PCM_16"), ("OGG", "VORBIS")):
        buffer = io.BytesIO()
        soundfile.write(buffer, tone, 8000, format=fmt, subtype=subtype)
        files[f"{fmt}-{subtype}"] = buffer.getvalue()
    image = Image.fromarray((np.arange(32 * 96) % 255).astype(np.uint8).reshape(32, 96))
    for fmt in ("PNG", "JPEG", "BMP", "GIF"):
        buffer = io.BytesIO()
        image.save(buffer, format=fmt)
        files[fmt] = buffer.getvalue()
    files["FLAC-claiming-2^36"] = flac_claiming((1 << 36) - 1)
    files["PNG-claiming-20000x10000"] = png(20000, 10000, rows=b"")
    return files


FILES = media_files()

edge_ints = st.one_of(st.integers(-(2 ** 70), 2 ** 70), st.sampled_from([0, 1, -1, 999, 1000, 384000, 384001,
                                                                        2 ** 31, 2 ** 63, 10 ** 400, -(10 ** 400)]))
edge_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 5e-324]))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), edge_ints, edge_floats, st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


@st.composite
def mutated_file(draw) -> bytes:
    """A valid file with bytes flipped, a number written over a header field, truncated, or spliced."""
    data = bytearray(FILES[draw(st.sampled_from(sorted(FILES)))])
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(["flip", "field", "truncate", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if how == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "field":  # header fields: sizes, rates, counts
            value = draw(st.sampled_from([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, draw(st.integers(0, 2 ** 32 - 1))]))
            data[at:at + 4] = value.to_bytes(4, draw(st.sampled_from(["little", "big"])))
        elif how == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


def base64_input(data: bytes) -> dict:
    return {"base64": base64.b64encode(data).decode("ascii")}


media_inputs = st.one_of(
    mutated_file().map(base64_input),
    st.binary(max_size=256).map(base64_input),
    st.fixed_dictionaries({"base64": st.one_of(st.text(max_size=40), json_values)}),
    st.fixed_dictionaries({"samples": st.one_of(st.lists(st.one_of(edge_floats, edge_ints), max_size=50),
                                                json_values),
                           "sample_rate": st.one_of(edge_ints, json_values)}),
    json_values,
)
text_inputs = st.one_of(st.text(max_size=300), json_values)


def bodies(inputs: st.SearchStrategy) -> st.SearchStrategy:
    """Request bodies around ``inputs``: one, a list, extra or missing fields, or any JSON value."""
    return st.one_of(
        st.builds(lambda v: {"input": v}, inputs),
        st.builds(lambda vs: {"input": vs}, st.lists(inputs, max_size=4)),
        st.builds(lambda v, extra: {"input": v, **extra}, inputs, st.dictionaries(st.text(max_size=6), json_values,
                                                                                  max_size=2)),
        json_values,
    )


@dataclass
class Report:
    """What a run tried and found."""

    tried: int = 0
    answers: dict[int, int] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)
    peak_growth_mb: float = 0.0
    seconds: float = 0.0


def encoders() -> dict[str, object]:
    """One input encoder of each kind and layout the server builds from checkpoints, built without one."""
    features = AudioFeatures(kind="logmel", sample_rate=8000, frame_length=256, hop_length=80, n_mels=20)
    words = ["<pad>", "<unk>", "<bos>", "<eos>", "good", "bad", "day", "a"]
    vocabulary = Vocabulary(words)
    return {
        "text": TextInputs(WordTokenizer(), vocabulary),
        "text-with-prefix": TextInputs(WordTokenizer(), vocabulary, prefix_ids=[2], max_length=50),
        "image-columns": ImageInputs(RowScan(scan="columns", height=32)),
        "image-rows": ImageInputs(RowScan(scan="rows", size=(28, 28))),
        "audio-features": AudioInputs(features),
        "audio-waveform": AudioInputs(features, features_on_device=True, duration=8000),
    }


def steps(encoder: object, tensor) -> int:
    """An encoded input's time steps: its length, or the frames a waveform gives when the model frames it."""
    if isinstance(encoder, AudioInputs) and encoder.features_on_device:
        return encoder.steps_of(tensor.numel(), encoder.sample_rate)
    return tensor.size(0)


def check_answer(answer: object, encoder: object, where: str) -> int:
    """The answer's status; AssertionError when it breaks a property."""
    if isinstance(answer, EncodedRequest):
        assert answer.inputs and all(steps(encoder, t) <= MAX_STEPS for t in answer.inputs), where
        return 200
    assert isinstance(answer, RequestError), (where, answer)
    assert 400 <= answer.status < 500, (where, answer)
    assert answer.detail and " at 0x" not in answer.detail, (where, answer)
    return answer.status


def gate_status(body: bytes, content_type: str) -> int:
    """The gate's answer to one POST: its own status, or 200 when it hands JSON on to the app."""
    handed: list[bytes] = []

    async def app(scope, receive, send):
        message = await receive()
        handed.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    statuses: list[int] = []

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    chunks = [body[i:i + 997] for i in range(0, len(body), 997)] or [b""]

    async def receive():
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    gate = RequestGate(app, path="/predict", max_bytes=4096)
    scope = {"type": "http", "path": "/predict", "method": "POST",
             "headers": [(b"content-type", content_type.encode("latin-1"))]}
    asyncio.run(gate(scope, receive, send))
    (status,) = statuses
    if status == 200:
        json.loads(handed[0])  # what the gate hands on is JSON
    else:
        assert status in (400, 413, 422), status
    return status


@st.composite
def multipart(draw) -> tuple[bytes, str]:
    """A multipart form (valid, or mutated): parts named ``input`` or not, files or text."""
    boundary = draw(st.sampled_from(["b0undary", "x", "----w3bkit"]))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["input", "input", "audio", ""]))
        content = draw(st.one_of(mutated_file(), st.binary(max_size=40)))
        disposition = f'form-data; name="{name}"' + (draw(st.sampled_from(['; filename="a.wav"', ""])))
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    if draw(st.booleans()):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=16)) + body[at:]
    return body, f"multipart/form-data; boundary={draw(st.sampled_from([boundary, 'other']))}"


raw_bodies = st.one_of(
    st.tuples(st.binary(max_size=300), st.sampled_from(["application/json", "text/plain", ""])),
    st.tuples(json_values.map(lambda v: json.dumps(v).encode()), st.just("application/json")),
    st.tuples(st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n), st.just("application/json")),
    st.tuples(st.integers(4000, 5000).map(lambda n: b"1" * n), st.just("application/json")),
    multipart(),
)


def run(name: str, examples: int) -> Report:
    """Fuzz one decoder (a name of ``encoders()``, or ``gate``) with ``examples`` inputs."""
    report = Report()
    start, peak = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if name == "gate":
        strategy: st.SearchStrategy = raw_bodies

        def answer(example) -> int:
            return gate_status(*example)
    else:
        encoder = encoders()[name]
        strategy = bodies(text_inputs if name.startswith("text") else media_inputs)

        def answer(example) -> int:
            answered = encode_request(example, encoder, MAX_STEPS, max_inputs=3)
            return check_answer(answered, encoder, f"{name}: {example!r:.200} -> {answered!r:.300}")

    @settings(max_examples=examples, deadline=DEADLINE_MS, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(strategy)
    def prop(example) -> None:
        status = answer(example)
        report.tried += 1
        report.answers[status] = report.answers.get(status, 0) + 1

    try:
        prop()
    except Exception as err:  # hypothesis shrinks and re-raises the smallest failing input
        report.found.append(f"{type(err).__name__}: {str(err)[:2000]}")
    report.peak_growth_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak, 1)
    report.seconds = round(time.monotonic() - start, 1)
    if report.peak_growth_mb > PEAK_GROWTH_MB:
        report.found.append(f"peak memory grew {report.peak_growth_mb} MB, over {PEAK_GROWTH_MB} MB")
    return report


DECODERS = [*encoders(), "gate"]
"""Every decoder the fuzzer runs."""
