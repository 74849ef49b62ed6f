"""Sizes, bandwidths and durations for people.

Sizes use Docker's decimal units (docker/go-units ``HumanSize``: powers of
1000, four significant digits, ``kB``/``MB``/``GB``), so that figures match
what ``docker images`` and ``docker pull`` print. JSON output always carries
exact byte counts.
"""

from __future__ import annotations

import re

from planner.model.errors import InvalidInput

__all__ = ["format_duration", "go_int", "human_size", "parse_bandwidth"]


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


_BANDWIDTH = re.compile(
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
    match = _BANDWIDTH.fullmatch(text)
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
