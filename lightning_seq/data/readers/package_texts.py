"""Real text every machine with this project's dependencies has: the installed packages' documentation and licences.

A character language model needs real text to be judged on, and code that downloads a corpus cannot run where
there is no network. Each installed Python distribution carries its long description (its README, in the
``METADATA`` file) and usually its licence files; together they are about a megabyte of real English prose, with
code, tables and lists among it, after removing repeated paragraphs (many packages ship the same licence).
The corpus is drawn from a fixed list of distributions (``CORPUS_DISTRIBUTIONS``: those the test dependencies
installed when the baselines were measured), so installing more packages (plotting, documentation) leaves it as it
is; those on the list that are missing are left out (the CUDA wheels, on a CPU-only install). The same constraints
file gives the same corpus on the same platform.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# The distributions whose texts make the corpus: `benchmarks/results/baselines.json` and README's LM figures were
# measured on exactly these (with constraints.txt). Change the list only with those figures measured again.
CORPUS_DISTRIBUTIONS = (
    "absl-py", "aiohappyeyeballs", "aiohttp", "aiosignal", "annotated-doc", "annotated-types", "anyio", "attrs",
    "cffi", "click", "cloudpickle", "cuda-bindings", "cuda-pathfinder", "cuda-toolkit", "datasets", "dill",
    "docstring_parser", "fastapi", "filelock", "flatbuffers", "frozenlist", "fsspec", "grpcio", "h11", "hf-xet",
    "httpcore2", "httptools", "httpx2", "huggingface_hub", "hypothesis", "idna", "iniconfig", "Jinja2", "joblib",
    "jsonargparse", "lightning-utilities", "litserve", "Markdown", "MarkupSafe", "ml_dtypes", "mpmath", "multidict",
    "multiprocess", "narwhals", "networkx", "numpy", "nvidia-cublas", "nvidia-cuda-cupti", "nvidia-cuda-nvrtc",
    "nvidia-cuda-runtime", "nvidia-cudnn-cu13", "nvidia-cufft", "nvidia-cufile", "nvidia-curand", "nvidia-cusolver",
    "nvidia-cusparse", "nvidia-cusparselt-cu13", "nvidia-nccl-cu13", "nvidia-nvjitlink", "nvidia-nvshmem-cu13",
    "nvidia-nvtx", "onnx", "onnx-ir", "onnxruntime", "onnxscript", "opentelemetry-api", "packaging", "pandas",
    "pillow", "pip", "pluggy", "propcache", "protobuf", "pyarrow", "pycparser", "pydantic", "pydantic_core",
    "Pygments", "pytest", "python-dateutil", "python-dotenv", "python-multipart", "pytorch-lightning", "PyYAML",
    "pyzmq", "ruff", "scikit-learn", "scipy", "sentencepiece", "setuptools", "sortedcontainers", "soundfile",
    "starlette", "sympy", "tensorboard", "tensorboard-data-server", "threadpoolctl", "tokenizers", "torch",
    "torchaudio", "torchmetrics", "torchvision", "tqdm", "triton", "truststore", "typeshed_client",
    "typing-inspection", "typing_extensions", "tzdata", "uvicorn", "uvloop", "watchfiles", "websockets", "Werkzeug",
    "xxhash", "yarl",
)


def installed_package_texts(
    distributions: Sequence[str] | None = CORPUS_DISTRIBUTIONS, exclude: Sequence[str] = ("lightning-seq",)
) -> list[tuple[str, str]]:
    """``(distribution, text)`` for the long description and licence files of installed distributions.

    Sorted by distribution name (and file), so the order does not depend on how the environment lists them.

    Args:
        distributions: the distribution names to read, where installed; ``None`` reads every installed one.
        exclude: distribution names to leave out (by default this project's own README).
    """
    wanted = None if distributions is None else {_normal(name) for name in distributions}
    skipped = {_normal(name) for name in exclude}
    documents: dict[tuple[str, str], str] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").strip()
        if not name or _normal(name) in skipped or (wanted is not None and _normal(name) not in wanted):
            continue
        description = dist.metadata.get_payload() or dist.metadata.get("Description") or ""
        if isinstance(description, str) and description.strip():
            documents[(name, "METADATA")] = description
        for file in dist.files or []:
            if file.name.upper().startswith(LICENCE_PREFIXES) and file.suffix.lower() in ("", ".txt", ".md", ".rst"):
                try:
                    documents[(name, str(file))] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue  # an unreadable or binary licence file is no text to learn from
    return [(name, documents[(name, file)]) for name, file in sorted(documents)]


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them (case, ``-``, ``_`` and ``.`` alike)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def unique_paragraphs(documents: Sequence[tuple[str, str]]) -> list[str]:
    """Every paragraph (blank-line separated) once, in document order; repeats compared ignoring whitespace."""
    seen: set[str] = set()
    kept = []
    for _, text in documents:
        for paragraph in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n")):
            key = " ".join(paragraph.split())
            if key and key not in seen:
                seen.add(key)
                kept.append(paragraph.strip("\n"))
    return kept


@functools.cache
def package_text_splits(val_share: float = 0.1, test_share: float = 0.1, seed: int = 0) -> dict[str, str]:
    """The installed packages' unique paragraphs as the text of each split (``train``, ``val``, ``test``).

    Each paragraph goes to one split by a seeded hash of its text (about ``val_share`` and ``test_share`` of them
    held out, whatever order the packages come in), so validation and test hold phrasing training never saw.
    Paragraphs are separated by a blank line; each text ends with a line break. Computed once per process.

    Args:
        val_share: share of paragraphs for validation.
        test_share: share of paragraphs for test.
        seed: changes which paragraphs are held out.
    """
    if not (0.0 < val_share < 1.0 and 0.0 < test_share < 1.0 and val_share + test_share < 1.0):
        raise ValueError(f"val_share and test_share must be in (0, 1) and sum below 1, got {val_share}, {test_share}")
    paragraphs = unique_paragraphs(installed_package_texts())
    if not paragraphs:
        raise ValueError("no installed package carries documentation or licence text")
    splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for paragraph in paragraphs:
        digest = hashlib.sha256(f"{seed}\0{paragraph}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
        split = "val" if draw < val_share else "test" if draw < val_share + test_share else "train"
        splits[split].append(paragraph)
    return {split: "\n\n".join(kept) + "\n" for split, kept in splits.items()}


def write_package_text_splits(
    folder: str | Path, val_share: float = 0.1, test_share: float = 0.1, seed: int = 0
) -> dict[str, Path]:
    """Write ``package_text_splits`` as ``train.txt``, ``val.txt`` and ``test.txt`` into ``folder`` (created).

    Returns:
        The path of each split's file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, text in package_text_splits(val_share, test_share, seed).items():
        paths[split] = folder / f"{split}.txt"
        paths[split].write_text(text, encoding="utf-8")
    return paths
