"""Reading a rule file's tables: ``normalize`` (alias tables) and ``compatible`` (vectors)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from planner.model.yamlfile import Checker, MarkedMap
from planner.policy import schema
from planner.policy.normalize import ArchAlias, Normalizer
from planner.policy.ruleset import ArchVariant

__all__ = ["read_compatible", "read_normalizers"]

_PLATFORM_KEY = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_.-]+)?")


def read_normalizers(check: Checker, top: MarkedMap) -> tuple[Normalizer, Normalizer]:
    if "normalize" not in top:
        return Normalizer(), Normalizer()
    section = check.mapping(
        top["normalize"],
        "normalize",
        required=("host", "candidates"),
        parent=top,
        key="normalize",
    )
    return (
        _normalizer(check, section, "host", "normalize.host"),
        _normalizer(check, section, "candidates", "normalize.candidates"),
    )


def _normalizer(check: Checker, parent: MarkedMap, side: str, where: str) -> Normalizer:
    """One ``normalize.<side>`` table, or the word ``none``."""
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
            variant=check.string(spec, "variant", f"{at}.variant") if "variant" in spec else None,
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


def read_compatible(check: Checker, top: MarkedMap) -> dict[ArchVariant, tuple[ArchVariant, ...]]:
    """``compatible.<host>`` lists, with ``...<host>`` splices expanded."""
    node = top["compatible"]
    if not isinstance(node, MarkedMap):
        raise check.fail(
            top, "compatible", "compatible", "must be a mapping, not a list or a scalar"
        )
    raw: dict[str, list[str]] = {}
    for host_key, items in node.items():
        where = f"compatible.{host_key}"
        if not isinstance(host_key, str) or not _PLATFORM_KEY.fullmatch(host_key):
            raise check.fail(
                node, host_key, where, "host key must be 'arch' or 'arch/variant' in lower case"
            )
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise check.fail(
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
                    raise check.fail(
                        node, host_key, where, f"{item!r} refers to no host key {ref!r}"
                    )
                if ref in stack:
                    cycle = " -> ".join((*stack, ref))
                    raise check.fail(node, host_key, where, f"cycle: {cycle}")
                out.extend(expand(ref, (*stack, ref)))
            elif _PLATFORM_KEY.fullmatch(item):
                out.append(_split_key(item))
            else:
                raise check.fail(
                    node,
                    host_key,
                    where,
                    f"item {item!r} must be 'arch[/variant]' or '...<host key>'",
                )
        deduped = tuple(dict.fromkeys(out))
        if deduped[0] != _split_key(host_key):
            raise check.fail(
                node, host_key, where, f"the first entry must be the host itself ({host_key!r})"
            )
        expanded[host_key] = deduped
        return deduped

    return {_split_key(k): expand(k, (k,)) for k in raw}


def _split_key(key: str) -> ArchVariant:
    arch, _, variant = key.partition("/")
    return arch, variant
