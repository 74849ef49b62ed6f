"""What a registry configuration says about one pull: the endpoints a host asks, in order.

Each reader (:mod:`.containerd`, :mod:`.containers`, :mod:`.docker`, :mod:`.k3s`) turns
its format into a :class:`RegistryConfig`, whose :meth:`~RegistryConfig.route` gives the
:class:`Route` of one reference: every :class:`Hop` (an endpoint, the repository asked
there, what it may serve, and the file and line that put it there), in the order the
engine tries them. What the engine does with a failed hop is the family's rule file's
(``registry.fallback``); the format's own meaning (which names a Docker mirror serves,
how a containers ``prefix`` is rewritten) is here, with the engine's source cited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from planner.model.errors import InvalidInput
from planner.model.record import dataclass
from planner.model.reference import DOCKER_HUB, DOCKER_HUB_API, Reference, is_loopback
from planner.model.yamlfile import Checker, load_file

__all__ = [
    "Hop",
    "InvalidRegistryConfig",
    "Origin",
    "RegistryConfig",
    "Route",
    "endpoint_of",
    "upstream_hop",
]


class InvalidRegistryConfig(InvalidInput):
    """A registry configuration is not valid, or refuses a pull; ``file:line:column: ...``."""


@dataclass(frozen=True)
class Origin:
    """Where a setting was read: a file, a line and a column (0 when unknown)."""

    path: Path
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return str(self.path)
        return (
            f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        )


@dataclass(frozen=True)
class Hop:
    """One endpoint a host asks for a reference."""

    endpoint: str
    """``HOST:PORT`` the request goes to (``registry-1.docker.io:443``)."""
    scheme: str
    """``https`` or ``http``."""
    repository: str
    """The repository asked there (a containers ``location`` or a k3s ``rewrite`` changes it)."""
    registry: str
    """The registry part of the name asked there, as written (``docker.io``, ``127.0.0.1:5001``)."""
    mirror: bool
    """True for a mirror; False for the reference's own registry (or its ``server``)."""
    tags: bool = True
    """Asked for a tag (containerd ``resolve``; containers ``pull-from-mirror``)."""
    digests: bool = True
    """Asked for a digest (containerd ``pull``)."""
    origin: Origin | None = None
    """The configuration line that names this endpoint; None for the built-in upstream."""
    blocked: bool = False
    """A containers ``blocked = true`` registry: asking it fails."""
    path: str = "/v2"
    """The API root the engine asks there."""

    @property
    def name(self) -> str:
        """The reference asked there, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def reference(self, ref: Reference) -> Reference:
        """``ref`` as asked at this hop (same tag and digest)."""
        return Reference(self.registry, self.repository, ref.tag, ref.digest)

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "scheme": self.scheme,
            "name": self.name,
            "mirror": self.mirror,
            "tags": self.tags,
            "digests": self.digests,
            "from": str(self.origin) if self.origin else None,
        }


@dataclass(frozen=True)
class Route:
    """The hops of one reference, in the order the engine tries them."""

    reference: Reference
    hops: tuple[Hop, ...]
    config: str = ""
    """The configuration file or directory that gave this route ('' for none)."""
    note: str = ""
    """How the name was qualified, when it was a short name (an alias, the search list)."""

    def usable(self, by_digest: bool) -> tuple[Hop, ...]:
        """The hops asked for a tag (``by_digest`` False) or a digest."""
        return tuple(h for h in self.hops if (h.digests if by_digest else h.tags))


class RegistryConfig:
    """A host's registry configuration, as one reader read it."""

    kind: str = ""
    """``containerd hosts directory``, ``registries.conf``, ``daemon.json``, ``registries.yaml``."""
    format: str = ""
    """Its name in a rule file's ``registry.config`` (which engines read it is data there)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def document(self, data: Any | None) -> tuple[Any, Checker]:
        """The file's parsed YAML or JSON (``data``, when the caller has read it already)
        and the checker its problems are told with."""
        if data is None:
            data = load_file(self.path, InvalidRegistryConfig)
        return data, Checker(self.path, InvalidRegistryConfig)

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        """The route of reference ``text`` (short names qualified as this format's engine
        does; ``short_name_mode`` an engine's own mode over the file's, ``config``: the
        file's); :class:`InvalidRegistryConfig` when the configuration refuses the pull."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.path}>"


def upstream_hop(ref: Reference, scheme: str | None = None, origin: Origin | None = None) -> Hop:
    """The reference's own registry, as every engine contacts it (docker.io is
    registry-1.docker.io; loopback registries on a port speak plain HTTP)."""
    host = DOCKER_HUB_API if ref.registry == DOCKER_HUB else ref.registry
    if scheme is None:
        scheme = "http" if is_loopback(host) and ":" in host.rsplit("]", 1)[-1] else "https"
    return Hop(
        endpoint=endpoint_of(host, scheme),
        scheme=scheme,
        repository=ref.repository,
        registry=ref.registry,
        mirror=False,
        origin=origin,
    )


def endpoint_of(host: str, scheme: str) -> str:
    """``HOST:PORT``, the port spelled out (443 for https, 80 for http)."""
    if host.rsplit("]", 1)[-1].count(":") == 1:
        return host
    return f"{host}:{443 if scheme == 'https' else 80}"


def split_url(text: str, default_scheme: str = "https") -> tuple[str, str, str]:
    """``(scheme, host[:port], path)`` of an endpoint URL; a missing scheme is ``default_scheme``.

    Raises ValueError with the problem (no host, a scheme other than http/https, a query).
    """
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else f"{default_scheme}://{text}")
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"scheme {parts.scheme!r} is not http or https")
    if not parts.netloc or parts.username or parts.password:
        raise ValueError(
            "does not name a host" if not parts.netloc else "must not hold credentials"
        )
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or a fragment")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"port {port} is not between 1 and 65535")
    return parts.scheme, parts.netloc.lower(), parts.path
