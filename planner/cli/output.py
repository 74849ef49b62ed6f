"""Writing results: JSON/YAML documents, warnings and stats lines, the progress line."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii as _string
from pathlib import Path
from typing import Any

from planner.model.errors import SourceError
from planner.report.layout import Style, safe, terminal_width, wrap

__all__ = [
    "Progress",
    "dump",
    "error",
    "report",
    "tolerate_encodings",
    "write",
    "write_failure",
    "write_files",
]

WRITE_ERRNOS = frozenset(
    {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}
)
"""What a write to standard output fails with: a closed pipe, a full disk
(``/dev/full``), a quota, a closed or broken descriptor."""


def dump(data: dict[str, Any], fmt: str) -> str:
    """``json`` or ``yaml`` text of a result's ``to_dict()``."""
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))
    try:
        return _indented(data) + "\n"
    except (TypeError, RecursionError):  # a value only the json module knows how to write
        return json.dumps(data, indent=2) + "\n"


def _indented(data: object) -> str:
    """``json.dumps(data, indent=2)``, byte for byte, about twice as fast.

    The json module writes indented output with its pure-Python encoder (its C
    encoder has no indentation); a fleet report of 50,000 pairs spends a second
    there. Plain dicts with str keys, lists, tuples, str, int, float, bool and
    None are written here; anything else raises TypeError and the caller falls
    back to the json module.
    """
    out: list[str] = []
    write = out.append

    def value(item: object, pad: str) -> None:
        kind = type(item)
        if kind is str:
            write(_string(item))  # type: ignore[arg-type]
        elif kind is dict:
            if not item:
                write("{}")
                return
            inner = pad + "  "
            head = "{\n"
            for key, member in item.items():  # type: ignore[attr-defined]
                if type(key) is not str:
                    raise TypeError(key)
                write(head + inner + _string(key) + ": ")
                head = ",\n"
                value(member, inner)
            write("\n" + pad + "}")
        elif kind is list or kind is tuple:
            if not item:
                write("[]")
                return
            inner = pad + "  "
            head = "[\n"
            for member in item:  # type: ignore[attr-defined]
                write(head + inner)
                head = ",\n"
                value(member, inner)
            write("\n" + pad + "]")
        elif item is None:
            write("null")
        elif item is True:
            write("true")
        elif item is False:
            write("false")
        elif kind is int:
            write(int.__repr__(item))
        elif kind is float:
            write(json.dumps(item))
        else:
            raise TypeError(kind)

    value(data, "")
    return "".join(out)


def write(text: str) -> None:
    sys.stdout.write(text)


def write_files(files: Sequence[tuple[str | None, Callable[[], str]]]) -> None:
    """Write each (path, render) whose path is set (``--junit FILE``, ``--markdown FILE``)."""
    for path, render in files:
        if path:
            try:
                Path(path).write_text(render(), encoding="utf-8")
            except OSError as exc:
                raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from None


def report(warnings: Sequence[str], stats_line: str | None, prefix: str = "") -> None:
    """Warnings (escaped, wrapped to the terminal), then the ``--stats`` line, on stderr."""
    width = terminal_width(sys.stderr)
    paint = Style(sys.stderr)
    for warning in warnings:
        for line in wrap(safe(prefix + warning), width, "    ", "pull-planner: warning: "):
            print(paint("warn", line), file=sys.stderr)
    if stats_line is not None:
        for line in wrap(stats_line, width, "    ", "pull-planner: stats: "):
            print(line, file=sys.stderr)


def error(message: str) -> None:
    """An error: always one line (control characters escaped), on stderr (if it can be written)."""
    try:
        print(Style(sys.stderr)("fail", f"pull-planner: error: {safe(message)}"), file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is closed or full too: the exit status says it


def tolerate_encodings() -> None:
    """Text the streams' encoding cannot write (``PYTHONIOENCODING=ascii``, a C locale) is
    written as backslash escapes (``\\xe9``) rather than failing the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # detached, or not text after all
                reconfigure(errors="backslashreplace")


def write_failure(exc: OSError) -> str | None:
    """What went wrong writing the output (stdout), or None when ``exc`` is another error.

    Afterwards standard output points at the null device, so that the interpreter's
    own flush at exit neither fails again nor prints a traceback.
    """
    if exc.errno not in WRITE_ERRNOS:
        return None
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a file descriptor (tests capture)
        pass
    return exc.strerror or str(exc)


class Progress:
    """A progress line on stderr, only on a terminal and only once the work takes a moment."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < 0.5:
            return
        sys.stderr.write(f"\rpull-planner: {stage} {done}/{total}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
