"""Validate a rule file into a frozen :class:`~planner.policy.ruleset.RuleSet`.

Every key is checked once, at load time, against :mod:`planner.policy.schema`
(its allowed values and defaults come from there); an error is one line naming
``file:line:column``, the key path and the problem, with a did-you-mean for a
typo. Which file a rule-set name means is :mod:`planner.policy.catalog`'s job.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from planner.model.errors import InvalidPlatform, InvalidRules
from planner.model.platform import Platform
from planner.model.yamlfile import Checker, MarkedMap, load_file
from planner.policy import schema
from planner.policy.catalog import available_rule_sets, find_rules
from planner.policy.normalize import ArchAlias, Normalizer
from planner.policy.ruleset import (
    DEFAULT_RULES,
    ArchVariant,
    NoPlatform,
    RuleSet,
    TieBreak,
    Unlisted,
    WindowsPolicy,
)
from planner.policy.stable_abi import FloorRule, StableAbi

__all__ = ["available_rule_sets", "load_rules", "read_rule_file"]

_PLATFORM_KEY = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_.-]+)?")


@functools.lru_cache(maxsize=32)
def read_rule_file(path: Path) -> RuleSet:
    """Read and validate one rule file (cached per path)."""
    return _Reader(path).rule_set(load_file(path, InvalidRules))


def load_rules(name_or_path: str | Path = DEFAULT_RULES, *, base: Path | None = None) -> RuleSet:
    """Load a shipped rule set by name (``docker``) or a rule file by path."""
    return read_rule_file(find_rules(name_or_path, base))


def _choice(check: Checker, node: MarkedMap, key: str, path: str) -> str:
    """A key whose allowed values and default the schema declares under ``path``."""
    return check.choice(node, key, path, schema.options(path), schema.default(path))


class _Reader:
    """Validating reader for one rule file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.check = Checker(path, InvalidRules)

    def rule_set(self, data: Any) -> RuleSet:
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
                "windows",
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
        host_norm, cand_norm = self.normalize(top)
        compatible = self.compatible(top)
        match = check.mapping(
            top.get("match", MarkedMap()),
            "match",
            optional=(
                "empty_os",
                "variant",
                "os_version",
                "os_features",
                "windows_ignored_os_features",
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
            order=self.tie_breaks(top, "order", "order"),
            no_platform=self.no_platform(top),
            empty_platform_is_missing=_choice(check, top, "empty_platform", "empty_platform")
            == "missing",
            attestations=cast(Any, _choice(check, top, "attestations", "attestations")),
            windows=self.windows(top),
            known_variants=_known_variants(compatible, (cand_norm, host_norm)),
        )

    # -- sections

    def normalize(self, top: MarkedMap) -> tuple[Normalizer, Normalizer]:
        if "normalize" not in top:
            return Normalizer(), Normalizer()
        section = self.check.mapping(
            top["normalize"],
            "normalize",
            required=("host", "candidates"),
            parent=top,
            key="normalize",
        )
        return (
            self.normalizer(section, "host", "normalize.host"),
            self.normalizer(section, "candidates", "normalize.candidates"),
        )

    def normalizer(self, parent: MarkedMap, side: str, where: str) -> Normalizer:
        """One ``normalize.<side>`` table, or the word ``none``."""
        check = self.check
        if parent[side] == "none":
            return Normalizer()
        table = check.mapping(
            parent[side],
            where,
            optional=("lowercase", "os", "architecture", "variant", "sort_os_features"),
            parent=parent,
            key=side,
        )
        aliases: dict[str, ArchAlias] = {}
        arch_node = check.table(
            table.get("architecture", MarkedMap()),
            f"{where}.architecture",
            parent=table,
            key="architecture",
        )
        for alias, target in arch_node.items():
            at = f"{where}.architecture.{alias}"
            spec = check.mapping(
                target,
                at,
                required=("architecture",),
                optional=("variant",),
                parent=arch_node,
                key=alias,
            )
            # normalize.<side>.architecture.<alias>.architecture / .variant
            aliases[str(alias)] = ArchAlias(
                architecture=check.string(spec, "architecture", f"{at}.architecture"),
                variant=check.string(spec, "variant", f"{at}.variant")
                if "variant" in spec
                else None,
            )
        variant_node = check.table(
            table.get("variant", MarkedMap()), f"{where}.variant", parent=table, key="variant"
        )
        variants: dict[str, Mapping[str, str]] = {
            str(arch): MappingProxyType(
                check.str_map(mapping, f"{where}.variant.{arch}", parent=variant_node, key=arch)
            )
            for arch, mapping in variant_node.items()
        }
        return Normalizer(
            lowercase=check.boolean(
                table,
                "lowercase",
                f"{where}.lowercase",
                schema.default("normalize.<side>.lowercase"),
            ),
            os=MappingProxyType(
                check.str_map(table.get("os", MarkedMap()), f"{where}.os", parent=table, key="os")
            ),
            architecture=MappingProxyType(aliases),
            variant=MappingProxyType(variants),
            sort_os_features=check.boolean(
                table,
                "sort_os_features",
                f"{where}.sort_os_features",
                schema.default("normalize.<side>.sort_os_features"),
            ),
        )

    def compatible(self, top: MarkedMap) -> dict[ArchVariant, tuple[ArchVariant, ...]]:
        """``compatible.<host>`` lists, with ``...<host>`` splices expanded."""
        node = top["compatible"]
        if not isinstance(node, MarkedMap):
            raise self.check.fail(
                top, "compatible", "compatible", "must be a mapping, not a list or a scalar"
            )
        raw: dict[str, list[str]] = {}
        for host_key, items in node.items():
            where = f"compatible.{host_key}"
            if not isinstance(host_key, str) or not _PLATFORM_KEY.fullmatch(host_key):
                raise self.check.fail(
                    node, host_key, where, "host key must be 'arch' or 'arch/variant' in lower case"
                )
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) for i in items)
            ):
                raise self.check.fail(
                    node, host_key, where, "must be a non-empty list of 'arch[/variant]' strings"
                )
            raw[host_key] = list(items)

        expanded: dict[str, tuple[ArchVariant, ...]] = {}

        def expand(host_key: str, stack: tuple[str, ...]) -> tuple[ArchVariant, ...]:
            if host_key in expanded:
                return expanded[host_key]
            where = f"compatible.{host_key}"
            out: list[ArchVariant] = []
            for item in raw[host_key]:
                if item.startswith("..."):
                    ref = item[3:]
                    if ref not in raw:
                        raise self.check.fail(
                            node, host_key, where, f"{item!r} refers to no host key {ref!r}"
                        )
                    if ref in stack:
                        cycle = " -> ".join((*stack, ref))
                        raise self.check.fail(node, host_key, where, f"cycle: {cycle}")
                    out.extend(expand(ref, (*stack, ref)))
                elif _PLATFORM_KEY.fullmatch(item):
                    out.append(_split_key(item))
                else:
                    raise self.check.fail(
                        node,
                        host_key,
                        where,
                        f"item {item!r} must be 'arch[/variant]' or '...<host key>'",
                    )
            deduped = tuple(dict.fromkeys(out))
            if deduped[0] != _split_key(host_key):
                raise self.check.fail(
                    node, host_key, where, f"the first entry must be the host itself ({host_key!r})"
                )
            expanded[host_key] = deduped
            return deduped

        return {_split_key(k): expand(k, (k,)) for k in raw}

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
            or not builds
            or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in builds)
            or list(builds) != sorted(set(builds))
        ):
            raise self.check.fail(
                node,
                "ltsc_builds",
                f"{where}.ltsc_builds",
                "must be a non-empty ascending list of build numbers",
            )
        floor = self.check.choice(
            node, "floor", f"{where}.floor", schema.options("windows.floor"), ""
        )
        return StableAbi(ltsc_builds=tuple(builds), floor=cast(FloorRule, floor))

    def windows(self, top: MarkedMap) -> WindowsPolicy:
        check = self.check
        if "windows" not in top:
            return WindowsPolicy(strategy="none")
        stable_only = ("compatible", "ltsc_builds", "floor", "empty_os_version", "order")
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


def _split_key(key: str) -> ArchVariant:
    arch, _, variant = key.partition("/")
    return arch, variant


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
