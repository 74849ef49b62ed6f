"""Text from outside (registries, files, arguments) made safe to show on one line."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["MAX_LISTED", "listed", "one_line", "plural"]

MAX_LISTED = 16
"""A message shows this many items of a list at most."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with every control character (ANSI escapes, newlines...) shown as an escape."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


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
