"""Small requests that claim large things: the payloads a review sent to break the server, made on the fly."""

import base64
import io
import struct
import zlib

import numpy as np
import soundfile


def b64(data: bytes) -> dict:
    return {"base64": base64.b64encode(data).decode("ascii")}


def wav(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def flac_claiming(frames: int, rate: int = 8000) -> bytes:
    """A real, tiny FLAC file whose STREAMINFO header claims ``frames`` samples (36 bits: up to 2^36 - 1)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(64, dtype=np.float32), rate, format="FLAC")
    data = bytearray(buffer.getvalue())
    # "fLaC", a 4-byte block header, then STREAMINFO: 10 bytes of block/frame sizes, 20 bits rate, 3 bits channels,
    # 5 bits depth, 36 bits total samples
    start = 8 + 10
    packed = int.from_bytes(data[start:start + 8], "big")
    packed = (packed & ~((1 << 36) - 1)) | (frames & ((1 << 36) - 1))
    data[start:start + 8] = packed.to_bytes(8, "big")
    return bytes(data)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A gray 8-bit PNG of ``width`` × ``height``; ``rows`` None: all black, compressed (a few hundred bytes for
    millions of pixels); ``b""``: a header only, with no pixel data at all."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    if rows is None:
        compressor = zlib.compressobj(9)
        line = b"\x00" * (width + 1)
        rows = b"".join(compressor.compress(line) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


AUDIO = {
    "one sample at 100003 Hz (a 6.4 GB resampling kernel before)": {"input": {"samples": [0.0], "sample_rate": 100003}},
    "one sample at 4001 Hz": {"input": {"samples": [0.0], "sample_rate": 4001}},
    "a 46-byte WAV saying 100003 Hz": {"input": b64(wav(np.zeros(1, dtype=np.float32), 100003))},
    "a FLAC claiming 2^36 frames": {"input": b64(flac_claiming((1 << 36) - 1))},
    "a rate of 1 Hz": {"input": {"samples": [0.0] * 4, "sample_rate": 1}},
    "a rate of 10^9 Hz": {"input": {"samples": [0.0], "sample_rate": 10 ** 9}},
    "a negative rate": {"input": {"samples": [0.0], "sample_rate": -8000}},
    "a 401-digit sample": {"input": {"samples": [10 ** 400], "sample_rate": 8000}},
    "400 s of samples at 1000 Hz, upsampled 8x": {"input": {"samples": [0] * 400_000, "sample_rate": 1000}},
}
"""Audio payloads, by what they do; every one must be answered (200 or 4xx), none may take the worker's memory."""

IMAGES = {
    "a 1x20000 PNG widened to 32 rows (640000 columns)": {"input": b64(png(20000, 1))},
    "a PNG header claiming 20000x10000": {"input": b64(png(20000, 10000, rows=b""))},
    "a PNG header claiming 30000x30000": {"input": b64(png(30000, 30000, rows=b""))},
}
"""Image payloads for a model that scans columns of 32-pixel-high lines."""

MANY_TEXTS = {"input": ["a"] * 300}
"""More inputs than the server's default ``max_inputs_per_request`` (256)."""
