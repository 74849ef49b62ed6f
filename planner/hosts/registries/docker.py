"""Docker's ``daemon.json``: ``registry-mirrors`` and ``insecure-registries``.

What the classic image store does with them (moby registry/service_v2.go
``lookupV2Endpoints``, registry/config.go ``ValidateMirror``; v20.10 to v28):

* mirrors serve **Docker Hub names only** (``docker.io/...``), in order, then
  ``registry-1.docker.io``; every other registry is asked directly;
* a mirror is ``http://`` or ``https://`` with nothing after the host (a path is refused
  up to v24.0.7), no query, fragment or credentials;
* ``insecure-registries`` (and 127.0.0.0/8) may be asked over plain HTTP.

Other daemon.json keys are Docker's and are not read here.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from planner.hosts.registries.records import (
    Hop,
    Origin,
    RegistryConfig,
    Route,
    endpoint_of,
    split_url,
    upstream_hop,
)
from planner.model.reference import DOCKER_HUB, Reference
from planner.model.yamlfile import MarkedMap

__all__ = ["FORMAT", "DockerDaemon", "looks_like_daemon_json"]

FORMAT = "Docker daemon.json"
_KEYS = ("registry-mirrors", "insecure-registries")


def looks_like_daemon_json(data: Any) -> bool:
    return isinstance(data, MarkedMap) and any(
        k in data or difflib.get_close_matches(k, [str(x) for x in data], n=1, cutoff=0.85)
        for k in _KEYS
    )


class DockerDaemon(RegistryConfig):
    """``/etc/docker/daemon.json``."""

    kind = "daemon.json"
    format = "daemon-json"

    def __init__(self, path: Path, data: Any | None = None) -> None:
        super().__init__(path)
        data, check = self.document(data)
        top = check.table(data, f"as {FORMAT}: (top level)")
        for key in top:
            if key in _KEYS:
                continue
            close = difflib.get_close_matches(str(key), _KEYS, n=1, cutoff=0.85)
            if close:
                raise check.fail(
                    top,
                    key,
                    f"as {FORMAT}: {key}",
                    f"unknown key (did you mean {close[0]!r}?); dockerd refuses it",
                )
        self.mirrors: list[tuple[str, str, Origin]] = []
        mirrors = top.get("registry-mirrors", [])
        if not isinstance(mirrors, list):
            raise check.fail(
                top, "registry-mirrors", f"as {FORMAT}: registry-mirrors", "must be a list of URLs"
            )
        for i, url in enumerate(mirrors):
            where = f"as {FORMAT}: registry-mirrors[{i}]"
            if not isinstance(url, str):
                raise check.fail(mirrors, i, where, "must be a URL string")
            if "://" not in url:
                raise check.fail(
                    mirrors,
                    i,
                    where,
                    f"invalid mirror: {url!r} has no scheme (http:// or https://); dockerd refuses it",
                )
            try:
                scheme, host, url_path = split_url(url)
            except ValueError as exc:
                raise check.fail(mirrors, i, where, f"invalid mirror: {url!r} {exc}") from None
            if url_path not in ("", "/"):
                raise check.fail(
                    mirrors,
                    i,
                    where,
                    f"invalid mirror: path, query, or fragment at end of the URI {url!r} (dockerd before 24.0.8 refuses a path)",
                )
            line, column = check.position(mirrors, i)
            self.mirrors.append((scheme, host, Origin(self.path, line, column)))
        insecure = top.get("insecure-registries", [])
        if not isinstance(insecure, list) or not all(isinstance(v, str) for v in insecure):
            raise check.fail(
                top,
                "insecure-registries",
                f"as {FORMAT}: insecure-registries",
                "must be a list of host[:port] or CIDR strings",
            )
        self.insecure = tuple(str(v) for v in insecure)

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        ref = Reference.parse(text)  # docker.io/library/... for a short name
        if ref.registry != DOCKER_HUB:
            return Route(
                ref,
                (upstream_hop(ref, "http" if ref.registry in self.insecure else None),),
                str(self.path),
            )
        hops = [
            Hop(
                endpoint=endpoint_of(host, scheme),
                scheme=scheme,
                repository=ref.repository,
                registry=host,
                mirror=True,
                origin=origin,
            )
            for scheme, host, origin in self.mirrors
        ]
        hops.append(upstream_hop(ref))
        return Route(ref, tuple(hops), str(self.path))
