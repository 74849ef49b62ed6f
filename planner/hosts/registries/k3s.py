"""k3s and RKE2 ``registries.yaml`` (``/etc/rancher/k3s/registries.yaml``).

k3s turns it into one containerd ``hosts.toml`` per registry (k3s-io/k3s
pkg/agent/containerd/config.go; docs.k3s.io/installation/private-registry):

* each ``mirrors.<registry>.endpoint`` entry is a host with ``pull`` and ``resolve``, in list
  order; a URL without a scheme is https (http for loopback on a port other than 443);
* the registry's default endpoint comes last, unless the last endpoint is it; ``"*"``
  applies to registries without their own entry;
* ``rewrite`` (regular expression to replacement, on the repository) applies to the
  mirror endpoints, never to the default endpoint.
"""

from __future__ import annotations

import re
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
from planner.model.reference import DOCKER_HUB, DOCKER_HUB_API, Reference, is_loopback
from planner.model.yamlfile import MarkedMap

__all__ = ["FORMAT", "K3sRegistries", "looks_like_registries_yaml"]

FORMAT = "k3s registries.yaml"


def looks_like_registries_yaml(data: Any) -> bool:
    return isinstance(data, MarkedMap) and ("mirrors" in data or "configs" in data)


class K3sRegistries(RegistryConfig):
    """``registries.yaml``: mirrors and rewrites, as the hosts.toml k3s writes from them."""

    kind = "registries.yaml"
    format = "registries-yaml"

    def __init__(self, path: Path, data: Any | None = None) -> None:
        super().__init__(path)
        data, check = self.document(data)
        top = check.mapping(data, f"as {FORMAT}: (top level)", optional=("mirrors", "configs"))
        self.mirrors: dict[
            str, tuple[list[tuple[str, str, str, Origin]], list[tuple[re.Pattern[str], str]]]
        ] = {}
        mirrors = check.table(
            top.get("mirrors", MarkedMap()), f"as {FORMAT}: mirrors", parent=top, key="mirrors"
        )
        for registry, entry in mirrors.items():
            where = f"as {FORMAT}: mirrors.{registry}"
            table = check.mapping(
                entry, where, optional=("endpoint", "rewrite"), parent=mirrors, key=registry
            )
            endpoints = []
            urls = check.strings(table, "endpoint", f"{where}.endpoint")
            node = table.get("endpoint")
            for i, url in enumerate(urls):
                try:
                    scheme, host, url_path = split_url(url)
                except ValueError as exc:
                    raise check.fail(node, i, f"{where}.endpoint[{i}]", f"{url!r} {exc}") from None
                if "://" not in url and is_loopback(host) and not host.endswith(":443"):
                    scheme = "http"
                line, column = check.position(node, i)
                endpoints.append(
                    (
                        scheme,
                        host,
                        url_path.rstrip("/"),
                        Origin(path=self.path, line=line, column=column),
                    )
                )
            rewrites = []
            for pattern, replacement in check.str_map(
                table.get("rewrite", MarkedMap()), f"{where}.rewrite", parent=table, key="rewrite"
            ).items():
                try:
                    rewrites.append((re.compile(pattern), replacement))
                except re.error as exc:
                    raise check.fail(
                        table["rewrite"],
                        pattern,
                        f"{where}.rewrite",
                        f"{pattern!r} is not a regular expression: {exc}",
                    ) from None
            self.mirrors[str(registry)] = (endpoints, rewrites)

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        ref = Reference.parse(text)
        entry = self.mirrors.get(ref.registry) or self.mirrors.get("*")
        if entry is None:
            return Route(ref, (upstream_hop(ref),), str(self.path))
        endpoints, rewrites = entry
        repository = ref.repository
        for pattern, replacement in rewrites:
            repository = pattern.sub(_go_replacement(replacement), repository)
        default = upstream_hop(ref)
        hops = []
        for i, (scheme, host, path, origin) in enumerate(endpoints):
            is_default = host in (ref.registry, ref.api_host) or (
                ref.registry == DOCKER_HUB and host == DOCKER_HUB_API
            )
            if is_default and i == len(endpoints) - 1:
                break
            hops.append(
                Hop(
                    endpoint=endpoint_of(host, scheme),
                    scheme=scheme,
                    repository=repository,
                    registry=host,
                    mirror=not is_default,
                    origin=origin,
                    path=path if path not in ("", "/") else "/v2",
                )
            )
        hops.append(default)
        return Route(ref, tuple(hops), str(self.path))


def _go_replacement(text: str) -> str:
    """Go's ``$1`` / ``${1}`` in a replacement, as Python's ``\\g<1>``."""
    return re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", text.replace("\\", "\\\\"))
