"""containerd's hosts directory (``config_path``, or the one ctr is given): one ``hosts.toml``
per registry host, and ``_default``.

What containerd does with it (remotes/docker/config/hosts.go, config_unix.go; the same
from v1.6.0 to v2.3):

* the directory of reference host ``H`` is the first of ``H_PORT_`` (``H`` with a port),
  ``H``, ``_default`` that exists (``hostPaths``); docker.io is ``docker.io``;
* ``[host."URL"]`` entries are tried in file order, then the root entry (``server``, or
  the default upstream when there is none: ``registry-1.docker.io`` for docker.io);
* a URL without a scheme is ``https://``; ``/v2`` is appended unless the path ends in it
  or ``override_path`` is set;
* ``capabilities`` are ``pull``, ``resolve``, ``push`` (all three when absent): a tag is
  resolved only at hosts with ``pull`` and ``resolve``, a digest fetched at hosts with ``pull``.

A hosts.toml that does not parse makes containerd log an error and pull from upstream
only; here it is an error at its line, since that is never what its author meant.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from planner.hosts.registries.records import (
    Hop,
    InvalidRegistryConfig,
    Origin,
    RegistryConfig,
    Route,
    endpoint_of,
    split_url,
    upstream_hop,
)
from planner.hosts.registries.tomlfile import TomlFile
from planner.model.errors import InvalidReference
from planner.model.reference import DOCKER_HUB, DOCKER_HUB_API, Reference

__all__ = ["FORMAT", "ContainerdHosts", "HostsFile", "looks_like_hosts_dir"]

FORMAT = "containerd hosts.toml"
CAPABILITIES = ("pull", "resolve", "push")
_HOST_KEYS = (
    "capabilities",
    "ca",
    "client",
    "skip_verify",
    "header",
    "override_path",
    "dial_timeout",
)
_TOP_KEYS = ("server", "host", *_HOST_KEYS)


def looks_like_hosts_dir(path: Path) -> bool:
    """A directory with a ``hosts.toml`` in some subdirectory (or of its own)."""
    try:
        if (path / "hosts.toml").is_file():
            return True
        return any((entry / "hosts.toml").is_file() for entry in path.iterdir() if entry.is_dir())
    except OSError:
        return False


class HostsFile:
    """One parsed ``hosts.toml``: its ``[host]`` entries in order, then the root entry."""

    def __init__(self, path: Path, registry: str) -> None:
        self.path = path
        self.registry = registry
        """The directory's name (``docker.io``, ``127.0.0.1:5000``, ``_default``)."""
        self.file = TomlFile(path, FORMAT)
        data = self.file.data
        for key in data:
            if key not in _TOP_KEYS:
                raise self.file.fail(key, "", key, f"unknown key (known: {', '.join(_TOP_KEYS)})")
        self.entries: list[tuple[str, str, str, frozenset[str], bool, Origin]] = []
        """(scheme, host, path, capabilities, skip_verify, origin) of each ``[host]``."""
        hosts = data.get("host", {})
        if not isinstance(hosts, dict):
            raise self.file.fail("host", "", "host", 'must be tables: [host."https://mirror:5000"]')
        for url, table in hosts.items():
            where = f'host."{url}"'
            if not isinstance(table, dict):
                raise self.file.fail(None, where, where, "must be a table")
            for key in table:
                if key not in _HOST_KEYS:
                    raise self.file.fail(
                        key,
                        where,
                        f"{where}.{key}",
                        f"unknown key (known: {', '.join(_HOST_KEYS)})",
                    )
            self.entries.append(self._entry(url, table, where, self.file.origin(None, where)))
        self.server: tuple[str, str, str, frozenset[str], bool, Origin] | None = None
        if "server" in data:
            server = data["server"]
            if not isinstance(server, str) or not server:
                raise self.file.fail("server", "", "server", "must be a URL string")
            self.server = self._entry(server, data, "server", self.file.origin("server"))
        else:
            self._entry("https://placeholder", data, "(top level)", Origin(path))  # checks its keys

    def _entry(
        self, url: str, table: dict[str, Any], where: str, origin: Origin
    ) -> tuple[str, str, str, frozenset[str], bool, Origin]:
        section = "" if where in ("server", "(top level)") else where
        try:
            scheme, host, path = split_url(url if url.startswith("http") else f"https://{url}")
        except ValueError as exc:
            raise self.file.fail(
                None if section else "server", section, where, f"{url!r} {exc}"
            ) from None
        override = table.get("override_path", False)
        if not isinstance(override, bool):
            raise self.file.fail(
                "override_path", section, f"{where}.override_path", "must be true or false"
            )
        skip = table.get("skip_verify", False)
        if not isinstance(skip, bool):
            raise self.file.fail(
                "skip_verify", section, f"{where}.skip_verify", "must be true or false"
            )
        caps = table.get("capabilities", list(CAPABILITIES))
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise self.file.fail(
                "capabilities", section, f"{where}.capabilities", "must be a list of strings"
            )
        for cap in caps:
            if cap not in CAPABILITIES:
                raise self.file.fail(
                    "capabilities",
                    section,
                    f"{where}.capabilities",
                    f"unknown capability {cap!r} (containerd knows: {', '.join(CAPABILITIES)})",
                )
        for key in ("ca", "client", "header"):
            if key in table and not isinstance(table[key], (str, list, dict)):
                raise self.file.fail(key, section, f"{where}.{key}", "must be a string or a list")
        path = path.rstrip("/")
        if not override:
            path = path if path.endswith("/v2") else f"{path}/v2"
        return scheme, host, path or "/", frozenset(caps), skip, origin

    def hops(self, ref: Reference) -> tuple[Hop, ...]:
        out = [self._hop(ref, entry, mirror=True) for entry in self.entries]
        if self.server is not None:
            out.append(self._hop(ref, self.server, mirror=False))
        else:
            out.append(upstream_hop(ref))
        return tuple(out)

    @staticmethod
    def _hop(
        ref: Reference, entry: tuple[str, str, str, frozenset[str], bool, Origin], mirror: bool
    ) -> Hop:
        scheme, host, path, caps, _skip, origin = entry
        registry = DOCKER_HUB if host == DOCKER_HUB_API else host
        return Hop(
            endpoint=endpoint_of(host, scheme),
            scheme=scheme,
            repository=ref.repository,
            registry=registry,
            mirror=mirror and host not in (ref.registry, ref.api_host),
            tags="pull" in caps and "resolve" in caps,
            digests="pull" in caps,
            origin=origin,
            path=path,
        )


class ContainerdHosts(RegistryConfig):
    """A containerd hosts directory (``/etc/containerd/certs.d``)."""

    kind = "containerd hosts directory"
    format = "containerd-hosts"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.files: dict[str, HostsFile] = {}
        try:
            entries = sorted(path.iterdir())
        except OSError as exc:
            raise InvalidRegistryConfig(
                f"{path}: as {self.kind}: cannot read: {exc.strerror}"
            ) from None
        for entry in entries:
            try:
                os.stat(entry)
                is_dir = entry.is_dir()
                hosts = entry / "hosts.toml"
                has_file = is_dir and hosts.exists()
                if has_file:
                    os.stat(hosts)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise InvalidRegistryConfig(
                        f"{entry}: as {self.kind}: a symlink loop (containerd cannot read it either)"
                    ) from None
                raise InvalidRegistryConfig(
                    f"{entry}: as {self.kind}: cannot read: {exc.strerror}"
                ) from None
            if has_file:
                self.files[entry.name] = HostsFile(hosts, entry.name)

    def directory_for(self, host: str) -> HostsFile | None:
        """containerd's ``hostPaths``: ``H_PORT_``, then ``H``, then ``_default``."""
        names = []
        if ":" in host.rsplit("]", 1)[-1]:
            head, _, port = host.rpartition(":")
            names.append(f"{head}_{port}_")
        names += [host, "_default"]
        for name in names:
            if name in self.files:
                return self.files[name]
        return None

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        try:
            ref = Reference.parse(text)  # the CRI plugin's ParseDockerRef: docker.io/library/...
        except InvalidReference:
            raise
        hosts = self.directory_for(ref.registry)
        if hosts is None:
            return Route(ref, (upstream_hop(ref),), str(self.path))
        return Route(ref, hosts.hops(ref), str(hosts.path))
