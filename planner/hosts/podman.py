"""``podman info`` formatted as ``json``, as one host.

* ``name``: ``host.hostname``;
* platform: ``host.os``, ``host.arch`` (Go names already) and ``host.variant``
  (podman 4.8+: containerd's detection, ``v8`` on arm64, empty on amd64;
  absent before 4.8). With ``podman machine`` (macOS, Windows) these describe
  the VM the service runs in, which is where images are pulled;
* rules: ``podman@VERSION`` from ``version.Version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.hosts.records import (
    FormatChecker,
    HostProfile,
    InvalidInventory,
    PlacedHost,
    rules_at,
)
from planner.model.errors import InvalidPlatform
from planner.model.platform import Platform
from planner.model.yamlfile import MarkedMap

__all__ = ["FORMAT", "read_podman_info"]

FORMAT = "podman info output"


def _section(check: FormatChecker, top: MarkedMap, key: str) -> MarkedMap:
    if key not in top:
        raise check.fail(top, None, "(top level)", f"missing {key!r}")
    return check.table(top[key], key, parent=top, key=key)


def read_podman_info(path: Path, data: Any) -> list[PlacedHost]:
    """The one host a parsed ``podman info`` document describes."""
    check = FormatChecker(path, InvalidInventory, FORMAT)
    top = check.table(data, "(top level)")
    host = _section(check, top, "host")
    version_info = _section(check, top, "version")
    name = check.string(host, "hostname", "host.hostname", non_empty=True)
    os_name = check.string(host, "os", "host.os", non_empty=True)
    arch = check.string(host, "arch", "host.arch", non_empty=True)
    variant = check.string(host, "variant", "host.variant", default="")
    try:
        platform = Platform.parse("/".join(p for p in (os_name, arch, variant) if p))
    except InvalidPlatform as exc:  # a component with a '/', a '(' or a space
        raise check.fail(host, "arch", "host.arch", str(exc)) from None
    version = check.string(version_info, "Version", "version.Version", non_empty=True)
    rules = rules_at(check, version_info, "Version", "version.Version", "podman", version)
    profile = HostProfile(name=name, platform=platform.with_fields(), rules=rules)
    return [PlacedHost(profile, check.place(host, "hostname", "host.hostname"))]
