"""Host profiles: a fleet described in YAML, validated with file:line:column errors.

::

    defaults: {rules: docker}
    hosts:
      - name: build-x86
        platform: linux/amd64/v3
      - name: win2019
        platform: windows/amd64
        os.version: 10.0.17763.5936
        isolation: process        # or hyperv
        rules: containerd
        have: [mcr.microsoft.com/windows/servercore:ltsc2019]
        labels: {site: dublin}

A host is ``platform`` (``os/arch[/variant]`` or containerd's ``os(version)/arch``)
or ``os`` + ``architecture`` [+ ``variant``]; then ``os.version``, ``os.features``,
``rules`` (a rule-set name, or a rule file relative to the profile), ``isolation``
(Windows only: ``process`` or ``hyperv``), ``have`` (images already on the host)
and ``labels`` (free-form, to select hosts by). ``defaults`` applies to every host.
:data:`HOSTS_SCHEMA` is the JSON Schema of the file (``pull-planner schema hosts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.model.errors import InvalidInput, InvalidPlatform
from planner.model.platform import Platform
from planner.model.yamlfile import Checker, MarkedList, MarkedMap, describe, load_file
from planner.policy.loader import load_rules
from planner.policy.ruleset import DEFAULT_RULES, RuleSet
from planner.select.runs import Isolation

__all__ = ["HOSTS_SCHEMA", "HostProfile", "InvalidProfile", "load_hosts"]


class InvalidProfile(InvalidInput):
    """A host profile file is not valid; the message starts with ``file:line:column:``."""


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
    "has": "have",
    "present": "have",
}


@dataclass(frozen=True)
class HostProfile:
    """One host of a fleet."""

    name: str
    platform: Platform
    rules: RuleSet
    isolation: Isolation | None = None
    have: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_windows(self) -> bool:
        return self.platform.os.lower() == "windows"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "platform": self.platform.to_oci(),
            "rules": self.rules.name,
        }
        if self.isolation:
            out["isolation"] = self.isolation
        if self.have:
            out["have"] = list(self.have)
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


class _Reader:
    """Validating reader for one profile file (the shared :class:`Checker`, plus host rules)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.check = Checker(path, InvalidProfile, _ALIASES)

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

    def host(
        self,
        merged: dict[str, tuple[Any, MarkedMap]],
        where: str,
        rules_cache: dict[str, RuleSet],
    ) -> HostProfile:
        """A host from its own fields over the defaults; each value remembers the mapping it came from."""

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
            changes["os_version"] = version
        if "os.features" in merged:
            changes["os_features"] = tuple(
                dict.fromkeys(
                    (*platform.os_features, *self.strings(at("os.features"), "os.features", where))
                )
            )
        if changes:
            platform = platform.with_fields(**changes)

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
            if platform.os.lower() != "windows":
                raise self.fail(
                    at("isolation"),
                    "isolation",
                    f"{where}.isolation",
                    "applies to Windows hosts only",
                )
            isolation = value

        rules_name = (
            self.string(at("rules"), "rules", where) if "rules" in merged else DEFAULT_RULES
        )
        if rules_name not in rules_cache:
            try:  # a rule file is found relative to the profile
                rules_cache[rules_name] = load_rules(rules_name, base=self.path.parent)
            except InvalidInput as exc:
                raise self.fail(at("rules"), "rules", f"{where}.rules", str(exc)) from None
        rules = rules_cache[rules_name]
        if (
            rules.windows.needs_host_build
            and platform.os.lower() == "windows"
            and not platform.os_version
        ):
            raise self.fail(
                merged["name"][1],
                "name",
                where,
                f"a Windows host needs 'os.version' (rules {rules.name} choose Windows images by build)",
            )

        return HostProfile(
            name=merged["name"][0],
            platform=platform,
            rules=rules,
            isolation=isolation,
            have=self.strings(at("have"), "have", where) if "have" in merged else (),
            labels=MappingProxyType(
                self.labels(at("labels"), "labels", where) if "labels" in merged else {}
            ),
        )

    def profile(self, data: Any) -> list[HostProfile]:
        top = self.fields(data, "(top level)", ("defaults", "hosts"), data, None)
        defaults = MarkedMap()
        if "defaults" in top:
            defaults = self.fields(top["defaults"], "defaults", _DEFAULT_FIELDS, top, "defaults")
        if "hosts" not in top:
            raise self.fail(top, None, "(top level)", "missing 'hosts'")
        hosts = top["hosts"]
        if not isinstance(hosts, MarkedList) or not hosts:
            raise self.fail(top, "hosts", "hosts", "must be a non-empty list of hosts")
        seen: dict[str, int] = {}
        rules_cache: dict[str, RuleSet] = {}
        out = []
        for i, entry in enumerate(hosts):
            where = f"hosts[{i}]"
            node = self.fields(entry, where, _HOST_FIELDS, hosts, i)
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
            merged = {k: (v, defaults) for k, v in defaults.items()}
            merged.update({k: (v, node) for k, v in node.items()})
            out.append(self.host(merged, f"{where} ({name})", rules_cache))
        return out


def load_hosts(path: Path) -> list[HostProfile]:
    """Load and validate a host profile file."""
    data = load_file(path, InvalidProfile)
    return _Reader(path).profile(data)


_PLATFORM_FIELDS: dict[str, Any] = {
    "platform": {
        "type": "string",
        "description": "os/arch[/variant] (Docker's platform syntax) or os(osversion+feature)/arch[/variant] (containerd)",
        "examples": [
            "linux/amd64/v3",
            "linux/arm/v6",
            "windows/amd64",
            "windows(10.0.20348)/amd64",
        ],
    },
    "os": {"type": "string", "examples": ["linux", "windows"]},
    "architecture": {"type": "string", "examples": ["amd64", "arm64", "arm", "386", "ppc64le"]},
    "variant": {"type": "string", "examples": ["v3", "v8", "v7", "v6"]},
    "os.version": {
        "type": "string",
        "description": "Windows build: major.minor.build[.revision]",
        "examples": ["10.0.17763.5936", "10.0.20348.1"],
    },
    "os.features": {"type": "array", "items": {"type": "string"}, "examples": [["win32k"]]},
    "rules": {
        "type": "string",
        "description": "rule set (docker, containerd, containerd-1.6, podman, crane) or a rule file relative to this file",
        "examples": ["docker", "containerd", "containerd-1.6", "podman", "crane"],
    },
    "isolation": {
        "enum": ["process", "hyperv"],
        "description": "Windows hosts only; hyperv runs older Windows builds too",
    },
    "have": {
        "description": "images already on the host (SOURCE strings), resolved for the same host",
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
    "labels": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "free-form labels, to select hosts by",
    },
}

HOSTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://pull-planner.invalid/schema/hosts.json",
    "title": "pull-planner host profiles",
    "type": "object",
    "additionalProperties": False,
    "required": ["hosts"],
    "properties": {
        "defaults": {
            "type": "object",
            "additionalProperties": False,
            "properties": _PLATFORM_FIELDS,
        },
        "hosts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}, **_PLATFORM_FIELDS},
                "not": {"required": ["platform", "os"]},
            },
        },
    },
}
