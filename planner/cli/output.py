"""Writing results: to standard output and files, warnings and stats lines, the progress line."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from planner.cli.streams import tolerate_encodings, write_failure
from planner.model.errors import SourceError
from planner.report.data import dump
from planner.report.formats import RenderOptions, render

if TYPE_CHECKING:
    from planner.app.fleet import FleetReport
    from planner.workloads.check import WorkloadReport
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
    "write_report",
]


def write(text: str) -> None:
    sys.stdout.write(text)


def write_files(files: Sequence[tuple[str | None, Callable[[], str]]]) -> None:
    """Write each (path, render) whose path is set (``--junit FILE``, ``--markdown FILE``)."""
    for path, make in files:
        if path:
            try:
                Path(path).write_text(make(), encoding="utf-8")
            except OSError as exc:
                raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_report(
    result: FleetReport | WorkloadReport,
    fmt: str,
    options: RenderOptions,
    files: Sequence[tuple[str, str]] = (),
) -> None:
    """A check's report in ``fmt`` on standard output, then each (format, path) of
    ``files`` written to its path (``--junit FILE``, ``--markdown FILE``, ``--html FILE``)."""
    write(render(result, fmt, options))
    for name, path in files:
        write_files([(path, functools.partial(render, result, name, options))])


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
    """An error: always one line (control characters escaped), on stderr."""
    print(Style(sys.stderr)("fail", f"pull-planner: error: {safe(message)}"), file=sys.stderr)


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
