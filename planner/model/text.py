"""Text from outside (registries, files, arguments) made safe to show on one line."""

from __future__ import annotations

import re

__all__ = ["one_line", "plural"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""C0 and C1 controls, line and paragraph separators, and the bidirectional controls
(marks, embeddings, overrides, isolates) that reorder what a terminal shows."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every control character (ANSI escapes, newlines, bidirectional
    overrides...) shown as an escape; cut to ``limit`` characters (then ``…``) if given."""
    if limit is None:
        return _CONTROL.sub(lambda m: _escape(m.group()), text)
    shown = _CONTROL.sub(lambda m: _escape(m.group()), text[: limit + 1])
    return shown if len(shown) <= limit else shown[:limit] + "…"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 attempt``, ``3 attempts`` (``many``: the plural when not ``noun + "s"``)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
