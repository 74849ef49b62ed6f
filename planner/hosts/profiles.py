"""Host profiles: a fleet described in YAML, validated with file:line:column errors.

::

    defaults: {rules: docker}
    include: [cluster-nodes.json]   # other inventories, relative to this file
    hosts:
      - name: build-x86
        platform: linux/amd64/v3
      - name: win2019
        platform: windows/amd64
        os.version: 10.0.17763.5936
        isolation: process        # or hyperv
        rules: containerd@1.7.20
        have: [mcr.microsoft.com/windows/servercore:ltsc2019]
        labels: {site: dublin}
        taints: ["dedicated=windows:NoSchedule"]

A host is ``platform`` (``os/arch[/variant]`` or containerd's ``os(version)/arch``)
or ``os`` + ``architecture`` [+ ``variant``]; then ``os.version``, ``os.features``,
``rules`` (a rule-set name, ``NAME@RELEASE``, or a rule file relative to the
profile), ``isolation`` (Windows only: ``process`` or ``hyperv``), ``have``
(images already on the host), ``labels`` (free-form, to select hosts by) and
``taints`` (``key[=value]:Effect`` or ``{key, value, effect}``, kept for
schedulers) and ``registry_config`` (the host's containerd hosts directory,
registries.conf, daemon.json or registries.yaml, relative to the profile:
where it really pulls from). ``defaults`` applies to every host of this file;
its ``registry_config`` also to included hosts that have none.

``include`` names other inventories (a path or a list of paths, relative to the
profile), in any format :func:`planner.hosts.inventory.load_inventory` reads;
their hosts stand where the ``include`` key stands, in the order listed, as
their own file describes them (``defaults`` do not apply to them). A host name
may appear once across all the files. :data:`HOSTS_SCHEMA` is the JSON Schema
of the file (``pull-planner schema hosts``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from planner.hosts.records import (
    TAINT_EFFECTS,
    FormatChecker,
    HostProfile,
    IncludeError,
    Includes,
    InvalidProfile,
    PlacedHost,
    Taint,
    check_unique,
    lacks_windows_build,
)
from planner.hosts.registries import RegistryConfig, load_registry_config
from planner.hosts.schema import HOSTS_SCHEMA
from planner.model.arguments import path_argument
from planner.model.errors import InvalidInput, InvalidPlatform
from planner.model.files import path_kind
from planner.model.platform import Platform
from planner.model.record import replace
from planner.model.windows import release_name_problem
from planner.model.yamlfile import MarkedList, MarkedMap, describe, load_file
from planner.policy.loader import load_rules
from planner.policy.ruleset import DEFAULT_RULES, RuleSet
from planner.select.runs import Isolation

__all__ = ["HOSTS_SCHEMA", "HostProfile", "InvalidProfile", "Taint", "load_hosts", "read_profile"]

_T = TypeVar("_T")
_HOST_FIELDS = (
    "name",
    "platform",
    "os",
    "architecture",
    "variant",
    "os.version",
    "os.features",
    "rules",
    "isolation",
    "have",
    "labels",
    "taints",
    "registry_config",
    "egress",
)
_DEFAULT_FIELDS = tuple(f for f in _HOST_FIELDS if f != "name")
# Spellings people reach for first, mapped to the key this file uses.
_ALIASES = {
    "os_version": "os.version",
    "osversion": "os.version",
    "osVersion": "os.version",
    "os_features": "os.features",
    "osfeatures": "os.features",
    "osFeatures": "os.features",
    "arch": "architecture",
    "rule": "rules",
    "ruleset": "rules",
    "label": "labels",
    "taint": "taints",
    "has": "have",
    "present": "have",
    "includes": "include",
    "registry-config": "registry_config",
    "registries": "registry_config",
}


class _Reader:
    """Validating reader for one profile file (the shared :class:`Checker`, plus host rules)."""

    def __init__(self, path: Path, fmt: str = "") -> None:
        self.path = path
        self.check = FormatChecker(path, InvalidProfile, fmt, _ALIASES, collect=True)
        self.configs: dict[Path, RegistryConfig] = {}

    def attempt(self, make: Callable[..., _T], *args: Any) -> _T | None:
        """``make(*args)``, or None when it finds a problem (noted: the file goes on being read)."""
        try:
            return make(*args)
        except InvalidProfile as exc:
            self.check.note(exc)
            return None

    def fail(self, node: Any, key: Any, where: str, message: str) -> InvalidInput:
        return self.check.fail(node, key, where, message)

    def fields(
        self, node: Any, where: str, allowed: tuple[str, ...], line_node: Any, line_key: Any
    ) -> MarkedMap:
        return self.check.mapping(node, where, optional=allowed, parent=line_node, key=line_key)

    def string(self, node: MarkedMap, key: str, where: str) -> str:
        return self.check.string(node, key, f"{where}.{key}", non_empty=True)

    def strings(self, node: MarkedMap, key: str, where: str) -> tuple[str, ...]:
        return self.check.strings(node, key, f"{where}.{key}", scalar_ok=True)

    def labels(self, node: MarkedMap, key: str, where: str) -> dict[str, str]:
        return self.check.str_map(
            node[key],
            f"{where}.{key}",
            parent=node,
            key=key,
            problem="labels and their values must be strings (quote numbers)",
        )

    def taints(self, node: MarkedMap, key: str, where: str) -> tuple[Taint, ...]:
        """``taints``: each ``key[=value]:Effect`` (kubectl's spelling) or ``{key, value, effect}``."""
        items = node[key]
        if not isinstance(items, MarkedList):
            raise self.fail(
                node, key, f"{where}.{key}", f"must be a list of taints, not {describe(items)}"
            )
        out = []
        for i, item in enumerate(items):
            at = f"{where}.{key}[{i}]"
            if isinstance(item, str):
                head, colon, effect = item.rpartition(":")
                taint_key, _, value = head.partition("=")
                if not colon or not taint_key:
                    raise self.fail(
                        items,
                        i,
                        at,
                        f"{item!r} is not key[=value]:Effect, such as 'nvidia.com/gpu=present:NoSchedule'",
                    )
            else:
                table = self.check.mapping(
                    item, at, required=("key", "effect"), optional=("value",), parent=items, key=i
                )
                taint_key = self.check.string(table, "key", f"{at}.key", non_empty=True)
                value = self.check.string(table, "value", f"{at}.value", default="")
                effect = self.check.string(table, "effect", f"{at}.effect")
            if effect not in TAINT_EFFECTS:
                raise self.fail(
                    items, i, at, f"effect {effect!r} is not one of: {', '.join(TAINT_EFFECTS)}"
                )
            out.append(Taint(taint_key, value, effect))
        return tuple(out)

    def host(
        self,
        merged: dict[str, tuple[Any, MarkedMap]],
        where: str,
        rules_cache: dict[str, RuleSet],
        *,
        unknown_keys: bool = False,
    ) -> HostProfile | None:
        """A host from its own fields over the defaults; each value remembers the mapping it
        came from. None when a field has a problem: every field's is noted. A host with an
        unknown key is not told it lacks a platform (the key's did-you-mean says it)."""

        def at(key: str) -> MarkedMap:
            return merged[key][1]

        before = len(self.check.found)
        platform = None
        if not unknown_keys or "platform" in merged or "os" in merged:
            platform = self.attempt(lambda: self.platform(merged, where))
        isolation = self.attempt(lambda: self.isolation(merged, where, platform))
        rules = self.attempt(lambda: self.rules(merged, where, rules_cache))
        if platform is not None and rules is not None and lacks_windows_build(platform, rules):
            self.check.note(
                self.fail(
                    merged["name"][1],
                    "name",
                    where,
                    f"a Windows host needs 'os.version' (rules {rules.name} choose Windows"
                    " images by build)",
                )
            )
        have = self.attempt(
            lambda: self.strings(at("have"), "have", where) if "have" in merged else ()
        )
        labels = self.attempt(
            lambda: self.labels(at("labels"), "labels", where) if "labels" in merged else {}
        )
        taints = self.attempt(
            lambda: self.taints(at("taints"), "taints", where) if "taints" in merged else ()
        )
        config = self.attempt(
            lambda: (
                self.registry_config(at("registry_config"), where)
                if "registry_config" in merged
                else None
            )
        )
        egress = self.attempt(
            lambda: self.string(at("egress"), "egress", where) if "egress" in merged else ""
        )
        if len(self.check.found) > before or platform is None or rules is None:
            return None  # a problem noted, or a misspelt key left no platform (noted)
        if have is None or labels is None or taints is None:
            return None
        return HostProfile(
            name=merged["name"][0],
            platform=platform,
            rules=rules,
            isolation=isolation,
            have=have,
            labels=MappingProxyType(labels),
            taints=taints,
            registry_config=config,
            egress=egress or "",
        )

    def registry_config(self, node: MarkedMap, where: str) -> RegistryConfig:
        """``registry_config``: a path relative to the profile, each read once per file."""
        text = self.string(node, "registry_config", where)
        path = self.path.parent / Path(text).expanduser()
        if path not in self.configs:
            if path_kind(path) == "missing":
                raise self.fail(
                    node, "registry_config", f"{where}.registry_config", f"{text!r} not found"
                )
            self.configs[path] = load_registry_config(path)
        return self.configs[path]

    def platform(self, merged: dict[str, tuple[Any, MarkedMap]], where: str) -> Platform:
        """``platform`` (or ``os``/``architecture``/``variant``), ``os.version``, ``os.features``."""

        def at(key: str) -> MarkedMap:
            return merged[key][1]

        if "platform" in merged and any(k in merged for k in ("os", "architecture", "variant")):
            key = next(k for k in ("os", "architecture", "variant") if k in merged)
            raise self.fail(
                at(key),
                key,
                f"{where}.{key}",
                "give either 'platform' or 'os'/'architecture'/'variant', not both",
            )
        if "platform" in merged:
            node = at("platform")
            try:
                platform = Platform.parse(self.string(node, "platform", where))
            except InvalidPlatform as exc:
                raise self.fail(node, "platform", f"{where}.platform", str(exc)) from None
        else:
            for key in ("os", "architecture"):
                if key not in merged:
                    raise self.fail(
                        merged["name"][1] if "name" in merged else None,
                        "name",
                        where,
                        f"missing {key!r} (or 'platform')",
                    )
            variant = self.string(at("variant"), "variant", where) if "variant" in merged else ""
            text = "/".join(
                p
                for p in (
                    self.string(at("os"), "os", where),
                    self.string(at("architecture"), "architecture", where),
                    variant,
                )
                if p
            )
            try:
                platform = Platform.parse(text)
            except InvalidPlatform as exc:
                raise self.fail(at("os"), "os", where, str(exc)) from None
        changes: dict[str, Any] = {}
        if "os.version" in merged:
            version = merged["os.version"][0]
            if not isinstance(version, str) or not version:
                raise self.fail(
                    at("os.version"),
                    "os.version",
                    f"{where}.os.version",
                    f"must be a string such as '10.0.20348.1', not {describe(version)} (quote it)",
                )
            if platform.os_version and platform.os_version != version:
                raise self.fail(
                    at("os.version"),
                    "os.version",
                    f"{where}.os.version",
                    f"conflicts with {platform.os_version!r} in platform",
                )
            problem = release_name_problem(version)
            if problem:  # a release name (ltsc2022): engines compare builds
                raise self.fail(at("os.version"), "os.version", f"{where}.os.version", problem)
            changes["os_version"] = version
        if "os.features" in merged:
            changes["os_features"] = tuple(
                dict.fromkeys(
                    (*platform.os_features, *self.strings(at("os.features"), "os.features", where))
                )
            )
        if changes:
            platform = platform.with_fields(**changes)
        return platform

    def isolation(
        self, merged: dict[str, tuple[Any, MarkedMap]], where: str, platform: Platform | None
    ) -> Isolation | None:
        def at(key: str) -> MarkedMap:
            return merged[key][1]

        isolation: Isolation | None = None
        if "isolation" in merged:
            value = merged["isolation"][0]
            if value not in ("process", "hyperv"):
                raise self.fail(
                    at("isolation"),
                    "isolation",
                    f"{where}.isolation",
                    f"{value!r} is not one of: process, hyperv",
                )
            if platform is not None and platform.os.lower() != "windows":
                raise self.fail(
                    at("isolation"),
                    "isolation",
                    f"{where}.isolation",
                    "applies to Windows hosts only",
                )
            isolation = value
        return isolation

    def rules(
        self, merged: dict[str, tuple[Any, MarkedMap]], where: str, rules_cache: dict[str, RuleSet]
    ) -> RuleSet:
        def at(key: str) -> MarkedMap:
            return merged[key][1]

        rules_name = (
            self.string(at("rules"), "rules", where) if "rules" in merged else DEFAULT_RULES
        )
        if rules_name not in rules_cache:
            try:  # a rule file is found relative to the profile
                rules_cache[rules_name] = load_rules(rules_name, base=self.path.parent)
            except InvalidInput as exc:
                raise self.fail(at("rules"), "rules", f"{where}.rules", str(exc)) from None
        return rules_cache[rules_name]

    def profile(self, data: Any, include: Includes) -> list[PlacedHost]:
        """Every host of the file and of what it includes, in the file's order."""
        top = self.fields(data, "(top level)", ("defaults", "hosts", "include"), data, None)
        misspelt = bool(self.check.found)
        out: list[PlacedHost] = []
        try:
            defaults = MarkedMap()
            if "defaults" in top:
                defaults = self.fields(
                    top["defaults"], "defaults", _DEFAULT_FIELDS, top, "defaults"
                )
            if "hosts" not in top and "include" not in top and not misspelt:
                raise self.fail(top, None, "(top level)", "missing 'hosts' (or 'include')")
            for key in top:
                if key == "hosts":
                    out += self.attempt(self.own_hosts, top, defaults) or []
                elif key == "include":
                    placed = self.attempt(self.included, top, include) or []
                    out += self.attempt(self.with_config, placed, defaults) or placed
        except InvalidProfile as exc:  # a problem that leaves nothing more to read
            self.check.note(exc)
        self.check.done()
        check_unique(out, InvalidProfile)
        return out

    def with_config(self, placed: list[PlacedHost], defaults: MarkedMap) -> list[PlacedHost]:
        """Included hosts without a registry configuration take ``defaults.registry_config``
        (the one default that applies to them: a node pool's mirrors are the profile's)."""
        if "egress" in defaults:
            egress = self.string(defaults, "egress", "defaults")
            placed = [
                p if p.host.egress else PlacedHost(replace(p.host, egress=egress), p.place)
                for p in placed
            ]
        if "registry_config" not in defaults:
            return placed
        config = self.registry_config(defaults, "defaults")
        return [
            p
            if p.host.registry_config is not None
            else PlacedHost(replace(p.host, registry_config=config), p.place)
            for p in placed
        ]

    def included(self, top: MarkedMap, include: Includes) -> list[PlacedHost]:
        """The hosts of each ``include`` entry (a path relative to this file), in order."""
        value = top["include"]
        entries: list[tuple[Any, Any, str]] = []
        if isinstance(value, str) and value:
            entries = [(top, "include", value)]
        elif (
            isinstance(value, MarkedList) and value and all(isinstance(v, str) and v for v in value)
        ):
            entries = [(value, i, v) for i, v in enumerate(value)]
        else:
            raise self.fail(
                top, "include", "include", "must be a path or a non-empty list of paths"
            )
        out: list[PlacedHost] = []
        for node, key, text in entries:
            where = "include" if key == "include" else f"include[{key}]"
            try:
                out += include(self.path.parent / Path(text).expanduser())
            except IncludeError as exc:
                self.check.note(self.fail(node, key, where, str(exc)))
            except InvalidProfile as exc:  # the included file's own problems, as they are
                self.check.note(exc)
        return out

    def own_hosts(self, top: MarkedMap, defaults: MarkedMap) -> list[PlacedHost]:
        hosts = top["hosts"]
        if not isinstance(hosts, MarkedList) or not hosts:
            raise self.fail(top, "hosts", "hosts", "must be a non-empty list of hosts")
        seen: dict[str, int] = {}
        rules_cache: dict[str, RuleSet] = {}
        out = []
        for i, entry in enumerate(hosts):
            placed = self.attempt(self.own_host, hosts, i, entry, defaults, seen, rules_cache)
            if placed is not None:
                out.append(placed)
        return out

    def own_host(
        self,
        hosts: MarkedList,
        i: int,
        entry: Any,
        defaults: MarkedMap,
        seen: dict[str, int],
        rules_cache: dict[str, RuleSet],
    ) -> PlacedHost | None:
        where = f"hosts[{i}]"
        before = len(self.check.found)
        node = self.fields(entry, where, _HOST_FIELDS, hosts, i)
        unknown = len(self.check.found) > before
        if "name" not in node:
            raise self.fail(hosts, i, where, "missing 'name'")
        name = self.string(node, "name", where)
        if name in seen:
            raise self.fail(
                node,
                "name",
                f"{where}.name",
                f"duplicate host name {name!r} (first at line {seen[name]})",
            )
        seen[name] = node.line_of("name")
        place = self.check.place(node, "name", f"{where}.name")
        merged = {k: (v, defaults) for k, v in defaults.items() if k not in node}
        merged.update({k: (v, node) for k, v in node.items() if k in _HOST_FIELDS})
        host = self.host(merged, f"{where} ({name})", rules_cache, unknown_keys=unknown)
        return None if host is None else PlacedHost(host, place)


def read_profile(path: Path, data: Any, include: Includes, fmt: str = "") -> list[PlacedHost]:
    """The hosts of one parsed profile file (``fmt`` names the format in errors, when sniffed)."""
    return _Reader(path, fmt).profile(data, include)


def _read_profile_file(path: Path, include: Includes) -> list[PlacedHost]:
    return read_profile(path, load_file(path, InvalidProfile), include)


def load_hosts(path: str | os.PathLike[str]) -> list[HostProfile]:
    """Load and validate a host profile file (what it includes is read as profiles too;
    :func:`planner.hosts.inventory.load_inventory` reads every inventory format)."""
    path = path_argument(path, "path")
    include = Includes.starting_at(path, _read_profile_file)
    return [p.host for p in _read_profile_file(path, include)]
