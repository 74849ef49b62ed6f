"""Counting what a run costs: requests by kind, bytes, cache hits.

Registry requests are the cost that matters: Docker Hub's pull limit counts
manifest GETs (HEADs are free), so every run can report how many it spent.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from planner.model.text import plural

__all__ = ["KINDS", "KIND_EXTENSION", "Stats", "request_kind"]

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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
