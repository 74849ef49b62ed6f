"""Text from outside (registries, files, arguments) made safe to show on one line."""

from __future__ import annotations

import re

__all__ = ["one_line", "plural"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with every control character (ANSI escapes, newlines...) shown as an escape."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 attempt``, ``3 attempts`` (``many``: the plural when not ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
