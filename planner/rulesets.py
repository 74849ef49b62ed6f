"""Rule sets: load and validate ``rules/*.yaml`` into frozen objects.

A rule set is policy only (which aliases, which fallback platforms in which
order, which Windows strategy); :mod:`planner.resolver` is the mechanism.
The file format is documented in ``rules/README.md`` and by the shipped files
themselves. Every key is validated once, at load time; an error names the
file, the line and the key, and suggests the right key for a typo.

Shipped rule sets are found in ``planner/_rules`` (inside an installed wheel)
or in ``rules/`` at the top of a source checkout.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from planner import yamlfile
from planner.errors import InvalidRules
from planner.normalize import ArchAlias, Normalizer
from planner.platform import Platform
from planner.windows import FLOOR_RULES, FloorRule, StableAbi

__all__ = [
    "DEFAULT_RULES",
    "RuleSet",
    "WindowsPolicy",
    "available_rule_sets",
    "load_rules",
    "rules_dir",
]

DEFAULT_RULES = "docker"
SCHEMA_VERSION = 1

ArchVariant = tuple[str, str]
Unlisted = Literal["exact", "exact-then-no-variant", "none"]
VariantMatch = Literal["equal", "if-requested"]
OsVersionMatch = Literal["windows-strategy", "ignore", "equal-if-requested"]
OsFeaturesMatch = Literal["subset", "host-subset", "ignore"]
TieBreak = Literal["more-os-features", "zstd-first", "os-version-desc", "revision-desc"]
NoPlatform = Literal["last-resort", "last-resort-in-oci-index", "skip"]
WindowsStrategy = Literal["docker-classic", "stable-abi", "none"]

_UNLISTED: tuple[Unlisted, ...] = ("exact", "exact-then-no-variant", "none")
_TIE_BREAKS: tuple[TieBreak, ...] = (
    "more-os-features",
    "zstd-first",
    "os-version-desc",
    "revision-desc",
)
_PLATFORM_KEY = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_.-]+)?")


def rules_dir() -> Path:
    """Directory of the shipped rule sets (wheel first, then source checkout)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if (candidate / f"{DEFAULT_RULES}.yaml").is_file():
            return candidate
    raise InvalidRules(f"shipped rule sets not found next to {package} (broken installation)")


def available_rule_sets() -> list[str]:
    """Names of the shipped rule sets, sorted."""
    return sorted(p.stem for p in rules_dir().glob("*.yaml"))


@dataclass(frozen=True)
class WindowsPolicy:
    """How a Windows host chooses among Windows entries (see planner.windows)."""

    strategy: WindowsStrategy
    compatible: Literal["table", "exact"] = "table"
    stable_abi: StableAbi | None = None
    empty_os_version: Literal["match", "reject"] = "match"
    order: tuple[TieBreak, ...] = ()
    process_isolation: StableAbi | None = None

    @property
    def needs_host_build(self) -> bool:
        return self.strategy != "none"


@dataclass(frozen=True)
class RuleSet:
    """A client's selection rules, loaded from one YAML file."""

    name: str
    summary: str
    clients: str
    path: Path
    sources: tuple[str, ...]
    host_normalizer: Normalizer
    candidate_normalizer: Normalizer
    compatible: Mapping[ArchVariant, tuple[ArchVariant, ...]]
    unlisted: Mapping[str, Unlisted]
    empty_os: Literal["host", "keep"]
    variant_match: VariantMatch
    os_version_match: OsVersionMatch
    os_features_match: OsFeaturesMatch
    windows_ignored_os_features: tuple[str, ...]
    order: tuple[TieBreak, ...]
    no_platform: NoPlatform | Platform
    empty_platform_is_missing: bool
    attestations: Literal["reject", "by-platform"]
    windows: WindowsPolicy
    known_variants: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, self.path))

    def __eq__(self, other: object) -> bool:
        return self is other

    def vector(self, host: Platform) -> tuple[ArchVariant, ...]:
        """What a normalized host runs, most preferred first (containerd ``platformVector``)."""
        key = (host.architecture, host.variant)
        if key in self.compatible:
            return self.compatible[key]
        strategy = self.unlisted.get(host.architecture, self.unlisted.get("*", "exact"))
        if strategy == "none":
            return ()
        if strategy == "exact-then-no-variant" and host.variant:
            return (key, (host.architecture, ""))
        return (key,)


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=32)
def _load_path(path: Path) -> RuleSet:
    data = yamlfile.load_file(path, InvalidRules)
    return _Reader(path).rule_set(data)


def load_rules(name_or_path: str | Path = DEFAULT_RULES) -> RuleSet:
    """Load a shipped rule set by name (``docker``) or a rule file by path."""
    text = str(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, Path)
        or any((sep in text) for sep in ("/", "\\"))
        or text.endswith((".yaml", ".yml"))
    )
    if looks_like_path:
        path = Path(text).expanduser()
        if not path.is_file():
            raise InvalidRules(f"rule file {text!r} not found")
        return _load_path(path.resolve())
    shipped = rules_dir() / f"{text}.yaml"
    if not shipped.is_file():
        names = available_rule_sets()
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidRules(
            f"unknown rule set {text!r}{hint}; available: {', '.join(names)}"
            " (or give a path to a rule file)"
        )
    return _load_path(shipped)


class _Reader:
    """Validating reader for one rule file; every error names file:line and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- primitives

    def fail(self, node: Any, key: str, message: str, line: int | None = None) -> InvalidRules:
        where = line if line is not None else getattr(node, "line", 0)
        return InvalidRules(f"{self.path}:{where}: {key}: {message}")

    def mapping(
        self,
        node: Any,
        key: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        line: int | None = None,
    ) -> yamlfile.MarkedMap:
        if not isinstance(node, yamlfile.MarkedMap):
            raise self.fail(node, key, f"must be a mapping, not {yamlfile.describe(node)}", line)
        allowed = required + optional
        for k in node:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.fail(
                    node,
                    f"{key}.{k}" if key else str(k),
                    f"unknown key{hint}; expected one of: {', '.join(allowed)}",
                    node.line_of(k),
                )
        for k in required:
            if k not in node:
                raise self.fail(node, key or "(top level)", f"missing required key {k!r}")
        return node

    def string(
        self, parent: yamlfile.MarkedMap, k: str, key: str, default: str | None = None
    ) -> str:
        if k not in parent:
            if default is None:
                raise self.fail(parent, key, "missing")
            return default
        value = parent[k]
        if not isinstance(value, str):
            raise self.fail(
                parent,
                key,
                f"must be a string, not {yamlfile.describe(value)} (quote it)",
                parent.line_of(k),
            )
        return value

    def boolean(self, parent: yamlfile.MarkedMap, k: str, key: str, default: bool) -> bool:
        value = parent.get(k, default)
        if not isinstance(value, bool):
            raise self.fail(parent, key, f"must be true or false, not {value!r}", parent.line_of(k))
        return value

    def choice(
        self, parent: yamlfile.MarkedMap, k: str, key: str, options: tuple[str, ...], default: str
    ) -> str:
        value = parent.get(k, default)
        self.check_option(parent, k, key, value, options)
        return cast(str, value)

    def check_option(
        self, parent: yamlfile.MarkedMap, k: str, key: str, value: Any, options: tuple[str, ...]
    ) -> None:
        if value not in options:
            raise self.fail(
                parent, key, f"{value!r} is not one of: {', '.join(options)}", parent.line_of(k)
            )

    def str_list(self, parent: yamlfile.MarkedMap, k: str, key: str) -> tuple[str, ...]:
        value = parent.get(k, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(parent, key, "must be a list of strings", parent.line_of(k))
        return tuple(value)

    def str_map(self, node: Any, key: str, line: int) -> dict[str, str]:
        if not isinstance(node, yamlfile.MarkedMap):
            raise self.fail(node, key, f"must be a mapping, not {yamlfile.describe(node)}", line)
        out: dict[str, str] = {}
        for k, v in node.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise self.fail(
                    node,
                    f"{key}.{k}",
                    "keys and values must be strings (quote numbers such as '8')",
                    node.line_of(k),
                )
            out[k] = v
        return out

    # -- sections

    def rule_set(self, data: Any) -> RuleSet:
        top = self.mapping(
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
            line=1,
        )
        if top["schema"] != SCHEMA_VERSION:
            raise self.fail(
                top,
                "schema",
                f"unsupported schema {top['schema']!r}; this pull-planner reads schema"
                f" {SCHEMA_VERSION}",
                top.line_of("schema"),
            )
        name = self.string(top, "name", "name")
        host_norm, cand_norm = self.normalize(top.get("normalize"), top.line_of("normalize"))
        compatible = self.compatible(top["compatible"], top.line_of("compatible"))
        match = self.mapping(
            top.get("match", _empty_map(top.line)),
            "match",
            optional=(
                "empty_os",
                "variant",
                "os_version",
                "os_features",
                "windows_ignored_os_features",
            ),
            line=top.line_of("match"),
        )
        order = self.tie_breaks(top, "order", "order")
        windows = self.windows(top.get("windows"), top.line_of("windows"))
        known: dict[str, set[str]] = {}
        for host_key, vector in compatible.items():
            for arch, variant in (host_key, *vector):
                if variant:
                    known.setdefault(arch, set()).add(variant)
        for table in (cand_norm.variant, host_norm.variant):
            for arch, variants in table.items():
                known.setdefault(arch, set()).update(v for v in variants.values() if v)
        return RuleSet(
            name=name,
            summary=self.string(top, "summary", "summary"),
            clients=self.string(top, "clients", "clients", default=""),
            path=self.path,
            sources=self.str_list(top, "sources", "sources"),
            host_normalizer=host_norm,
            candidate_normalizer=cand_norm,
            compatible=MappingProxyType(compatible),
            unlisted=MappingProxyType(self.unlisted(top.get("unlisted"), top.line_of("unlisted"))),
            empty_os=cast(
                Any, self.choice(match, "empty_os", "match.empty_os", ("host", "keep"), "keep")
            ),
            variant_match=cast(
                VariantMatch,
                self.choice(match, "variant", "match.variant", ("equal", "if-requested"), "equal"),
            ),
            os_version_match=cast(
                OsVersionMatch,
                self.choice(
                    match,
                    "os_version",
                    "match.os_version",
                    ("windows-strategy", "ignore", "equal-if-requested"),
                    "windows-strategy",
                ),
            ),
            os_features_match=cast(
                OsFeaturesMatch,
                self.choice(
                    match,
                    "os_features",
                    "match.os_features",
                    ("subset", "host-subset", "ignore"),
                    "ignore",
                ),
            ),
            windows_ignored_os_features=self.str_list(
                match, "windows_ignored_os_features", "match.windows_ignored_os_features"
            ),
            order=order,
            no_platform=self.no_platform(top),
            empty_platform_is_missing=self.choice(
                top, "empty_platform", "empty_platform", ("missing", "platform"), "platform"
            )
            == "missing",
            attestations=cast(
                Any,
                self.choice(
                    top, "attestations", "attestations", ("reject", "by-platform"), "by-platform"
                ),
            ),
            windows=windows,
            known_variants=MappingProxyType({k: frozenset(v) for k, v in known.items()}),
        )

    def normalize(self, node: Any, line: int) -> tuple[Normalizer, Normalizer]:
        if node is None:
            return Normalizer(), Normalizer()
        section = self.mapping(node, "normalize", required=("host", "candidates"), line=line)
        return (
            self.normalizer(section["host"], "normalize.host", section.line_of("host")),
            self.normalizer(
                section["candidates"], "normalize.candidates", section.line_of("candidates")
            ),
        )

    def normalizer(self, node: Any, key: str, line: int) -> Normalizer:
        if node == "none":
            return Normalizer()
        table = self.mapping(
            node,
            key,
            optional=("lowercase", "os", "architecture", "variant", "sort_os_features"),
            line=line,
        )
        aliases: dict[str, ArchAlias] = {}
        arch_node = table.get("architecture", _empty_map(table.line))
        if not isinstance(arch_node, yamlfile.MarkedMap):
            raise self.fail(
                table, f"{key}.architecture", "must be a mapping", table.line_of("architecture")
            )
        for alias, target in arch_node.items():
            where = f"{key}.architecture.{alias}"
            spec = self.mapping(
                target,
                where,
                required=("architecture",),
                optional=("variant",),
                line=arch_node.line_of(alias),
            )
            aliases[str(alias)] = ArchAlias(
                architecture=self.string(spec, "architecture", f"{where}.architecture"),
                variant=self.string(spec, "variant", f"{where}.variant")
                if "variant" in spec
                else None,
            )
        variants: dict[str, Mapping[str, str]] = {}
        variant_node = table.get("variant", _empty_map(table.line))
        if not isinstance(variant_node, yamlfile.MarkedMap):
            raise self.fail(table, f"{key}.variant", "must be a mapping", table.line_of("variant"))
        for arch, mapping in variant_node.items():
            variants[str(arch)] = MappingProxyType(
                self.str_map(mapping, f"{key}.variant.{arch}", variant_node.line_of(arch))
            )
        return Normalizer(
            lowercase=self.boolean(table, "lowercase", f"{key}.lowercase", False),
            os=MappingProxyType(
                self.str_map(
                    table.get("os", _empty_map(table.line)), f"{key}.os", table.line_of("os")
                )
            ),
            architecture=MappingProxyType(aliases),
            variant=MappingProxyType(variants),
            sort_os_features=self.boolean(
                table, "sort_os_features", f"{key}.sort_os_features", False
            ),
        )

    def compatible(self, node: Any, line: int) -> dict[ArchVariant, tuple[ArchVariant, ...]]:
        if not isinstance(node, yamlfile.MarkedMap):
            raise self.fail(
                node, "compatible", f"must be a mapping, not {yamlfile.describe(node)}", line
            )
        raw: dict[str, tuple[list[str], int]] = {}
        for host_key, items in node.items():
            where = f"compatible.{host_key}"
            key_line = node.line_of(host_key)
            if not isinstance(host_key, str) or not _PLATFORM_KEY.fullmatch(host_key):
                raise self.fail(
                    node, where, "host key must be 'arch' or 'arch/variant' in lower case", key_line
                )
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) for i in items)
            ):
                raise self.fail(
                    node, where, "must be a non-empty list of 'arch[/variant]' strings", key_line
                )
            raw[host_key] = (list(items), key_line)

        expanded: dict[str, tuple[ArchVariant, ...]] = {}

        def expand(host_key: str, stack: tuple[str, ...]) -> tuple[ArchVariant, ...]:
            if host_key in expanded:
                return expanded[host_key]
            items, key_line = raw[host_key]
            out: list[ArchVariant] = []
            for item in items:
                if item.startswith("..."):
                    ref = item[3:]
                    if ref not in raw:
                        raise self.fail(
                            node,
                            f"compatible.{host_key}",
                            f"{item!r} refers to no host key {ref!r}",
                            key_line,
                        )
                    if ref in stack:
                        cycle = " -> ".join((*stack, ref))
                        raise self.fail(node, f"compatible.{host_key}", f"cycle: {cycle}", key_line)
                    out.extend(expand(ref, (*stack, ref)))
                elif _PLATFORM_KEY.fullmatch(item):
                    out.append(_split_key(item))
                else:
                    raise self.fail(
                        node,
                        f"compatible.{host_key}",
                        f"item {item!r} must be 'arch[/variant]' or '...<host key>'",
                        key_line,
                    )
            deduped = tuple(dict.fromkeys(out))
            if deduped[0] != _split_key(host_key):
                raise self.fail(
                    node,
                    f"compatible.{host_key}",
                    f"the first entry must be the host itself ({host_key!r})",
                    key_line,
                )
            expanded[host_key] = deduped
            return deduped

        return {_split_key(k): expand(k, (k,)) for k in raw}

    def unlisted(self, node: Any, line: int) -> dict[str, Unlisted]:
        if node is None:
            return {"*": "exact"}
        table = self.str_map(node, "unlisted", line)
        out: dict[str, Unlisted] = {}
        for arch, strategy in table.items():
            self.check_option(node, arch, f"unlisted.{arch}", strategy, _UNLISTED)
            out["*" if arch == "default" else arch] = cast(Unlisted, strategy)
        out.setdefault("*", "exact")
        return out

    def tie_breaks(self, parent: yamlfile.MarkedMap, k: str, key: str) -> tuple[TieBreak, ...]:
        values = self.str_list(parent, k, key)
        for value in values:
            self.check_option(parent, k, key, value, _TIE_BREAKS)
        return cast(tuple[TieBreak, ...], values)

    def no_platform(self, top: yamlfile.MarkedMap) -> NoPlatform | Platform:
        value = self.string(top, "no_platform", "no_platform", default="last-resort")
        if value in ("last-resort", "last-resort-in-oci-index", "skip"):
            return cast(NoPlatform, value)
        try:
            return Platform.parse(value)
        except Exception:
            raise self.fail(
                top,
                "no_platform",
                f"{value!r} is neither last-resort, last-resort-in-oci-index, skip nor a platform"
                " such as linux/amd64",
                top.line_of("no_platform"),
            ) from None

    def stable_abi(self, node: yamlfile.MarkedMap, key: str) -> StableAbi:
        builds = node.get("ltsc_builds")
        if (
            not isinstance(builds, list)
            or not builds
            or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in builds)
            or list(builds) != sorted(set(builds))
        ):
            raise self.fail(
                node,
                f"{key}.ltsc_builds",
                "must be a non-empty ascending list of build numbers",
                node.line_of("ltsc_builds"),
            )
        floor = self.choice(node, "floor", f"{key}.floor", FLOOR_RULES, "")
        return StableAbi(ltsc_builds=tuple(builds), floor=cast(FloorRule, floor))

    def windows(self, node: Any, line: int) -> WindowsPolicy:
        if node is None:
            return WindowsPolicy(strategy="none")
        section = self.mapping(
            node,
            "windows",
            required=("strategy",),
            optional=(
                "compatible",
                "ltsc_builds",
                "floor",
                "empty_os_version",
                "order",
                "process_isolation",
            ),
            line=line,
        )
        strategy = self.choice(
            section,
            "strategy",
            "windows.strategy",
            ("docker-classic", "stable-abi", "none"),
            "none",
        )
        process_isolation = None
        if "process_isolation" in section:
            pi = self.mapping(
                section["process_isolation"],
                "windows.process_isolation",
                required=("ltsc_builds", "floor"),
                line=section.line_of("process_isolation"),
            )
            process_isolation = self.stable_abi(pi, "windows.process_isolation")
        if strategy == "stable-abi":
            for k in ("ltsc_builds", "floor"):
                if k not in section:
                    raise self.fail(section, "windows", f"strategy stable-abi needs {k!r}")
            return WindowsPolicy(
                strategy="stable-abi",
                compatible=cast(
                    Any,
                    self.choice(
                        section, "compatible", "windows.compatible", ("table", "exact"), "table"
                    ),
                ),
                stable_abi=self.stable_abi(section, "windows"),
                empty_os_version=cast(
                    Any,
                    self.choice(
                        section,
                        "empty_os_version",
                        "windows.empty_os_version",
                        ("match", "reject"),
                        "match",
                    ),
                ),
                order=self.tie_breaks(section, "order", "windows.order"),
            )
        for k in ("compatible", "ltsc_builds", "floor", "empty_os_version", "order"):
            if k in section:
                raise self.fail(
                    section,
                    f"windows.{k}",
                    f"only applies to strategy stable-abi, not {strategy}",
                    section.line_of(k),
                )
        if strategy == "docker-classic" and process_isolation is None:
            raise self.fail(section, "windows", "strategy docker-classic needs 'process_isolation'")
        return WindowsPolicy(
            strategy=cast(WindowsStrategy, strategy), process_isolation=process_isolation
        )


def _split_key(key: str) -> ArchVariant:
    arch, _, variant = key.partition("/")
    return arch, variant


def _empty_map(line: int) -> yamlfile.MarkedMap:
    empty = yamlfile.MarkedMap()
    empty.line = line
    empty.key_lines = {}
    return empty
