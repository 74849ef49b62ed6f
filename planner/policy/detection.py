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
from types import MappingProxyType
from typing import Any, Literal, cast

from planner.model.errors import InvalidPlatform
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.model.yamlfile import Checker, MarkedList, MarkedMap
from planner.policy import schema
from planner.policy.family import merge

__all__ = ["ArmBuild", "Change", "Detection", "LocalRules", "reaches", "read_local"]

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
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

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


# --------------------------------------------------------------------------- reading the block


def _plain_release(text: str) -> tuple[int, ...] | None:
    """``23.0.7`` as packaging orders it (trailing zeros dropped), without importing
    packaging; None for anything else (an epoch, a pre-release, a ``v``)."""
    parts = text.split(".")
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def _is_release(text: str) -> bool:
    if _plain_release(text) is not None:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _release_before(earlier: str, later: str) -> bool:
    """Whether release ``earlier`` is below ``later`` (as packaging's ``Version`` orders them)."""
    first, second = _plain_release(earlier), _plain_release(later)
    if first is not None and second is not None:
        return first < second
    from packaging.version import Version

    return Version(earlier) < Version(later)


def _choice(check: Checker, node: MarkedMap, key: str, path: str) -> str:
    return check.choice(node, key, path, schema.options(path), schema.default(path))


def read_local(check: Checker, top: MarkedMap) -> LocalRules | None:
    """``local``: the detection of the oldest release, then each of ``local.changes``.

    Every release's detection is validated here, once: a change is merged into
    the one before it (as a range's ``set`` is) and the result read in full.
    """
    if "local" not in top:
        return None
    node = check.table(top["local"], "local", parent=top, key="local")
    data = MarkedMap({k: v for k, v in node.items() if k != "changes"})
    data.line, data.column = node.line, node.column
    data.key_lines, data.key_columns = dict(node.key_lines), dict(node.key_columns)
    base = _detection(check, data, "local")
    items = node.get("changes", MarkedList())
    if not isinstance(items, MarkedList):
        raise check.fail(node, "changes", "local.changes", "must be a list of changes")
    changes: list[Change] = []
    for i, item in enumerate(items):
        where = f"local.changes[{i}]"
        entry = check.mapping(
            item,
            where,
            required=("since", "source"),
            optional=("set",),
            parent=items,
            key=i,
        )
        since = check.string(entry, "since", f"{where}.since", non_empty=True)
        if not _is_release(since):
            raise check.fail(
                entry, "since", f"{where}.since", f"{since!r} is not a release such as 23.0.7"
            )
        if changes and not _release_before(changes[-1].since, since):
            raise check.fail(
                entry, "since", f"{where}.since", "changes must be in ascending release order"
            )
        change = check.table(entry.get("set", MarkedMap()), f"{where}.set", parent=entry, key="set")
        if "changes" in change:
            raise check.fail(change, "changes", f"{where}.set", "a change cannot set changes")
        data = merge(data, change)
        changes.append(
            Change(
                since,
                check.string(entry, "source", f"{where}.source", non_empty=True),
                _detection(check, data, f"local (with {where})"),
            )
        )
    return LocalRules(check.string(top, "name", "name"), base, tuple(changes))


def _detection(check: Checker, data: MarkedMap, where: str) -> Detection:
    """One release's ``local`` keys, ``changes`` left out."""
    node = check.mapping(
        data,
        where,
        required=("engine", "strategy"),
        optional=(
            "platform",
            "source",
            "normalize",
            "keeps",
            "x86_level",
            "x86_level_how",
            "x86_levels",
            "cpu_variants",
            "cpu_variant_default",
            "arm_build",
            "armv6_compatible",
            "uname_variants",
            "no_cpu",
        ),
    )

    def at(key: str) -> str:
        return f"{where}.{key}"

    strategy = _choice(check, node, "strategy", "local.strategy")
    platform = None
    if strategy == "fixed":
        for k in ("platform", "source"):  # local.platform, local.source
            if k not in node:
                raise check.fail(node, None, where, f"strategy fixed needs {k!r}")
        text = check.string(node, "platform", at("platform"))
        try:
            platform = Platform.parse(text)
        except InvalidPlatform:
            raise check.fail(
                node,
                "platform",
                at("platform"),
                f"{text!r} is not a platform such as linux/amd64",
            ) from None
    elif "platform" in node:
        raise check.fail(node, "platform", at("platform"), "only applies to strategy fixed")
    x86 = _choice(check, node, "x86_level", "local.x86_level")
    levels = _x86_levels(check, node, at("x86_levels"))
    if x86 == "cpuinfo-flags" and not levels:
        raise check.fail(node, None, where, "x86_level cpuinfo-flags needs 'x86_levels'")
    arm_build = None
    if "arm_build" in node:
        if strategy != "containerd":
            raise check.fail(
                node, "arm_build", at("arm_build"), "only applies to strategy containerd"
            )
        spec = check.mapping(
            node["arm_build"],
            at("arm_build"),
            required=("variants", "how"),
            parent=node,
            key="arm_build",
        )
        arm_build = ArmBuild(
            MappingProxyType(
                check.str_map(
                    spec["variants"], at("arm_build.variants"), parent=spec, key="variants"
                )
            ),
            check.string(spec, "how", at("arm_build.how"), non_empty=True),
        )
    uname = None
    if "uname_variants" in node:
        if strategy != "containerd":
            raise check.fail(
                node,
                "uname_variants",
                at("uname_variants"),
                "only applies to strategy containerd",
            )
        uname = MappingProxyType(
            check.str_map(
                node["uname_variants"], at("uname_variants"), parent=node, key="uname_variants"
            )
        )
    no_cpu_node = check.table(
        node.get("no_cpu", MarkedMap()), at("no_cpu"), parent=node, key="no_cpu"
    )
    no_cpu = {
        str(system): MappingProxyType(
            check.str_map(table, at(f"no_cpu.{system}"), parent=no_cpu_node, key=system)
        )
        for system, table in no_cpu_node.items()
    }
    return Detection(
        engine=check.string(node, "engine", at("engine"), non_empty=True),
        strategy=cast(Any, strategy),
        platform=platform,
        source=check.string(node, "source", at("source"), default=""),
        normalize=cast(Any, _choice(check, node, "normalize", "local.normalize")),
        keeps=check.strings(node, "keeps", at("keeps")),
        x86_level=cast(Any, x86),
        x86_level_how=check.string(
            node,
            "x86_level_how",
            at("x86_level_how"),
            default=schema.default("local.x86_level_how"),
        ),
        x86_levels=levels,
        cpu_variants=MappingProxyType(
            check.str_map(
                node.get("cpu_variants", MarkedMap()),
                at("cpu_variants"),
                parent=node,
                key="cpu_variants",
            )
        ),
        cpu_variant_default=check.string(
            node,
            "cpu_variant_default",
            at("cpu_variant_default"),
            default=schema.default("local.cpu_variant_default"),
        ),
        arm_build=arm_build,
        armv6_compatible=cast(
            Any, _choice(check, node, "armv6_compatible", "local.armv6_compatible")
        ),
        uname_variants=uname,
        no_cpu=MappingProxyType(no_cpu),
    )


def _x86_levels(
    check: Checker, node: MarkedMap, where: str
) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """``local.x86_levels``: ``v2: [flags]`` ..., ascending from v2."""
    table = check.table(node.get("x86_levels", MarkedMap()), where, parent=node, key="x86_levels")
    out: list[tuple[int, tuple[str, ...]]] = []
    for name in table:
        number = str(name)[1:]
        if not (str(name).startswith("v") and number.isdigit()) or int(number) != len(out) + 2:
            raise check.fail(
                table,
                name,
                f"{where}.{name}",
                f"levels are v2, v3, v4 ... in order; expected v{len(out) + 2}",
            )
        flags = check.strings(table, name, f"{where}.{name}")
        if not flags:
            raise check.fail(table, name, f"{where}.{name}", "a level needs flags")
        out.append((int(number), flags))
    return tuple(out)
