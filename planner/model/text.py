"""Text from outside (registries, files, arguments) made safe to show on one line."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_LISTED", "listed", "one_line", "plural"]

MAX_LISTED = 16
"""A message shows this many items of a list at most."""


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every character that is not printable shown as Python's ``repr``
    shows it: C0 and C1 controls (ANSI escapes, ``\\n``, ``\\r``, ``\\x1b``), format
    characters (bidirectional overrides and isolates ``\\u202e``, ``\\u2066``, zero-width
    characters ``\\u200b``, ``\\ufeff``), line and paragraph separators (``\\u2028``),
    non-ASCII spaces, lone surrogates (``\\udc80``), noncharacters (``\\ufffe``) and
    unassigned code points: everything ``str.isprintable`` refuses (Unicode categories
    C* and Z* but the ASCII space). So no text can colour a terminal, forge a second
    line, reorder what is shown around it (Trojan Source, CVE-2021-42574), hide
    itself, or make a document (XML, UTF-8) that cannot be written.
    Printable non-ASCII text (``é``, ``中文``) is kept as it is. With ``limit``, the
    shown text is cut to that many characters (then ``…``), in time that does not grow
    with ``text``.
    """
    part = text if limit is None else text[: limit + 1]
    shown = (
        part
        if part.isprintable()
        else "".join(c if c.isprintable() else repr(c)[1:-1] for c in part)
    )
    return shown if limit is None or len(shown) <= limit else shown[:limit] + "…"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 attempt``, ``3 attempts`` (``many``: the plural when not ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def listed(items: Sequence[str], separator: str = ", ", limit: int = MAX_LISTED) -> str:
    """``items`` joined by ``separator``, the first ``limit`` then ``… (K more)``.

    A list read from outside (os.features, an index's entries) may hold millions
    of items; a message about it shows a few, in time and space that do not grow
    with the list.
    """
    if len(items) <= limit:
        return separator.join(items)
    return f"{separator.join(items[:limit])}{separator}… ({len(items) - limit:,} more)"
