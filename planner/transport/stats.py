"""Counting what a run costs: requests by kind and endpoint, bytes, cache hits; and the
rate limits that budget them (given, or read from a registry's ``ratelimit`` headers).

Registry requests are the cost that matters: Docker Hub's pull limit counts
manifest GETs (HEADs are free), so every run can report how many it spent.
"""

from __future__ import annotations

import functools
import re
from _thread import LockType, allocate_lock
from collections import Counter
from typing import Any

from planner.model.errors import InvalidInput
from planner.model.record import dataclass, field
from planner.model.reference import registry_name
from planner.model.text import plural

__all__ = [
    "KINDS",
    "KIND_EXTENSION",
    "RateLimit",
    "Stats",
    "parse_rate_limit",
    "parse_ratelimit_header",
    "request_kind",
]

KIND_EXTENSION = "pull_planner.kind"
"""httpx request extension naming what a request is for (``token``, ``manifest GET``, ...);
httpx carries extensions over to redirected requests, so a blob fetched from a CDN
still counts as a blob request."""

KINDS = ("token", "ping", "manifest HEAD", "manifest GET", "blob HEAD", "blob GET", "other")


def request_kind(method: str, path: str) -> str:
    """Classify a Distribution API request by method and URL path.

    Token requests go to the token service's own URL; the registry client tags
    them (and redirected blob requests, which keep their kind) explicitly.
    """
    if path.rstrip("/") == "/v2":
        return "ping"
    if path.startswith("/v2/") and "/manifests/" in path:
        return "manifest HEAD" if method == "HEAD" else "manifest GET"
    if path.startswith("/v2/") and "/blobs/" in path:
        return "blob HEAD" if method == "HEAD" else "blob GET"
    return "other"


@dataclass
class Stats:
    """Counters for one run; safe to share between tasks and threads."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_received: int = 0
    cache_hits: int = 0
    retries: int = 0
    endpoints: Counter[str] = field(default_factory=Counter)
    """Requests per ``HOST:PORT`` asked (a host's mirrors, the registries)."""
    rate_limits: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``ratelimit-limit`` and ``ratelimit-remaining`` as an endpoint last sent them."""
    _lock: LockType = field(default_factory=allocate_lock, repr=False)
    """(``_thread``'s lock, threading's own: the module is not loaded for it.)"""

    def note_rate_limit(self, endpoint: str, limit: str, remaining: str) -> None:
        with self._lock:
            self.rate_limits[endpoint] = (limit, remaining)

    def count_request(self, kind: str, status: int, endpoint: str = "") -> None:
        with self._lock:
            self.requests[kind] += 1
            self.statuses[status] += 1
            if endpoint:
                self.endpoints[endpoint] += 1

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes_received += n

    def add_cache_hit(self) -> None:
        with self._lock:
            self.cache_hits += 1

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def rate_limited_requests(self) -> int:
        """Requests that count against Docker Hub-style pull limits (manifest GETs)."""
        return self.requests["manifest GET"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.total_requests,
            "by_kind": {kind: self.requests[kind] for kind in KINDS if self.requests[kind]},
            "rate_limited_requests": self.rate_limited_requests,
            "bytes_received": self.bytes_received,
            "cache_hits": self.cache_hits,
            "retries": self.retries,
            "by_endpoint": dict(sorted(self.endpoints.items())),
            **(
                {
                    "rate_limits": {
                        e: {"limit": limit, "remaining": left or None}
                        for e, (limit, left) in sorted(self.rate_limits.items())
                    }
                }
                if self.rate_limits
                else {}
            ),
        }

    def summary(self) -> str:
        """The figures in one line, for people."""
        kinds = ", ".join(f"{self.requests[k]} {k}" for k in KINDS if self.requests[k]) or "none"
        return (
            f"{plural(self.total_requests, 'request')} ({kinds});"
            f" {self.rate_limited_requests} against pull limits;"
            f" {plural(self.bytes_received, 'byte')} received;"
            f" {plural(self.cache_hits, 'cache hit')}"
            + (f"; {plural(self.retries, 'retry', 'retries')}" if self.retries else "")
            + (
                "; by endpoint: " + ", ".join(f"{e} {n}" for e, n in sorted(self.endpoints.items()))
                if len(self.endpoints) > 1
                else ""
            )
        )


# --------------------------------------------------------------------------- rate limits
# A registry's rate limit: N requests per window, for one registry or every one.

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.cache
def _limit_pattern() -> re.Pattern[str]:
    """A rate limit, ``N/DURATION[@REGISTRY]``, compiled when one is given."""
    return re.compile(r"^([0-9]{1,9})/([0-9]{0,6})([smhd])(?:@([A-Za-z0-9.:\[\]-]+))?$")


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
        """Whether the limit counts requests to ``registry`` (a host, ``HOST:PORT``): names
        compare as logins do (case, ``https://``, Docker Hub's names: ``docker.io``,
        ``index.docker.io`` and ``registry-1.docker.io`` are one registry)."""
        return not self.registry or _same_registry(self.registry, registry)

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
    match = _limit_pattern().match(text.strip())
    if match is None:
        raise InvalidInput(
            f"{text!r} is not a rate limit: N/DURATION[@REGISTRY], such as"
            " 100/6h@registry-1.docker.io (DURATION: a number and s, m, h or d)"
        )
    count, amount, unit, registry = match.groups()
    seconds = int(amount or "1") * _UNITS[unit]
    if int(count) == 0 or seconds == 0:
        raise InvalidInput(f"{text!r}: a rate limit needs a count and a window above 0")
    if registry:
        try:
            registry_name(registry)
        except InvalidInput as exc:
            raise InvalidInput(f"{text!r}: {exc}") from None
    return RateLimit(int(count), seconds, registry or "")


def _same_registry(a: str, b: str) -> bool:
    def key(name: str) -> str:
        name = name.removesuffix(":443")
        try:
            return registry_name(name)
        except InvalidInput:
            return name.lower()

    return key(a) == key(b)


@functools.cache
def _header_pattern() -> re.Pattern[str]:
    """A ``ratelimit-*`` header's value, compiled when a registry sends one."""
    return re.compile(r"^\s*([0-9]{1,9})\s*(?:;\s*w\s*=\s*([0-9]{1,9}))?")


def parse_ratelimit_header(limit: str, remaining: str | None) -> tuple[int, int, int | None] | None:
    """Docker Hub's ``ratelimit-limit: 100;w=21600`` and ``ratelimit-remaining: 76;w=21600``
    as (count, seconds, remaining); None when the limit does not read."""
    found = _header_pattern().match(limit)
    if found is None or not found[2]:
        return None
    left = _header_pattern().match(remaining or "")
    return int(found[1]), int(found[2]), int(left[1]) if left else None
