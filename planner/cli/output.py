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

if TYPE_CHECKING:
    import threading

    from planner.app.fleet import FleetReport
    from planner.app.rollout import Rollout
    from planner.report.formats import RenderOptions
    from planner.workloads.check import WorkloadReport
from planner.report.layout import Style, safe, terminal_columns, terminal_width, wrap

__all__ = [
    "Progress",
    "dump",
    "error",
    "report",
    "rollout_refused",
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
    from planner.report.formats import render, render_pieces

    for piece in render_pieces(result, fmt, options):
        write(piece)
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
    """A progress line on stderr, only on a terminal and only once the work takes a moment.

    Each phase keeps its count (``reading indexes 12/12, resolving 48/48, reading
    manifests 17/35``), told as each request finishes (:data:`planner.app.fleet.Progress`).
    The line appears :data:`DELAY` seconds in, even while the first requests are still
    out (a timer draws it), then is redrawn at most every :data:`EVERY` seconds, and at
    once when a phase starts or completes; past the terminal's width the earliest phases
    make way for the current one.
    """

    DELAY = 0.5
    EVERY = 0.05

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()
        self.shown = False
        self.closed = False
        self.drawn = 0.0
        self.phases: dict[str, tuple[int, int]] = {}
        import threading  # only for the commands that show progress

        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        if self.enabled:
            self.timer = threading.Timer(self.DELAY, self._draw)
            self.timer.daemon = True
            self.timer.start()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self.lock:
            edge = stage not in self.phases or done == total
            self.phases[stage] = (done, total)
        now = time.monotonic()
        if now - self.start >= self.DELAY and (edge or now - self.drawn >= self.EVERY):
            self._draw()

    def _draw(self) -> None:
        with self.lock:
            if self.closed or not self.phases:
                return
            parts = [safe(f"{name} {d}/{t}") for name, (d, t) in self.phases.items()]
            # within the terminal's own width (a line that wraps cannot be redrawn in place)
            room = terminal_columns(sys.stderr) - 1
            if room < 10:
                return  # no room for a count: no progress line
            while len(parts) > 1 and len("pull-planner: " + ", ".join(parts)) > room:
                del parts[0]  # the earliest phases make way for the current one
            line = "pull-planner: " + ", ".join(parts)
            if len(line) > room:  # the prefix gives way first, then the phase's name
                line = ", ".join(parts)
                line = line if len(line) <= room else line[-room:]
            try:
                sys.stderr.write(f"\r{line}\x1b[K")
                sys.stderr.flush()
            except (OSError, ValueError):  # the terminal went away: no more progress
                self.closed = True
                return
            self.shown = True
            self.drawn = time.monotonic()

    def clear(self) -> None:
        with self.lock:
            self.closed = True
            if self.timer is not None:
                self.timer.cancel()
            if self.shown:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()


def rollout_refused(rollout: Rollout | None) -> bool:
    """Each row a rate limit refuses, one error line each; True when there is one."""
    failures = rollout.failures if rollout is not None else []
    for row in failures:
        error(row.sentence())
    return bool(failures)
