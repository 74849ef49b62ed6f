"""Image references, parsed exactly as Docker parses them.

Grammar from distribution/reference ``regexp.go``; normalization from its
``normalize.go`` (``ParseNormalizedNamed``, ``ParseDockerRef``)::

    ubuntu                         -> docker.io/library/ubuntu:latest
    nginx:1.27                     -> docker.io/library/nginx:1.27
    ghcr.io/org/app@sha256:...     -> digest reference
    localhost:5000/app:1.0         -> registry localhost:5000
    name:tag@sha256:...            -> the digest wins, the tag is kept for display

The first path component is a registry when it is ``localhost``, contains a
``.`` or a ``:``, or has upper-case letters; otherwise the image is on Docker
Hub. Repository paths must be lower case; the whole name is at most 255
characters. Docker Hub (``docker.io``) is served at ``registry-1.docker.io``.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from planner.model.errors import InvalidReference
from planner.model.manifest import validate_digest
from planner.model.record import dataclass

__all__ = ["DOCKER_HUB", "DOCKER_HUB_API", "Reference", "is_loopback", "registry_name"]

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_LEGACY_HUB = "index.docker.io"
NAME_TOTAL_LENGTH_MAX = 255

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALPHANUMERIC + r"(?:" + _SEPARATOR + _ALPHANUMERIC + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = r"(?:" + _DOMAIN_NAME + "|" + _IPV6 + r")(?::[0-9]+)?"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"


@functools.cache
def _reference_pattern() -> re.Pattern[str]:
    """The reference grammar (distribution/reference), compiled on first use: a run that
    reads a file parses no reference."""
    return re.compile(r"(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?", re.ASCII)


@functools.cache
def _domain_pattern() -> re.Pattern[str]:
    """A registry host with its port, compiled on first use."""
    return re.compile(_DOMAIN_AND_PORT, re.ASCII)


_IDENTIFIER = re.compile(r"[a-f0-9]{64}")


@dataclass(frozen=True)
class Reference:
    """A normalized reference: registry, repository, and a tag and/or digest."""

    registry: str
    """As users write it: ``docker.io``, ``ghcr.io``, ``localhost:5000``."""
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Parse like ``docker pull`` (distribution/reference ParseDockerRef)."""
        if not text:
            raise InvalidReference("invalid reference: empty")
        if _IDENTIFIER.fullmatch(text):
            raise InvalidReference(
                f"invalid reference {text!r}: a 64-character hex string is an image ID, not a name"
            )
        domain, remainder = _split_domain(text)
        remote = remainder.split(":", 1)[0].split("@", 1)[0]
        if remote.lower() != remote:
            raise InvalidReference(
                f"invalid reference {text!r}: repository name {remote!r} must be lowercase"
            )
        full = f"{domain}/{remainder}"
        match = _reference_pattern().fullmatch(full)
        if match is None:
            raise InvalidReference(f"invalid reference {text!r}: {_explain(remainder)}")
        name, tag, digest = match.groups()
        if len(name) > NAME_TOTAL_LENGTH_MAX:
            raise InvalidReference(
                f"invalid reference {text!r}: repository name must not be more than"
                f" {NAME_TOTAL_LENGTH_MAX} characters"
            )
        if digest is not None:
            try:
                validate_digest(digest, f"reference {text!r}")
            except ValueError as exc:
                raise InvalidReference(str(exc)) from None
        repository = name[len(domain) + 1 :]
        if tag is None and digest is None:
            tag = "latest"
        return cls(registry=domain, repository=repository, tag=tag, digest=digest)

    @property
    def api_host(self) -> str:
        """Host and port the Distribution API is served at."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def endpoint(self) -> str:
        """``HOST:PORT`` the Distribution API is asked at (443 unless a port is written)."""
        host = self.api_host
        return host if host.rsplit("]", 1)[-1].count(":") == 1 else f"{host}:443"

    @property
    def target(self) -> str:
        """What to put after ``/manifests/``: the digest if there is one, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def pulled(self) -> str:
        """What a pull fetches, as a string: with a digest the tag is only a label
        (``nginx:1.27@sha256:…`` is pulled as ``nginx@sha256:…`` by Docker, containerd
        and the kubelet alike), so both spellings name one image."""
        return f"{self.name}@{self.digest}" if self.digest else str(self)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _split_domain(text: str) -> tuple[str, str]:
    """distribution/reference splitDockerDomain."""
    first, sep, rest = text.partition("/")
    if not sep:
        return DOCKER_HUB, "library/" + text
    if first == "localhost" or first == _LEGACY_HUB:
        domain, remainder = (DOCKER_HUB if first == _LEGACY_HUB else first), rest
    elif any(c in first for c in ".:") or first.lower() != first:
        domain, remainder = first, rest
    else:
        domain, remainder = DOCKER_HUB, text
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = "library/" + remainder
    if not _domain_pattern().fullmatch(domain):
        raise InvalidReference(f"invalid reference {text!r}: invalid registry host {domain!r}")
    return domain, remainder


def _explain(remainder: str) -> str:
    """The most useful reason a reference failed the grammar."""
    name, _, digest = remainder.partition("@")
    repo, _, tag = name.partition(":")
    if "@" in remainder and not re.fullmatch(_DIGEST, digest, re.ASCII):
        return f"invalid digest {digest!r}"
    if ":" in name and not re.fullmatch(_TAG, tag, re.ASCII):
        return f"invalid tag {tag!r} (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')"
    if not re.fullmatch(_REMOTE_NAME, repo, re.ASCII):
        return (
            f"invalid repository name {repo!r} (lowercase letters and digits separated by"
            " '.', '_', '__', '-' or '/')"
        )
    return "invalid reference format"


def registry_name(text: str) -> str:
    """A registry as ``docker login HOST`` takes it, in the spelling references use.

    ``https://`` or ``http://`` and a trailing ``/`` are dropped, Docker Hub's
    other names (``index.docker.io``, ``registry-1.docker.io``,
    ``https://index.docker.io/v1/``) are ``docker.io``, as the credential store
    keys them (docker/cli ``registry.ConvertToHostname``); host names compare in
    lower case.
    """
    host = text.strip()
    for scheme in ("https://", "http://"):
        if host.lower().startswith(scheme):
            host = host[len(scheme) :]
            break
    host = host.rstrip("/")
    if host.lower().endswith("docker.io/v1"):
        host = host[: -len("/v1")]
    host = host.lower()
    if host in (_LEGACY_HUB, DOCKER_HUB_API):
        host = DOCKER_HUB
    if not host or not _domain_pattern().fullmatch(host):
        raise InvalidReference(f"invalid registry host {text!r} (HOST or HOST:PORT)")
    return host


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1, with or without port or brackets.

    Docker treats these as insecure registries by default (plain HTTP allowed).
    """
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
