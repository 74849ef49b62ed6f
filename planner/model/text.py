"""Text for people: what came from outside (registries, files, arguments) made safe to
show on one line, plurals and lists; sizes, bandwidths and durations.

Sizes use Docker's decimal units (docker/go-units ``HumanSize``: powers of
1000, four significant digits, ``kB``/``MB``/``GB``), so that figures match
what ``docker images`` and ``docker pull`` print. JSON output always carries
exact byte counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from planner.model.errors import InvalidInput

__all__ = [
    "MAX_LISTED",
    "format_bandwidth",
    "format_duration",
    "go_int",
    "human_size",
    "listed",
    "one_line",
    "parse_bandwidth",
    "plural",
]

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


# --------------------------------------------------------------------------- units


def go_int(text: str) -> int | None:
    """Go's ``strconv.Atoi`` / ``ParseInt(text, 10, 64)``: an optional sign, ASCII digits,
    within int64; None for anything else.

    Never raises, unlike ``int``: ``"²".isdigit()`` is true but ``int("²")`` fails,
    and 5,000 digits pass Python's int-string limit (4,300).
    """
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not body.isascii() or not body.isdigit() or len(body.lstrip("0")) > 19:
        return None
    value = int(text)
    return value if -(1 << 63) <= value < (1 << 63) else None


_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def human_size(size: int | float) -> str:
    """go-units HumanSize: ``1164`` -> ``1.164kB``, ``22496034`` -> ``22.5MB``."""
    value = float(size)
    unit = 0
    while value >= 1000 and unit < len(_SIZE_UNITS) - 1:
        value /= 1000
        unit += 1
    return f"{value:.4g}{_SIZE_UNITS[unit]}"


@functools.cache
def _bandwidth_pattern() -> re.Pattern[str]:
    """A bandwidth (``100Mbit``), compiled when one is given."""
    return re.compile(
        r"\s*(?P<number>\d+(?:\.\d+)?|\.\d+)\s*(?P<prefix>[kKMGT]i?)?(?P<unit>bit|bps|b|Bps|B)(?:/s|ps)?\s*"
    )


_PREFIX = {
    "": 1,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "ki": 1024,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
}


def parse_bandwidth(text: str) -> float:
    """Bits per second from ``100Mbit``, ``100Mbit/s``, ``100Mbps``, ``12.5MB/s``, ``1Gbit``.

    ``b``/``bit`` are bits and ``B`` bytes; ``k``, ``M``, ``G``, ``T`` are powers
    of 1000 and ``Ki``, ``Mi``, ``Gi``, ``Ti`` powers of 1024.
    """
    match = _bandwidth_pattern().fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"invalid bandwidth {text!r}: expected a number and a unit such as 100Mbit, 1Gbit/s,"
            " 12.5MB/s or 500kbps (b/bit = bits, B = bytes)"
        )
    number = float(match["number"])
    if number <= 0:
        raise InvalidInput(f"invalid bandwidth {text!r}: must be more than zero")
    bits = 8 if match["unit"] in ("B", "Bps") else 1
    return number * _PREFIX[match["prefix"] or ""] * bits


def format_bandwidth(bits_per_second: float) -> str:
    for factor, unit in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")):
        if bits_per_second >= factor:
            return f"{bits_per_second / factor:.4g} {unit}"
    return f"{bits_per_second:.4g} bit/s"


def format_duration(seconds: float) -> str:
    """``0.8 s``, ``42 s``, ``3 min 20 s``, ``2 h 5 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
