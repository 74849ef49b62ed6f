"""containerd's ``config.toml``: the CRI plugin's legacy ``registry.mirrors`` (or its
``config_path``, which names a hosts directory).

What the CRI plugin does with the legacy mirrors (pkg/cri/server/image_pull.go
``registryHosts``/``registryEndpoints``, v1.6 to v1.7; internal/cri in 2.x, still read at
v2.3.4 though deprecated since 1.5):

* ``mirrors."<host>".endpoint`` in list order, each with ``pull`` and ``resolve``; the ``"*"``
  entry applies only to registries without their own;
* the registry's default endpoint is appended last, unless an endpoint already is it;
* an endpoint without a path gets ``/v2``; one with a path is used as given;
* ``config_path`` together with ``mirrors`` is a configuration error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.hosts.registries.containerd import ContainerdHosts
from planner.hosts.registries.records import (
    Hop,
    RegistryConfig,
    Route,
    endpoint_of,
    split_url,
    upstream_hop,
)
from planner.hosts.registries.tomlfile import TomlFile
from planner.model.reference import DOCKER_HUB, DOCKER_HUB_API, Reference

__all__ = ["CRI_PLUGINS", "FORMAT", "ContainerdConfig", "looks_like_containerd_config"]

FORMAT = "containerd config.toml"
CRI_PLUGINS = ("io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images")


def _registry_table(data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    plugins = data.get("plugins")
    if not isinstance(plugins, dict):
        return None
    for name in CRI_PLUGINS:
        plugin = plugins.get(name)
        if isinstance(plugin, dict) and isinstance(plugin.get("registry"), dict):
            return f'plugins."{name}".registry', plugin["registry"]
    return None


def looks_like_containerd_config(data: dict[str, Any]) -> bool:
    return "plugins" in data and ("version" in data or _registry_table(data) is not None)


class ContainerdConfig(RegistryConfig):
    """The CRI plugin's registry settings in containerd's ``config.toml``."""

    kind = "containerd config.toml"
    format = "containerd-config"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.file = TomlFile(path, FORMAT)
        found = _registry_table(self.file.data)
        self.hosts: ContainerdHosts | None = None
        self.mirrors: dict[str, list[tuple[str, str, str]]] = {}
        self.table = ""
        if found is None:
            return
        self.table, registry = found
        mirrors = registry.get("mirrors", {})
        config_path = registry.get("config_path", "")
        if config_path and mirrors:
            raise self.file.fail(
                "config_path",
                self.table,
                "config_path",
                "cannot be combined with registry.mirrors (containerd refuses the configuration)",
            )
        if config_path:
            if not isinstance(config_path, str):
                raise self.file.fail("config_path", self.table, "config_path", "must be a path")
            for root in config_path.split(":"):
                candidate = path.parent / root
                if candidate.is_dir():
                    self.hosts = ContainerdHosts(candidate)
                    break
            return
        if not isinstance(mirrors, dict):
            raise self.file.fail(None, f"{self.table}.mirrors", "mirrors", "must be tables")
        for host, entry in mirrors.items():
            section = f'{self.table}.mirrors."{host}"'
            if not isinstance(entry, dict) or set(entry) - {"endpoint"}:
                raise self.file.fail(None, section, section, "takes only endpoint = [URL, ...]")
            urls = entry.get("endpoint", [])
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                raise self.file.fail(
                    "endpoint", section, f"{section}.endpoint", "must be a list of URLs"
                )
            parsed = []
            for url in urls:
                try:
                    scheme, netloc, url_path = split_url(url)
                except ValueError as exc:
                    raise self.file.fail(
                        "endpoint", section, f"{section}.endpoint", f"{url!r} {exc}"
                    ) from None
                parsed.append((scheme, netloc, url_path.rstrip("/") or "/v2"))
            self.mirrors[host] = parsed

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        if self.hosts is not None:
            return self.hosts.route(text, short_name_mode=short_name_mode)
        ref = Reference.parse(text)
        entry = self.mirrors.get(ref.registry)
        key = ref.registry
        if entry is None:
            entry, key = self.mirrors.get("*"), "*"
        if not entry:
            return Route(ref, (upstream_hop(ref),), str(self.path))
        origin = self.file.origin("endpoint", f'{self.table}.mirrors."{key}"')
        hops: list[Hop] = []
        own = False
        for scheme, netloc, url_path in entry:
            is_own = netloc in (ref.registry, ref.api_host)
            own = own or is_own
            hops.append(
                Hop(
                    endpoint=endpoint_of(netloc, scheme),
                    scheme=scheme,
                    repository=ref.repository,
                    registry=DOCKER_HUB if netloc == DOCKER_HUB_API else netloc,
                    mirror=not is_own,
                    origin=origin,
                    path=url_path,
                )
            )
        if not own:
            hops.append(upstream_hop(ref))
        return Route(ref, tuple(hops), str(self.path))
