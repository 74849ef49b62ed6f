"""Hosts of a fleet as records, whichever inventory they were read from.

:class:`HostProfile` is one host: its platform, the rule set of its engine and
release, what it already has, its labels and its taints. Each inventory reader
(:mod:`planner.hosts.profiles`, :mod:`planner.hosts.kubectl`,
:mod:`planner.hosts.docker`, :mod:`planner.hosts.podman`) turns
its format into these records, each with the :class:`Place` it came from, so
that a duplicate name can be reported at both places. The helpers here are the
parts the readers share: engine releases to rule sets, the Windows build check,
and following ``include`` chains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from planner.hosts.registries.records import RegistryConfig
from planner.model.errors import InvalidInput, InvalidRules
from planner.model.files import path_kind
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.model.text import one_line
from planner.model.windows import WindowsVersion
from planner.model.yamlfile import Checker
from planner.policy.loader import load_rules
from planner.policy.ruleset import RuleSet
from planner.select.runs import Isolation

__all__ = [
    "TAINT_EFFECTS",
    "FormatChecker",
    "HostProfile",
    "IncludeError",
    "Includes",
    "InvalidInventory",
    "InvalidProfile",
    "Place",
    "PlacedHost",
    "ReleaseError",
    "Taint",
    "TaintEffect",
    "agreed_build",
    "check_unique",
    "engine_rules",
    "lacks_windows_build",
    "release_number",
]


class InvalidProfile(InvalidInput):
    """A host profile file is not valid; the message starts with ``file:line:column:``."""


class InvalidInventory(InvalidProfile):
    """A host inventory (kubectl, docker or podman output) is not valid, or not recognised."""


TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
TAINT_EFFECTS: tuple[TaintEffect, ...] = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True)
class Taint:
    """A Kubernetes node taint: pods that do not tolerate it are not scheduled there."""

    key: str
    value: str = ""
    effect: TaintEffect = "NoSchedule"

    def __str__(self) -> str:
        """kubectl's spelling: ``nvidia.com/gpu=present:NoSchedule``."""
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"

    def to_dict(self) -> dict[str, str]:
        out = {"key": self.key, "effect": self.effect}
        if self.value:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class HostProfile:
    """One host of a fleet."""

    name: str
    platform: Platform
    rules: RuleSet
    isolation: Isolation | None = None
    have: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    taints: tuple[Taint, ...] = ()
    registry_config: RegistryConfig | None = None
    """Where the host pulls from (mirrors, short names); None: the reference's registry."""
    egress: str = ""
    """The network exit its pulls leave by (``egress``); '' = the one shared group."""

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
        if self.taints:
            out["taints"] = [t.to_dict() for t in self.taints]
        if self.registry_config is not None:
            out["registry_config"] = str(self.registry_config.path)
        if self.egress:
            out["egress"] = self.egress
        return out


@dataclass(frozen=True)
class Place:
    """Where a host was named: its file, the position of its name, and the key path there."""

    path: Path
    line: int
    column: int
    where: str
    """``hosts[2].name``, ``as kubectl get nodes output: items[3] (ip-10-0-1-5).metadata.name``."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class PlacedHost:
    """A host and the place that named it."""

    host: HostProfile
    place: Place


def check_unique(placed: Iterable[PlacedHost], error: type[InvalidInput]) -> None:
    """Every host name once; a repeat is an error at the second place naming the first."""
    seen: dict[str, Place] = {}
    for item in placed:
        name, place = item.host.name, item.place
        if name in seen:
            first = seen[name]
            other = f"line {first.line}" if first.path == place.path else str(first)
            raise error(
                one_line(f"{place}: {place.where}: duplicate host name {name!r} (first at {other})")
            )
        seen[name] = place


class FormatChecker(Checker):
    """The shared validator, whose every error names the format the file was read as."""

    def __init__(
        self,
        path: Path,
        error: type[InvalidInput],
        fmt: str = "",
        aliases: Mapping[str, str] | None = None,
        *,
        collect: bool = False,
    ) -> None:
        super().__init__(path, error, aliases, collect=collect)
        self.fmt = fmt

    def fail(self, node: Any, key: Any, where: str, problem: str) -> InvalidInput:
        return super().fail(node, key, f"as {self.fmt}: {where}" if self.fmt else where, problem)

    def place(self, node: Any, key: Any, where: str) -> Place:
        """The position of ``key`` in ``node``, for a duplicate-name message."""
        line, column = self.position(node, key)
        prefix = f"as {self.fmt}: " if self.fmt else ""
        return Place(self.path, line, column, prefix + where)


# --------------------------------------------------------------------------- engine releases


class ReleaseError(InvalidInput):
    """An engine's version string does not name a release pull-planner can look up."""


# [v]MAJOR.MINOR[.PATCH] then nothing, or a packaging suffix: '+build' ('+azure',
# '+bottlerocket', '+dfsg1'), '~' (Debian '~ds1'), or '-' ('-1', '-0ubuntu1',
# '-1.amzn2023.0.2', '-3.rhaos4.16.git4e8e5a3.el9') unless it marks a pre-release
# ('-rc.3', '-beta.1', '-dev', Debian's '~rc3').
_RELEASE = re.compile(r"v?(?P<release>\d+\.\d+(?:\.\d+)?)(?P<suffix>(?:[-+~].*)?)", re.ASCII)
_PRE_RELEASE = re.compile(
    r"[-~](?:rc|alpha|beta|dev|pre|preview)(?![a-z])", re.ASCII | re.IGNORECASE
)

RELEASE_FORMS = "MAJOR.MINOR.PATCH, optionally with a leading 'v' and a '-', '+' or '~' suffix"


def release_number(text: str) -> str:
    """The release in an engine's version string: ``1.7.20`` from ``v1.7.20``, ``1.7.20-1``,
    ``1.7.20+azure-1`` or ``1.7.20~ds1``; a pre-release (``2.0.0-rc.3``) is refused."""
    match = _RELEASE.fullmatch(text.strip())
    if match is None:
        raise ReleaseError(f"has no release number ({RELEASE_FORMS}, such as 1.7.20)")
    if _PRE_RELEASE.match(match.group("suffix")):
        raise ReleaseError(
            f"is a pre-release of {match.group('release')}; rules are kept for releases only"
        )
    return match.group("release")


def engine_rules(family: str, version: str, cache: dict[str, RuleSet] | None = None) -> RuleSet:
    """The rule set of ``family`` at the release in ``version`` (``containerd``, ``1.7.20-1``).

    Raises :class:`ReleaseError` (the version has no usable release) or
    :class:`~planner.model.errors.InvalidRules` (no range holds it; the message lists them).
    """
    number = release_number(version)
    spec = f"{family}@{number}"
    # A distribution's build the family knows by its suffix (Debian's '+dfsg1') is named so
    built = f"{family}@{number}{version.strip().lstrip('v')[len(number) :]}"
    if cache is not None and built in cache:
        return cache[built]
    if built != spec and load_rules(built).build:
        spec = built
    if cache is not None and spec in cache:
        return cache[spec]
    rules = load_rules(spec)
    if cache is not None:
        cache[spec] = rules
    return rules


def rules_at(
    check: Checker,
    node: Any,
    key: str,
    where: str,
    family: str,
    version: str,
    *,
    shown: str | None = None,
    cache: dict[str, RuleSet] | None = None,
) -> RuleSet:
    """:func:`engine_rules`, a problem reported at ``node[key]`` as ``where`` (quoting ``shown``)."""
    quoted = repr(version if shown is None else shown)
    try:
        return engine_rules(family, version, cache)
    except ReleaseError as exc:
        raise check.fail(node, key, where, f"{quoted} {exc}") from None
    except InvalidRules as exc:
        raise check.fail(node, key, where, f"{quoted} has no rules: {exc}") from None


def lacks_windows_build(platform: Platform, rules: RuleSet) -> bool:
    """A Windows host without its build, under rules that choose Windows images by build."""
    return (
        rules.windows.needs_host_build
        and platform.os.lower() == "windows"
        and not platform.os_version
    )


def agreed_build(readings: list[str]) -> tuple[str, int | None]:
    """The most precise Windows build among readings that agree, and None; or, when two
    disagree, '' and the index of the reading that disagrees with the ones before it.

    Each reading is ``major.minor.build[.revision]`` (unparsable ones are skipped: the
    caller refuses them). ``10.0.20348`` and ``10.0.20348.2849`` agree and give
    ``10.0.20348.2849``; ``10.0.20348`` and ``10.0.17763.1`` do not.
    """
    best: WindowsVersion | None = None
    has_revision = False
    for i, text in enumerate(readings):
        version = WindowsVersion.parse(text)
        if version is None:
            continue
        revised = len(text.split(".")) > 3
        if best is not None and (
            version.prefix != best.prefix
            or (revised and has_revision and version.revision != best.revision)
        ):
            return "", i
        if best is None or (revised and not has_revision):
            best, has_revision = version, revised
    if best is None:
        return "", None
    return (f"{best.prefix}.{best.revision}" if has_revision else best.prefix), None


# --------------------------------------------------------------------------- include chains

MAX_INCLUDE_DEPTH = 16


class IncludeError(InvalidInput):
    """An included file cannot be followed (missing, a directory, a cycle, too deep)."""


ReadFile = Callable[[Path, "Includes"], list[PlacedHost]]


class Includes:
    """Follows ``include`` entries: each file read once per chain, no cycles, bounded depth."""

    def __init__(self, read: ReadFile, chain: tuple[Path, ...]) -> None:
        self.read = read
        self.chain = chain

    @classmethod
    def starting_at(cls, path: Path, read: ReadFile) -> Includes:
        return cls(read, (path.resolve(),))

    def __call__(self, target: Path) -> list[PlacedHost]:
        kind = path_kind(target)
        if kind == "missing":
            raise IncludeError(f"{str(target)!r} not found")
        if kind == "directory":
            raise IncludeError(f"{str(target)!r} is a directory, not an inventory file")
        resolved = target.resolve()
        if resolved in self.chain:
            loop = " -> ".join(str(p) for p in (*self.chain, resolved))
            raise IncludeError(f"includes {str(target)!r} again, a cycle: {loop}")
        if len(self.chain) > MAX_INCLUDE_DEPTH:
            raise IncludeError(f"includes nest deeper than {MAX_INCLUDE_DEPTH} files")
        return self.read(target, Includes(self.read, (*self.chain, resolved)))
