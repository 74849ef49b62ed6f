"""Text for a terminal: its width, tables that fit it, safe characters, colour.

* **Width**: ``$COLUMNS`` when set, else the terminal's when standard output is
  one, else 80 (a file, a pipe, a CI log).
* **Tables** fit it: the last column (the long one: a verdict, a location)
  wraps inside its column when at least :data:`MIN_WRAP` characters are left
  for it, and otherwise moves under each row, indented, wrapped to the width.
* **Safe**: everything a registry or a file said is data. :func:`safe` shows
  control characters (ANSI escapes, newlines, carriage returns) as ``\\x1b``,
  ``\\n``…, so that no text can colour the terminal or forge a second line.
* **Colour** only where it helps (the pick, failures, the gate) and only on a
  terminal: ``NO_COLOR`` (any value) turns it off, ``FORCE_COLOR`` (any value
  but ``0``) on, ``TERM=dumb`` off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import ClassVar, TextIO

from planner.model.text import one_line

__all__ = [
    "MIN_WRAP",
    "Style",
    "aligned",
    "safe",
    "table",
    "terminal_columns",
    "terminal_width",
    "wrap",
]

MIN_WRAP = 40

safe = one_line
"""``text`` with every control character shown as an escape, on one line."""


def terminal_width(stream: TextIO | None = None) -> int:
    """``$COLUMNS``, else the terminal's width, else 80; never below 40 (the layouts'
    least: a table narrower than that is wrapped, not squeezed).

    ``$COLUMNS`` counts only as ASCII digits of a sane length: ``²`` is a digit
    to ``str.isdigit`` but not to ``int``, and 5,000 digits pass Python's
    int-string limit."""
    return max(40, terminal_columns(stream))


def terminal_columns(stream: TextIO | None = None) -> int:
    """The columns a line really has: ``$COLUMNS``, else the terminal's width, else 80
    (a line redrawn in place, the progress line, must fit the terminal as it is)."""
    value = os.environ.get("COLUMNS", "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 6 and int(value) > 0:
        return int(value)
    stream = stream or sys.stdout
    if stream is not None and stream.isatty():
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):  # not a terminal after all, or closed
            return 80
        return columns or 80
    return 80


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """``first + text`` wrapped to ``width`` at words, continuation lines indented by
    ``indent``. When ``first`` (a label) leaves no room for the first word, the label
    stands on its own line and the text starts under it; only a word longer than a whole
    line (a digest in a narrow terminal) is broken."""
    head = text.split(None, 1)[0] if text.strip() else ""
    if first and len(first) + len(head) > width >= len(indent) + len(head):
        return [first.rstrip(), *wrap(text, width, indent, indent)]
    import textwrap  # only where text is wrapped

    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=True,
    ) or [first.rstrip()]


def aligned(rows: list[list[str]]) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


RowStyle = Callable[[int, str], str]


def table(
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    style: RowStyle | None = None,
) -> list[str]:
    """Rows (the first is the header) as aligned lines that fit ``width``.

    ``style(index, line)`` may colour a data row's lines (index 0 = first data row).
    """
    header, *body = [list(row) for row in rows]
    fixed = [max(len(row[i]) for row in [header, *body]) for i in range(len(header) - 1)]
    start = sum(fixed) + 2 * len(fixed)
    longest = max(len(row[-1]) for row in [header, *body])
    room = width - start
    paint = style or (lambda index, line: line)

    def left(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], fixed, strict=True))

    lines: list[str] = []
    if longest <= room or room >= MIN_WRAP:
        lines.append((left(header) + "  " + header[-1]).rstrip())
        for index, row in enumerate(body):
            parts = wrap(row[-1], room) if len(row[-1]) > room else [row[-1]]
            lines.append(paint(index, (left(row) + "  " + parts[0]).rstrip()))
            lines += [paint(index, " " * start + part) for part in parts[1:]]
        return lines
    # too narrow: the last column goes under each row, indented to the third column
    indent = " " * min(sum(fixed[:2]) + 4, width // 3)
    lines.append(left(header).rstrip())
    for index, row in enumerate(body):
        lines.append(paint(index, left(row).rstrip()))
        if row[-1]:
            lines += [paint(index, part) for part in wrap(row[-1], width, indent, indent)]
    return lines


class Style:
    """ANSI colour for one stream, on only where a person reads it (see the module docstring)."""

    CODES: ClassVar[dict[str, str]] = {
        "pick": "1;32",
        "fail": "1;31",
        "warn": "33",
        "dim": "2",
        "ok": "32",
    }

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        """``enabled`` decides outright (a library caller's choice); else ``stream``
        (standard output by default) and the environment decide."""
        stream = stream or sys.stdout
        force = os.environ.get("FORCE_COLOR")
        if enabled is not None:
            self.enabled = enabled
        elif "NO_COLOR" in os.environ:
            self.enabled = False
        elif force is not None and force != "0":
            self.enabled = True
        else:
            self.enabled = stream.isatty() and os.environ.get("TERM") != "dumb"

    def __call__(self, kind: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{self.CODES[kind]}m{text}\x1b[0m"
