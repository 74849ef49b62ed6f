"""Registry configurations, recognised by their content: where each host really pulls from.

:func:`load_registry_config` reads one path and returns a
:class:`~planner.hosts.registries.records.RegistryConfig`, whose ``route(reference)``
lists the endpoints the engine asks, in order (:class:`~.records.Route`, :class:`~.records.Hop`):

=====================================  ==============================================  =======================
format                                 recognised by                                   read by
=====================================  ==============================================  =======================
containerd hosts directory             a directory with ``*/hosts.toml``               :mod:`.containerd`
containerd ``config.toml`` (CRI)       TOML with ``plugins`` (legacy                   :mod:`.containerd_config`
                                       ``registry.mirrors``, or ``config_path``)
containers ``registries.conf`` (v2)    TOML with ``[[registry]]``, ``aliases``,         :mod:`.containers`
                                       ``unqualified-search-registries``; or a
                                       directory with ``registries.conf[.d]``
Docker ``daemon.json``                 JSON with ``registry-mirrors`` /                 :mod:`.docker`
                                       ``insecure-registries``
k3s / RKE2 ``registries.yaml``         YAML with ``mirrors`` / ``configs``              :mod:`.k3s`
=====================================  ==============================================  =======================

Every error is one line, ``file:line:column: as FORMAT: where: problem``, raised as
:class:`~.records.InvalidRegistryConfig` (an :class:`~planner.model.errors.InvalidInput`).
"""

from __future__ import annotations

import os

from planner.hosts.registries.containerd import ContainerdHosts, looks_like_hosts_dir
from planner.hosts.registries.containerd_config import (
    ContainerdConfig,
    looks_like_containerd_config,
)
from planner.hosts.registries.containers import ContainersRegistries, looks_like_registries_conf
from planner.hosts.registries.docker import DockerDaemon, looks_like_daemon_json
from planner.hosts.registries.k3s import K3sRegistries, looks_like_registries_yaml
from planner.hosts.registries.records import (
    Hop,
    InvalidRegistryConfig,
    Origin,
    RegistryConfig,
    Route,
)
from planner.hosts.registries.tomlfile import MAX_CONFIG_BYTES, TomlFile
from planner.model.arguments import path_argument
from planner.model.files import path_kind, read_capped
from planner.model.yamlfile import YamlError, load

__all__ = [
    "ContainerdConfig",
    "ContainerdHosts",
    "ContainersRegistries",
    "DockerDaemon",
    "Hop",
    "InvalidRegistryConfig",
    "K3sRegistries",
    "Origin",
    "RegistryConfig",
    "Route",
    "load_registry_config",
]


def load_registry_config(path: str | os.PathLike[str]) -> RegistryConfig:
    """The registry configuration at ``path`` (a file or a directory), whichever format it is."""
    path = path_argument(path, "path")
    kind = path_kind(path)
    if kind == "missing":
        raise InvalidRegistryConfig(f"{path}: no such file or directory")
    if kind == "directory":
        if looks_like_hosts_dir(path):
            if (path / "hosts.toml").is_file():
                raise InvalidRegistryConfig(
                    f"{path}: as a containerd hosts directory: hosts.toml belongs in a directory"
                    f" named after its registry host ({path}/docker.io/hosts.toml); give the parent"
                    " of those directories"
                )
            return ContainerdHosts(path)
        if (path / "registries.conf").is_file() or (path / "registries.conf.d").is_dir():
            return ContainersRegistries(path)
        raise InvalidRegistryConfig(
            f"{path}: not a registry configuration directory (no */hosts.toml, no registries.conf)"
        )
    data = read_capped(path, MAX_CONFIG_BYTES, error=InvalidRegistryConfig)
    text = data.decode("utf-8", "replace")
    if text.lstrip().startswith("{") or path.suffix in (".yaml", ".yml"):
        try:
            parsed = load(text, str(path))
        except YamlError as exc:
            raise InvalidRegistryConfig(str(exc)) from None
        if looks_like_daemon_json(parsed):
            return DockerDaemon(path, parsed)
        if looks_like_registries_yaml(parsed):
            return K3sRegistries(path, parsed)
        raise InvalidRegistryConfig(
            f"{path}: not a registry configuration: a daemon.json has registry-mirrors or"
            " insecure-registries, a registries.yaml has mirrors or configs"
        )
    toml = TomlFile(path, "TOML registry configuration")
    if looks_like_registries_conf(toml.data):
        return ContainersRegistries(path)
    if looks_like_containerd_config(toml.data):
        return ContainerdConfig(path)
    if "server" in toml.data or "host" in toml.data:
        raise InvalidRegistryConfig(
            f"{path}: a containerd hosts.toml: give the hosts directory that holds"
            " <registry host>/hosts.toml (containerd's config_path, ctr's hosts directory)"
        )
    raise InvalidRegistryConfig(
        f"{path}: not a registry configuration: a registries.conf has [[registry]],"
        " [aliases] or unqualified-search-registries"
    )
