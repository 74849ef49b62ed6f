"""What an engine detects of its own host: the ``local`` block of a rule file, as data.

A pull with no platform given uses the platform the engine detects of the
machine it runs on (the CLI's ``local`` platform). Each family file declares
how its engine finds that platform, per release:

* ``strategy``: whose code reads the machine (``containerd``: ``cpuVariant()``
  / ``getCPUVariant``; ``containers-image``: ``getCPUVariant`` /
  ``getCPUVariantArm``; ``fixed``: a platform whatever the host, crane's
  ``defaultPlatform``). The mechanisms live in :mod:`planner.hosts.cpuinfo`;
  everything they are told (tables, rules on or off) is here.
* ``x86_level`` and ``x86_levels``: whether the engine adds the CPU's x86-64
  level (go-archvariant ``AMD64Variant``) and which cpuinfo flags each level needs;
* ``cpu_variants``, ``arm_build``, ``armv6_compatible``, ``uname_variants``,
  ``no_cpu``: how a ``CPU architecture`` value, a uname machine or a system
  without cpuinfo becomes an ARM variant;
* ``normalize``: whether the detected platform goes through ``normalize.host``.

``changes`` keys the detection by release exactly as :mod:`planner.policy.family`
keys rules by range: each change names the first release that has it and sets
only what changed. A change applies when the release asked is at or
above it; for a whole range (no release asked) when the range's upper end
reaches it (:func:`reaches`), i.e. the newest behaviour of the range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from planner.model.platform import Platform

__all__ = ["ArmBuild", "Change", "Detection", "LocalRules", "reaches"]

Strategy = Literal["containerd", "containers-image", "fixed"]
X86Mode = Literal["none", "cpuinfo-flags"]
Armv6Rule = Literal["none", "containerd", "containers-image"]


@dataclass(frozen=True)
class ArmBuild:
    """``local.arm_build``: what a 32-bit arm build of the engine reads differently."""

    variants: Mapping[str, str]
    """A ``CPU architecture`` value (lower-case) -> the variant (moby 20.10's fork: 8 -> v7)."""
    how: str
    """Whose code says so, for the ``how`` line."""


@dataclass(frozen=True)
class Detection:
    """How an engine, at one release, detects the platform of the machine it runs on."""

    engine: str
    """The engine's name in the ``how`` lines (``Docker``, ``containerd``)."""
    strategy: Strategy
    platform: Platform | None = None
    """``fixed``: the platform, whatever the host."""
    source: str = ""
    """``fixed``: where that platform comes from."""
    normalize: Literal["host", "none"] = "none"
    keeps: tuple[str, ...] = ()
    """``arch/variant`` values the ``how`` line says are kept as detected (not normalized)."""
    x86_level: X86Mode = "none"
    x86_level_how: str = ""
    x86_levels: tuple[tuple[int, tuple[str, ...]], ...] = ()
    """Each level above v1 and the cpuinfo flags it adds, ascending."""
    cpu_variants: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cpu_variant_default: str = ""
    arm_build: ArmBuild | None = None
    armv6_compatible: Armv6Rule = "none"
    uname_variants: Mapping[str, str] | None = None
    """The uname fallback's table (machine -> CPU architecture value); None: no fallback."""
    no_cpu: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    """Systems read without cpuinfo: system -> architecture -> variant."""


@dataclass(frozen=True)
class Change:
    """One ``local.changes`` item: the first release with it, its source, the detection then."""

    since: str
    source: str
    detection: Detection


@dataclass(frozen=True)
class LocalRules:
    """A rule file's ``local`` block: the detection of its oldest release and each change."""

    name: str
    """The ``name`` of the file that declares it: the block describes that engine."""
    base: Detection
    changes: tuple[Change, ...] = ()

    def at(self, release: str, releases: str) -> Detection:
        """The detection at ``release`` (or, when '', at the newest release ``releases`` admits)."""
        current = self.base
        for change in self.changes:  # ascending, so the last one reached is in force
            if reaches(release, releases, change.since):
                current = change.detection
        return current


def reaches(release: str, releases: str, first: str) -> bool:
    """Whether the engine at ``release`` has a change first released in ``first``.

    The release asked, else the newest release the range ``releases`` admits: a
    range whose upper bound is at or below ``first`` does not reach it.
    """
    threshold = Version(first)
    if release:
        try:
            return Version(release) >= threshold
        except InvalidVersion:
            return True
    try:
        specifiers = SpecifierSet(releases)
    except InvalidSpecifier:
        return True
    for spec in specifiers:
        try:
            bound = Version(spec.version)
        except InvalidVersion:
            continue
        if spec.operator == "<" and bound <= threshold:
            return False
        if spec.operator in ("<=", "==", "===") and bound < threshold:
            return False
    return True
