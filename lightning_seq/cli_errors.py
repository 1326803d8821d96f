"""What the ``lightning-seq`` command prints when building or running a job fails on the user's data or settings.

jsonargparse reports an error raised while it instantiates a class inside its own wrapper (a Union dump and the
whole ``Namespace`` after a long traceback). The one line that matters is the innermost error raised by
lightning_seq: that is printed, with where it was raised, as one block on stderr; the full chain is shown on request.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType

TRACEBACK_FLAG = "--print_traceback"
TRACEBACK_VARIABLE = "LIGHTNING_SEQ_TRACEBACK"
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, NotADirectoryError, ImportError, KeyError)
"""Error types lightning_seq raises for bad data, files or settings (anything else is a bug: full traceback)."""
PACKAGE = Path(__file__).resolve().parent


def _raise_site(tb: TracebackType | None) -> tuple[str, int] | None:
    """File and line of the innermost frame of a traceback."""
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    return last.tb_frame.f_code.co_filename, last.tb_lineno


def user_error(error: BaseException) -> BaseException | None:
    """The innermost error of ``error``'s chain that lightning_seq raised for bad input, or None."""
    found = None
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        site = _raise_site(current.__traceback__)
        if isinstance(current, USER_ERRORS) and site is not None and Path(site[0]).resolve().is_relative_to(PACKAGE):
            found = current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return found


def error_block(error: BaseException) -> str:
    """The lines printed for a user error: the message, then its type, where it was raised and how to see more."""
    site = _raise_site(error.__traceback__)
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    where = ""
    if site is not None:
        where = f" raised in {Path(site[0]).resolve().relative_to(PACKAGE.parent)}:{site[1]}"
    return (
        f"lightning-seq: error: {message}\n"
        f"  ({type(error).__name__}{where}; add {TRACEBACK_FLAG} or set {TRACEBACK_VARIABLE}=1 for the full "
        f"traceback)\n"
    )


def wants_traceback(argv: list[str]) -> bool:
    """Whether the full traceback was asked for (the flag among the arguments, or the environment variable)."""
    return TRACEBACK_FLAG in argv or os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0")


def report(error: BaseException, show_traceback: bool) -> int:
    """Print one block for a user error and return the exit status 1; re-raise anything else (or on request)."""
    found = user_error(error)
    if found is None or show_traceback:
        raise error
    sys.stdout.flush()
    sys.stderr.write(error_block(found))
    sys.stderr.flush()
    return 1


__all__ = ["TRACEBACK_FLAG", "TRACEBACK_VARIABLE", "error_block", "report", "user_error", "wants_traceback"]
