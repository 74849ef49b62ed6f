"""Validate a rule file into a frozen :class:`~planner.policy.ruleset.RuleSet`.

Every key is checked once, at load time, against :mod:`planner.policy.schema`
(its allowed values and defaults come from there); an error is one line naming
``file:line:column``, the key path and the problem, with a did-you-mean for a
typo. Which file a rule-set name means is :mod:`planner.policy.catalog`'s job.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from planner.model.arguments import path_argument
from planner.model.errors import InvalidPlatform, InvalidRules
from planner.model.platform import Platform
from planner.model.record import replace
from planner.model.yamlfile import Checker, MarkedMap
from planner.policy import schema
from planner.policy.catalog import available_rule_sets, find_rules, rules_dir
from planner.policy.detection import read_local
from planner.policy.family import Range, merge, read_family, split_release
from planner.policy.normalize import Normalizer
from planner.policy.registry import read_registry, read_requests
from planner.policy.ruleset import (
    DEFAULT_RULES,
    ArchVariant,
    HostRules,
    NoPlatform,
    RuleSet,
    TieBreak,
    Unlisted,
    WindowsPolicy,
)
from planner.policy.stable_abi import FloorRule, StableAbi
from planner.policy.tables import read_compatible, read_normalizers

__all__ = ["available_rule_sets", "load_rules", "read_rule_file"]


def load_rules(name_or_path: str | Path = DEFAULT_RULES, *, base: Path | None = None) -> RuleSet:
    """A rule set: a family (``docker``: its newest range), a release (``containerd@1.7.20``),
    an alias (``containerd-1.6``), or a rule file by path."""
    if not isinstance(name_or_path, str):
        name_or_path = path_argument(name_or_path, "name_or_path")
    if base is not None:
        base = path_argument(base, "base")
    located = find_rules(name_or_path, base)
    shipped = located.path.parent == rules_dir() and not located.name.endswith((".yaml", ".yml"))
    return _rules_for(located.path, located.release, located.name if shipped else None)


@functools.lru_cache(maxsize=256)
def _rules_for(path: Path, release: str | None, name: str | None) -> RuleSet:
    """One range, named as asked: shipped sets by their spec, files by the name they declare."""
    family = read_family(path)
    index, _ = family.pick(release)
    rules = read_rule_file(path, index, family.build_of(release))
    if name is None and release is None:
        return rules
    number = split_release(release)[0] if release else ""
    return replace(rules, name=name or f"{rules.name}@{release}", release=number)


@functools.lru_cache(maxsize=128)
def read_rule_file(path: Path, index: int = -1, build: int | None = None) -> RuleSet:
    """Read and validate one range of a rule file (the newest by default; cached), as
    upstream or as one of its ``builds`` (a distribution's build of that range)."""
    family = read_family(path)
    chosen = family.ranges[index]
    if build is None:
        return _Reader(path).rule_set(chosen.data, family=family.name, release_range=chosen)
    made = family.builds[build]
    data = merge(chosen.data, made.change)
    data["summary"] = made.summary
    built = Range(chosen.text, made.summary, made.source, data)
    rules = _Reader(path).rule_set(data, family=family.name, release_range=built)
    return replace(rules, build=made.suffix)


def _choice(check: Checker, node: MarkedMap, key: str, path: str) -> str:
    """A key whose allowed values and default the schema declares under ``path``."""
    return check.choice(node, key, path, schema.options(path), schema.default(path))


class _Reader:
    """Validating reader for one rule file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.check = Checker(path, InvalidRules)

    def rule_set(
        self, data: Any, *, family: str = "", release_range: Range | None = None
    ) -> RuleSet:
        check = self.check
        top = check.mapping(
            data,
            "",
            required=("schema", "name", "summary", "compatible"),
            optional=(
                "clients",
                "sources",
                "normalize",
                "unlisted",
                "match",
                "order",
                "no_platform",
                "empty_platform",
                "attestations",
                "fails_on",
                "windows",
                "host",
                "local",
                "registry",
                "requests",
            ),
        )
        if top["schema"] != schema.SCHEMA_VERSION:
            raise check.fail(
                top,
                "schema",
                "schema",
                f"unsupported schema {top['schema']!r}; this pull-planner reads schema"
                f" {schema.SCHEMA_VERSION}",
            )
        host_norm, cand_norm = read_normalizers(check, top)
        compatible = read_compatible(check, top)
        match = check.mapping(
            top.get("match", MarkedMap()),
            "match",
            optional=(
                "empty_os",
                "variant",
                "os_version",
                "os_features",
                "windows_ignored_os_features",
                "arch_fallback",
                "media_types",
            ),
            parent=top,
            key="match",
        )
        return RuleSet(
            name=check.string(top, "name", "name"),
            summary=check.string(top, "summary", "summary"),
            clients=check.string(top, "clients", "clients", default=schema.default("clients")),
            path=self.path,
            sources=check.strings(top, "sources", "sources"),
            host_normalizer=host_norm,
            candidate_normalizer=cand_norm,
            compatible=MappingProxyType(compatible),
            unlisted=MappingProxyType(self.unlisted(top)),
            empty_os=cast(Any, _choice(check, match, "empty_os", "match.empty_os")),
            variant_match=cast(Any, _choice(check, match, "variant", "match.variant")),
            os_version_match=cast(Any, _choice(check, match, "os_version", "match.os_version")),
            os_features_match=cast(Any, _choice(check, match, "os_features", "match.os_features")),
            windows_ignored_os_features=check.strings(
                match, "windows_ignored_os_features", "match.windows_ignored_os_features"
            ),
            arch_fallback=check.strings(match, "arch_fallback", "match.arch_fallback"),
            media_types=cast(Any, _choice(check, match, "media_types", "match.media_types")),
            order=self.tie_breaks(top, "order", "order"),
            no_platform=self.no_platform(top),
            empty_platform_is_missing=_choice(check, top, "empty_platform", "empty_platform")
            == "missing",
            attestations=cast(Any, _choice(check, top, "attestations", "attestations")),
            fails_on=self.fails_on(top),
            windows=self.windows(top),
            known_variants=_known_variants(compatible, (cand_norm, host_norm)),
            host_rules=self.host(top),
            family=family,
            releases=release_range.text if release_range else "",
            range_source=release_range.source if release_range else "",
            local=read_local(self.check, top),
            registry=read_registry(self.check, top),
            requests=read_requests(self.check, top),
        )

    def host(self, top: MarkedMap) -> HostRules:
        """``host``: how the client reads the platform it is given."""
        if "host" not in top:
            return HostRules()
        node = self.check.mapping(
            top["host"],
            "host",
            optional=("dotted", "variant", "bare"),
            parent=top,
            key="host",
        )
        return HostRules(
            dotted=cast(Any, _choice(self.check, node, "dotted", "host.dotted")),
            variant=cast(Any, _choice(self.check, node, "variant", "host.variant")),
            bare=cast(Any, _choice(self.check, node, "bare", "host.bare")),
        )

    # -- sections

    def unlisted(self, top: MarkedMap) -> dict[str, Unlisted]:
        """``unlisted.<arch>``; the key ``default`` is stored as ``*``."""
        out: dict[str, Unlisted] = {"*": schema.default("unlisted.<arch>")}
        if "unlisted" not in top:
            return out
        table = self.check.str_map(top["unlisted"], "unlisted", parent=top, key="unlisted")
        for arch, strategy in table.items():
            self.check.check_choice(
                top["unlisted"],
                arch,
                f"unlisted.{arch}",
                strategy,
                schema.options("unlisted.<arch>"),
            )
            out["*" if arch == "default" else arch] = cast(Unlisted, strategy)
        return out

    def tie_breaks(self, parent: MarkedMap, key: str, where: str) -> tuple[TieBreak, ...]:
        """``order`` or ``windows.order``: a list of tie-break names."""
        values = self.check.strings(parent, key, where)
        for value in values:
            self.check.check_choice(parent, key, where, value, schema.options("order"))
        return cast(tuple[TieBreak, ...], values)

    def fails_on(self, top: MarkedMap) -> tuple[str, ...]:
        """``fails_on``: entries the release is known to fail on once it picks them."""
        values = self.check.strings(top, "fails_on", "fails_on")
        for value in values:
            self.check.check_choice(top, "fails_on", "fails_on", value, schema.options("fails_on"))
        return values

    def no_platform(self, top: MarkedMap) -> NoPlatform | Platform:
        value = self.check.string(
            top, "no_platform", "no_platform", default=schema.default("no_platform")
        )
        if value in schema.options("no_platform"):
            return cast(NoPlatform, value)
        try:
            return Platform.parse(value)
        except InvalidPlatform:
            raise self.check.fail(
                top,
                "no_platform",
                "no_platform",
                f"{value!r} is neither {', '.join(schema.options('no_platform'))} nor a platform"
                " such as linux/amd64",
            ) from None

    def stable_abi(self, node: MarkedMap, where: str) -> StableAbi:
        """``windows.ltsc_builds``/``windows.floor``, or the same under ``process_isolation``."""
        builds = node.get("ltsc_builds")
        if (
            not isinstance(builds, list)
            or (not builds and "process_isolation" in where)
            or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in builds)
            or list(builds) != sorted(set(builds))
        ):
            raise self.check.fail(
                node,
                "ltsc_builds",
                f"{where}.ltsc_builds",
                "must be an ascending list of build numbers ([] for none: exact builds only)",
            )
        floor = self.check.choice(
            node, "floor", f"{where}.floor", schema.options("windows.floor"), ""
        )
        return StableAbi(ltsc_builds=tuple(builds), floor=cast(FloorRule, floor))

    def windows(self, top: MarkedMap) -> WindowsPolicy:
        check = self.check
        if "windows" not in top:
            return WindowsPolicy(strategy="none")
        stable_only = (
            "compatible",
            "ltsc_builds",
            "floor",
            "empty_os_version",
            "order",
            "missing_host_build",
            "entry_os",
        )
        section = check.mapping(
            top["windows"],
            "windows",
            required=("strategy",),
            optional=(*stable_only, "process_isolation"),
            parent=top,
            key="windows",
        )
        strategy = check.choice(
            section, "strategy", "windows.strategy", schema.options("windows.strategy"), "none"
        )
        process_isolation = None
        if "process_isolation" in section:
            pi = check.mapping(
                section["process_isolation"],
                "windows.process_isolation",
                required=("ltsc_builds", "floor"),
                parent=section,
                key="process_isolation",
            )
            # windows.process_isolation.ltsc_builds / windows.process_isolation.floor
            process_isolation = self.stable_abi(pi, "windows.process_isolation")
        if strategy == "stable-abi":
            for k in ("ltsc_builds", "floor"):  # windows.ltsc_builds, windows.floor
                if k not in section:
                    raise check.fail(section, None, "windows", f"strategy stable-abi needs {k!r}")
            return WindowsPolicy(
                strategy="stable-abi",
                compatible=cast(Any, _choice(check, section, "compatible", "windows.compatible")),
                stable_abi=self.stable_abi(section, "windows"),
                empty_os_version=cast(
                    Any, _choice(check, section, "empty_os_version", "windows.empty_os_version")
                ),
                order=self.tie_breaks(section, "order", "windows.order"),
                missing_host_build=cast(
                    Any, _choice(check, section, "missing_host_build", "windows.missing_host_build")
                ),
                entry_os=cast(Any, _choice(check, section, "entry_os", "windows.entry_os")),
            )
        for k in stable_only:
            if k in section:
                raise check.fail(
                    section,
                    k,
                    f"windows.{k}",
                    f"only applies to strategy stable-abi, not {strategy}",
                )
        if strategy == "docker-classic" and process_isolation is None:
            raise check.fail(
                section, None, "windows", "strategy docker-classic needs 'process_isolation'"
            )
        return WindowsPolicy(strategy=cast(Any, strategy), process_isolation=process_isolation)


def _known_variants(
    compatible: Mapping[ArchVariant, tuple[ArchVariant, ...]], normalizers: tuple[Normalizer, ...]
) -> Mapping[str, frozenset[str]]:
    """Every variant the rule set names per architecture (to flag non-canonical entries)."""
    known: dict[str, set[str]] = {}
    for host_key, vector in compatible.items():
        for arch, variant in (host_key, *vector):
            if variant:
                known.setdefault(arch, set()).add(variant)
    for normalizer in normalizers:
        for arch, variants in normalizer.variant.items():
            known.setdefault(arch, set()).update(v for v in variants.values() if v)
    return MappingProxyType({k: frozenset(v) for k, v in known.items()})
