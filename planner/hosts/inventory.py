"""Host inventories as they are produced, recognised by their content.

:func:`load_inventory` reads one file, whichever of these it is, and returns
its hosts; a host profile may ``include`` files of any of them. The file is
parsed once, as YAML (JSON is YAML: one parser, with the line and column of
every key, for all formats; first without positions, by :func:`~planner.model.documents.fast_json` or
:func:`~planner.model.documents.fast_yaml`, then again with them only when a reader has a problem to
point at), and :func:`sniff` says which format it is:

==================================================  ===============================================
format                                              recognised by (top level)
==================================================  ===============================================
``kubectl get nodes -o json`` / ``-o yaml``         ``apiVersion`` and ``kind``
``docker info`` formatted as ``{{json .}}``         ``ServerVersion``, ``OSType`` or ``ServerErrors``
``podman info`` formatted as ``json``               ``host`` and ``version`` mappings
host profile (:mod:`planner.hosts.profiles`)          ``hosts``, ``include`` or ``defaults``; or any
                                                    other YAML mapping (a hand-written profile with
                                                    a typo gets a did-you-mean)
==================================================  ===============================================

Each format has its reader (``kubectl``, ``docker``,
``podman``, ``profiles``), which knows nothing of the others. Every
error is one line, ``file:line:column: as FORMAT: where: problem``, naming the
format assumed, and raised as :class:`~planner.hosts.records.InvalidInventory` (a
host profile's as :class:`~planner.hosts.records.InvalidProfile`, its base).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.hosts import docker, kubectl, podman
from planner.hosts.profiles import read_profile
from planner.hosts.records import HostProfile, Includes, InvalidInventory, PlacedHost, check_unique
from planner.model.arguments import path_argument
from planner.model.documents import NotPlain, decode_text, fast_json, fast_yaml, looks_like_json
from planner.model.errors import InvalidInput
from planner.model.files import read_capped
from planner.model.record import dataclass
from planner.model.text import one_line
from planner.model.yamlfile import MarkedMap, YamlError, load

__all__ = ["MAX_INVENTORY_BYTES", "PROFILE", "Sniffed", "load_inventory", "sniff"]

MAX_INVENTORY_BYTES = 64 << 20
"""The largest inventory file read (``kubectl get nodes`` of a few thousand nodes)."""

PROFILE = "a host profile"

Reader = Callable[[Path, Any, Includes], list[PlacedHost]]


@dataclass(frozen=True)
class Sniffed:
    """The format a document was taken for, and why."""

    format: str
    """``kubectl get nodes output``, ``docker info output``, ``podman info output``, ``a host profile``."""
    reason: str
    """What in the document said so: ``it has apiVersion and kind``."""
    read: Reader


def _profile(path: Path, data: Any, include: Includes) -> list[PlacedHost]:
    return read_profile(path, data, include, PROFILE)


def _tool(read: Callable[[Path, Any], list[PlacedHost]]) -> Reader:
    return lambda path, data, include: read(path, data)


_DOCKER_KEYS = ("ServerVersion", "OSType", "ServerErrors")
_PROFILE_KEYS = ("hosts", "include", "defaults")
EXPECTED = (
    "expected a host profile (hosts, include), kubectl get nodes output (apiVersion, kind),"
    " docker info output (ServerVersion, OSType) or podman info output (host, version)"
)


def sniff(data: Any, *, json: bool = False) -> Sniffed | None:
    """The format of a parsed document, or None when it is none of them.

    ``json``: the text was JSON, which no one writes a host profile in by hand, so
    an unknown JSON mapping is not read as a profile.
    """
    if not isinstance(data, MarkedMap):
        return None
    if "apiVersion" in data and "kind" in data:
        return Sniffed(
            kubectl.FORMAT,
            "it has apiVersion and kind",
            _tool(kubectl.read_nodes),
        )
    docker_keys = [k for k in _DOCKER_KEYS if k in data]
    if docker_keys:
        return Sniffed(
            docker.FORMAT,
            f"it has {' and '.join(docker_keys)}",
            _tool(docker.read_docker_info),
        )
    if isinstance(data.get("host"), MarkedMap) and isinstance(data.get("version"), MarkedMap):
        return Sniffed(
            podman.FORMAT,
            "it has host and version sections",
            _tool(podman.read_podman_info),
        )
    profile = [k for k in _PROFILE_KEYS if k in data]
    if profile:
        return Sniffed(PROFILE, f"it has {' and '.join(profile)}", _profile)
    if not json:
        return Sniffed(PROFILE, "it is a YAML mapping that no tool wrote", _profile)
    return None


def _parse(path: Path, fast: bool = False) -> tuple[Any, bool]:
    """The parsed document, and whether its text was JSON (``fast``: see
    :func:`planner.model.documents.fast_json`)."""
    text = decode_text(
        read_capped(path, MAX_INVENTORY_BYTES, error=InvalidInventory), str(path), InvalidInventory
    )
    is_json = looks_like_json(text)
    if fast and is_json and (data := fast_json(text)) is not None:
        return data, True
    if fast and not is_json:
        with contextlib.suppress(NotPlain):
            return fast_yaml(text), False
    try:
        return load(text, str(path)), is_json
    except YamlError as exc:
        message = str(exc)
        if is_json:
            message = message.replace(": invalid YAML:", ": invalid JSON:", 1)
        raise InvalidInventory(message) from None


def _read(path: Path, include: Includes, fast: bool = False) -> list[PlacedHost]:
    data, is_json = _parse(path, fast)
    if data is None:
        raise InvalidInventory(f"{path}:1:1: empty file; {EXPECTED}")
    sniffed = sniff(data, json=is_json)
    if sniffed is None:
        if isinstance(data, MarkedMap):
            keys = ", ".join(str(k) for k in list(data)[:8]) + (", ..." if len(data) > 8 else "")
            found = f"its top-level keys are {keys}" if keys else "it is an empty mapping"
        else:
            found = f"it is {'a list' if isinstance(data, list) else 'a single value'}"
        line, column = getattr(data, "line", 1), getattr(data, "column", 1)
        raise InvalidInventory(
            one_line(f"{path}:{line}:{column}: not a host inventory: {EXPECTED}; {found}")
        )
    return sniffed.read(path, data, include)


def load_inventory(path: str | os.PathLike[str]) -> list[HostProfile]:
    """The hosts of one inventory file, in its order (an included file's where it is included).

    A host name appears once across every file read; a repeat is an error naming both places.
    ``path`` is a ``str`` or ``os.PathLike``.
    """
    where = path_argument(path, "path")

    def fast(path: Path, include: Includes) -> list[PlacedHost]:
        return _read(path, include, fast=True)

    try:
        placed = fast(where, Includes.starting_at(where, fast))
        check_unique(placed, InvalidInventory)
    except InvalidInput:  # read again with positions: the same problem, with file:line
        placed = _read(where, Includes.starting_at(where, _read))
        check_unique(placed, InvalidInventory)
    return [p.host for p in placed]
