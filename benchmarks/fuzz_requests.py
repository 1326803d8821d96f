"""Fuzz every request decoder of ``lightning-seq serve`` for longer than CI does, and report what was tried.

    python benchmarks/fuzz_requests.py [--examples 3000] [--decoders text gate ...] [--json FILE]

Runs the properties of ``tests/deploy/fuzzing.py`` (random and mutated JSON, base64, WAV/FLAC/OGG and PNG/JPEG/BMP/GIF
files with flipped bytes, overwritten header fields, truncations and splices, multipart bodies, numbers at the
edges) for ``--examples`` inputs per decoder: the text encoders (with and without a prefix), the image encoders
(columns at height 32, rows at 28x28), the audio encoders (features computed here, and waveforms for a model that
computes them) and the gate (size limit, JSON check, multipart). Prints one JSON object: per decoder the inputs
tried, the statuses answered, what was found (a property broken: an exception, a 500, a message carrying a memory
address, an input over its deadline) and the growth of the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.deploy.fuzzing import DECODERS, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="inputs per decoder")
    parser.add_argument("--decoders", nargs="+", default=DECODERS, choices=DECODERS)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    options = parser.parse_args()
    logging.getLogger("python_multipart").setLevel(logging.CRITICAL)  # one line per malformed body otherwise
    reports = {name: asdict(run(name, options.examples)) for name in options.decoders}
    result = {"examples_per_decoder": options.examples, "tried": sum(r["tried"] for r in reports.values()),
              "found": sum(len(r["found"]) for r in reports.values()), "decoders": reports}
    text = json.dumps(result, indent=1)
    if options.json is not None:
        options.json.write_text(text + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
