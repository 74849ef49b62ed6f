"""``docker info`` formatted as ``{{json .}}``, as one host: a Linux or Windows engine, or Docker Desktop.

* ``name``: ``Name`` (the engine's host name; ``docker-desktop`` for Docker Desktop);
* platform: ``OSType`` and ``Architecture``, which the engine reports as ``uname -m``
  does (``x86_64``, ``aarch64``, ``armv7l``) and which is read as the Go
  architecture the engine itself runs as (``amd64``, ``arm64``, ``arm/v7``). The
  x86-64 level Docker adds on Linux is not in the output: a host that should
  prefer ``amd64/v3`` images needs a profile;
* Windows build: ``OSVersion`` (``10.0.20348``) and ``KernelVersion``
  (``10.0 20348 (20348.1.amd64fre.fe_release.210507-1500)``), which must agree, made
  precise by the revision in ``OperatingSystem`` (``... (OS Build 20348.2849)``)
  when its build is the same; ``Isolation`` (``process``, ``hyperv``) is the
  host's isolation;
* rules: ``docker@VERSION`` from ``ServerVersion``, or ``docker-c8d@VERSION`` when
  ``DriverStatus`` has ``["driver-type", "io.containerd.snapshotter.v1"]`` (the
  containerd image store);
* ``labels``: the engine's ``Labels`` (``key=value`` strings).

Docker Desktop (``OperatingSystem: Docker Desktop``) is read the same way: its
engine runs in a Linux VM whose architecture is the one reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.hosts.records import (
    FormatChecker,
    HostProfile,
    InvalidInventory,
    PlacedHost,
    agreed_build,
    lacks_windows_build,
    rules_at,
)
from planner.model.platform import Platform
from planner.model.windows import WindowsVersion
from planner.model.yamlfile import MarkedList, MarkedMap, describe

__all__ = ["ARCHITECTURES", "FORMAT", "read_docker_info"]

FORMAT = "docker info output"

ARCHITECTURES = {
    "x86_64": ("amd64", ""),
    "amd64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "arm64": ("arm64", ""),
    "armv8l": ("arm", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "i386": ("386", ""),
    "i686": ("386", ""),
    "ppc64le": ("ppc64le", ""),
    "s390x": ("s390x", ""),
    "riscv64": ("riscv64", ""),
    "loongarch64": ("loong64", ""),
    "mips64": ("mips64le", ""),
}
"""``Architecture`` (``uname -m``; on Windows, moby's own names) -> Go architecture, variant."""

SNAPSHOTTER = ["driver-type", "io.containerd.snapshotter.v1"]
_KERNEL = re.compile(r"(\d+)\.(\d+) (\d+) \(", re.ASCII)  # 10.0 20348 (20348.1.amd64fre...)
_OS_BUILD = re.compile(r"\(OS Build (\d+)\.(\d+)\)", re.ASCII)


def read_docker_info(path: Path, data: Any) -> list[PlacedHost]:
    """The one host a parsed ``docker info`` document describes."""
    check = FormatChecker(path, InvalidInventory, FORMAT)
    top = check.table(data, "(top level)")
    errors = top.get("ServerErrors")
    if errors:
        first = errors[0] if isinstance(errors, list) else errors
        raise check.fail(
            top,
            "ServerErrors",
            "ServerErrors",
            f"the docker client could not read the engine's information: {first!r}",
        )
    name = check.string(top, "Name", "Name", non_empty=True)
    os_type = check.string(top, "OSType", "OSType", non_empty=True)
    if os_type not in ("linux", "windows"):
        raise check.fail(top, "OSType", "OSType", f"{os_type!r} is not linux or windows")
    arch_text = check.string(top, "Architecture", "Architecture", non_empty=True)
    if arch_text not in ARCHITECTURES:
        raise check.fail(
            top,
            "Architecture",
            "Architecture",
            f"{arch_text!r} is not an architecture pull-planner knows; known: {', '.join(ARCHITECTURES)}",
        )
    arch, variant = ARCHITECTURES[arch_text]
    platform = Platform(os=os_type, architecture=arch, variant=variant)

    family = "docker-c8d" if _containerd_store(check, top) else "docker"
    version = check.string(top, "ServerVersion", "ServerVersion", non_empty=True)
    rules = rules_at(check, top, "ServerVersion", "ServerVersion", family, version)

    isolation = None
    if os_type == "windows":
        platform = _windows_build(check, top, platform)
        value = top.get("Isolation")
        if value in ("process", "hyperv"):
            isolation = value
    if lacks_windows_build(platform, rules):
        raise check.fail(
            top,
            "OSVersion",
            "OSVersion",
            f"a Windows engine needs its build: neither OSVersion nor KernelVersion gives one"
            f" (rules {rules.name} choose Windows images by build)",
        )
    host = HostProfile(
        name=name,
        platform=platform,
        rules=rules,
        isolation=isolation,
        labels=MappingProxyType(_labels(check, top)),
    )
    return [PlacedHost(host, check.place(top, "Name", "Name"))]


def _containerd_store(check: FormatChecker, top: MarkedMap) -> bool:
    status = top.get("DriverStatus")
    if status is None:
        return False
    if not isinstance(status, MarkedList) or not all(isinstance(p, list) for p in status):
        raise check.fail(
            top, "DriverStatus", "DriverStatus", f"must be a list of pairs, not {describe(status)}"
        )
    return SNAPSHOTTER in [list(p) for p in status]


def _windows_build(check: FormatChecker, top: MarkedMap, platform: Platform) -> Platform:
    readings: list[str] = []
    os_version = top.get("OSVersion")
    if isinstance(os_version, str) and WindowsVersion.parse(os_version):
        readings.append(os_version)
    kernel = top.get("KernelVersion")
    match = _KERNEL.match(kernel) if isinstance(kernel, str) else None
    if match:
        readings.append(".".join(match.groups()))
    build, conflict = agreed_build(readings)
    if conflict is not None:
        raise check.fail(
            top,
            "KernelVersion",
            "KernelVersion",
            f"{kernel!r} is not the build of OSVersion {os_version!r}",
        )
    product = top.get("OperatingSystem")
    found = _OS_BUILD.search(product) if isinstance(product, str) else None
    if build and found and build.split(".")[2] == found.group(1):
        build = f"{build}.{found.group(2)}"  # the revision (UBR) of the same build
    return platform.with_fields(os_version=build) if build else platform


def _labels(check: FormatChecker, top: MarkedMap) -> dict[str, str]:
    labels = top.get("Labels")
    if labels is None:
        return {}
    if not isinstance(labels, MarkedList):
        raise check.fail(top, "Labels", "Labels", f"must be a list, not {describe(labels)}")
    out: dict[str, str] = {}
    for i, label in enumerate(labels):
        if not isinstance(label, str) or "=" not in label:
            raise check.fail(labels, i, f"Labels[{i}]", f"{describe(label)} is not key=value")
        key, _, value = label.partition("=")
        out[key] = value
    return out
