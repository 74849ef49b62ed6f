"""Reading a rule file's ``local`` block into :class:`~planner.policy.detection.LocalRules`.

Every release's detection is validated at load time: the oldest release's keys,
then each ``local.changes`` item merged into the one before (as a range's
``set`` is, :func:`planner.policy.family.merge`) and read in full. Allowed
values and defaults come from :mod:`planner.policy.schema`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, cast

from packaging.version import InvalidVersion, Version

from planner.model.errors import InvalidPlatform
from planner.model.platform import Platform
from planner.model.yamlfile import Checker, MarkedList, MarkedMap
from planner.policy import schema
from planner.policy.detection import ArmBuild, Change, Detection, LocalRules
from planner.policy.family import merge

__all__ = ["read_local"]


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
        try:
            version = Version(since)
        except InvalidVersion:
            raise check.fail(
                entry, "since", f"{where}.since", f"{since!r} is not a release such as 23.0.7"
            ) from None
        if changes and version <= Version(changes[-1].since):
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
