"""A registry's rate limit: N requests per window, for one registry or every one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.model.errors import InvalidInput

__all__ = ["RateLimit", "parse_rate_limit", "parse_ratelimit_header"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMIT = re.compile(r"^([0-9]{1,9})/([0-9]{0,6})([smhd])(?:@([A-Za-z0-9.:\[\]-]+))?$")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``count`` counted requests per ``seconds``, at ``registry`` ('' = every registry)."""

    count: int
    seconds: int
    registry: str = ""
    observed: bool = False
    """Read from the registry's own ``ratelimit-limit`` header, not given."""
    remaining: int | None = None
    """What the registry said was left of the window (``ratelimit-remaining``)."""

    def window(self) -> str:
        """``6 h``, ``30 min``, ``1 d``, ``45 s``."""
        for unit, size, name in ((86400, 86400, "d"), (3600, 3600, "h"), (60, 60, "min")):
            if self.seconds % size == 0 and self.seconds >= unit:
                return f"{self.seconds // size} {name}"
        return f"{self.seconds} s"

    def budget(self) -> int:
        """What this window still allows: the registry's remaining count when it said so."""
        return self.count if self.remaining is None else min(self.remaining, self.count)

    def applies_to(self, registry: str) -> bool:
        return not self.registry or self.registry == registry

    def to_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "seconds": self.seconds,
            "registry": self.registry or None,
            "observed": self.observed,
            "remaining": self.remaining,
        }


def parse_rate_limit(text: str) -> RateLimit:
    """``N/DURATION[@REGISTRY]``: ``100/6h@registry-1.docker.io``, ``5000/1d``; DURATION is a
    number (1 when left out) and one of s, m, h, d."""
    match = _LIMIT.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"{text!r} is not a rate limit: N/DURATION[@REGISTRY], such as"
            " 100/6h@registry-1.docker.io (DURATION: a number and s, m, h or d)"
        )
    count, amount, unit, registry = match.groups()
    seconds = int(amount or "1") * _UNITS[unit]
    if int(count) == 0 or seconds == 0:
        raise InvalidInput(f"{text!r}: a rate limit needs a count and a window above 0")
    return RateLimit(int(count), seconds, registry or "")


_HEADER = re.compile(r"^\s*([0-9]{1,9})\s*(?:;\s*w\s*=\s*([0-9]{1,9}))?")


def parse_ratelimit_header(limit: str, remaining: str | None) -> tuple[int, int, int | None] | None:
    """Docker Hub's ``ratelimit-limit: 100;w=21600`` and ``ratelimit-remaining: 76;w=21600``
    as (count, seconds, remaining); None when the limit does not read."""
    found = _HEADER.match(limit)
    if found is None or not found[2]:
        return None
    left = _HEADER.match(remaining or "")
    return int(found[1]), int(found[2]), int(left[1]) if left else None
