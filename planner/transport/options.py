"""How to talk to registries, and what the client hands back: plain values, no I/O.

httpx is named only for type checking here, so that the package face can
export :class:`RegistryOptions` without importing httpx.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.model.record import dataclass, field
from planner.transport.credentials import CredentialStore

if TYPE_CHECKING:
    import httpx

__all__ = ["BlobLocation", "Fetched", "Presence", "RegistryOptions"]


@dataclass
class RegistryOptions:
    """How to talk to registries. Every field has a sensible default."""

    credentials: CredentialStore = field(default_factory=CredentialStore)
    cache_dir: Path | None = None
    """None: the platform cache directory (``$XDG_CACHE_HOME/pull-planner``)."""
    use_cache: bool = True
    plain_http: bool = False
    """Use http:// for every registry (loopback registries use it anyway)."""
    timeout: float = 30.0
    """Seconds for each whole request: connecting, the headers, the body, and the token
    requests and redirects it takes; a server that answers a byte at a time fails at it.
    A request that times out is retried like a connection error."""
    connect_timeout: float = 10.0
    """Seconds for each connection (within ``timeout``)."""
    deadline: float | None = None
    """Seconds for all the registry work of a run (of one client, from its first request),
    retries and their pauses included; None: no bound but ``timeout`` and ``retries``.
    At the deadline the request under way fails, and a retry whose pause would end
    after it is not made; neither is retried."""
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    log: Callable[[str], None] | None = None
    """Receives one line per request (method, URL without query, status); never headers."""
    notify: Callable[[str], None] | None = None
    """Receives one line when a request first fails and will be retried: what failed, when
    the retry comes and which attempt it is (``localhost:5000 answered 503 Service Unavailable
    for manifest localhost:5000/app:1; retrying in 1.2 s (attempt 2 of 5)``). Once per
    request; the final error counts the attempts. Never headers, tokens or credentials."""
    transport: httpx.AsyncBaseTransport | None = None
    """For fault-injection tests only."""
    sleep: Callable[[float], Any] | None = None
    """Awaitable sleep for retry pauses (tests pass a fake); None: asyncio.sleep."""


@dataclass(frozen=True)
class Fetched:
    """A verified document: bytes, the media type it was served as, its digest."""

    data: bytes
    media_type: str | None
    digest: str


@dataclass(frozen=True)
class BlobLocation:
    """Where a blob is really downloaded from."""

    url: str
    """Final URL without its query string (CDN URLs carry signatures)."""
    host: str
    """``host[:port]`` that serves it: what a firewall allow-list needs."""
    redirected: bool
    """The registry answered with a redirect (to a CDN, or within itself)."""


@dataclass(frozen=True)
class Presence:
    """What a registry says of one manifest or blob, asked without downloading it."""

    state: str
    """``present``, ``missing`` (404) or ``unknown`` (it could not be asked, or would not say)."""
    length: int | None = None
    """Its length in bytes, as the answer declared it (None when it did not)."""
    detail: str = ""
    """How it was asked or why it is unknown, in a few words (``ranged GET``, ``HEAD: 405``)."""
