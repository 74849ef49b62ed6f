"""The rule-file schema, its JSON Schema, rules/README.md and the loader agree.

* ``pull-planner schema rules`` is a valid JSON Schema that accepts every shipped
  rule file and refuses broken ones;
* every key of planner.policy.schema is documented in rules/README.md, with its
  values and its default;
* every key is read by the loader: setting it to a value other than its
  default changes the loaded rule set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from planner.cli import main
from planner.policy import schema
from planner.policy.catalog import available_rule_sets, rules_dir
from planner.policy.loader import load_rules
from planner.policy.ruleset import RuleSet

README = (Path(__file__).resolve().parent.parent / "rules" / "README.md").read_text()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        assert main(["schema", "rules"]) == 0
    document = json.loads(out.getvalue())
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize("name", available_rule_sets())
def test_shipped_rule_files_validate(validator: jsonschema.Draft202012Validator, name: str) -> None:
    data = yaml.safe_load((rules_dir() / f"{name}.yaml").read_text())
    assert [e.message for e in validator.iter_errors(data)] == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.update(match={"variant": "fuzzy"}), "unknown enum value"),
        (lambda d: d.update(compatibel={}), "unknown top-level key"),
        (lambda d: d.pop("compatible"), "missing required key"),
        (lambda d: d["compatible"].update({"Linux/Arm64": ["arm64"]}), "bad host key"),
        (lambda d: d.update(windows={"floor": "previous-ltsc"}), "windows without strategy"),
        (lambda d: d.update(normalize={"host": "none"}), "normalize without candidates"),
        (lambda d: d.update(order=["newest"]), "unknown tie-break"),
    ],
)
def test_schema_refuses_broken_files(
    validator: jsonschema.Draft202012Validator, change: Callable[[dict[str, Any]], Any], why: str
) -> None:
    data = yaml.safe_load((rules_dir() / "docker.yaml").read_text())
    change(data)
    assert list(validator.iter_errors(data)), why


def _readme_rows() -> dict[str, str]:
    rows = {}
    for line in README.splitlines():
        match = re.match(r"\| `([^`]+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.parametrize("key", schema.KEYS, ids=lambda k: k.path)
def test_every_key_is_documented(key: schema.Key) -> None:
    rows = _readme_rows()
    assert key.path in rows, f"rules/README.md has no row for `{key.path}`"
    row = rows[key.path]
    for choice in key.choices:
        assert f"`{choice}`" in row, f"`{choice}` of {key.path} is not in its README row"
    if isinstance(key.default, (str, bool)) and key.default not in ("",):
        shown = str(key.default).lower() if isinstance(key.default, bool) else key.default
        assert f"`{shown}`" in row, f"the default of {key.path} is not in its README row"


BASE = """\
schema: 1
name: base
summary: s
compatible:
  amd64: [amd64]
"""

_SIDE = "normalize:\n  host: {host}\n  candidates: none\n"


def _local(extra: str = "", strategy: str = "containerd") -> str:
    """A ``local`` block with the two required keys and ``extra`` (``, key: value``)."""
    return f"local: {{engine: e, strategy: {strategy}{extra}}}\n"


_FIXED = ", platform: linux/amd64, source: s"
_CHANGE = ", changes: [{{since: '{since}', source: {source}, set: {{engine: {engine}}}}}]"

# key path -> (YAML added to BASE, what it changes in the RuleSet)
READS: dict[str, tuple[str, Callable[[RuleSet], Any]]] = {
    "schema": ("", lambda r: r.name),  # checked by test_broken_rule_files in test_rulesets
    "name": ("", lambda r: r.name),
    "summary": ("", lambda r: r.summary),
    "clients": ("clients: docker 1.0\n", lambda r: r.clients),
    "sources": ("sources: [moby/moby x.go]\n", lambda r: r.sources),
    "normalize": (_SIDE.format(host="{lowercase: true}"), lambda r: r.host_normalizer),
    "normalize.<side>": (_SIDE.format(host="{lowercase: true}"), lambda r: r.host_normalizer),
    "normalize.<side>.lowercase": (
        _SIDE.format(host="{lowercase: true}"),
        lambda r: r.host_normalizer.lowercase,
    ),
    "normalize.<side>.os": (
        _SIDE.format(host="{os: {macos: darwin}}"),
        lambda r: dict(r.host_normalizer.os),
    ),
    "normalize.<side>.architecture": (
        _SIDE.format(host="{architecture: {x86_64: {architecture: amd64}}}"),
        lambda r: dict(r.host_normalizer.architecture),
    ),
    "normalize.<side>.architecture.<alias>": (
        _SIDE.format(host="{architecture: {x86_64: {architecture: amd64}}}"),
        lambda r: dict(r.host_normalizer.architecture),
    ),
    "normalize.<side>.architecture.<alias>.architecture": (
        _SIDE.format(host="{architecture: {x86_64: {architecture: amd64}}}"),
        lambda r: [a.architecture for a in r.host_normalizer.architecture.values()],
    ),
    "normalize.<side>.architecture.<alias>.variant": (
        _SIDE.format(host="{architecture: {armhf: {architecture: arm, variant: v7}}}"),
        lambda r: [a.variant for a in r.host_normalizer.architecture.values()],
    ),
    "normalize.<side>.variant": (
        _SIDE.format(host="{variant: {arm: {'': v7}}}"),
        lambda r: {k: dict(v) for k, v in r.host_normalizer.variant.items()},
    ),
    "normalize.<side>.variant.<arch>": (
        _SIDE.format(host="{variant: {arm: {'': v7}}}"),
        lambda r: {k: dict(v) for k, v in r.host_normalizer.variant.items()},
    ),
    "normalize.<side>.sort_os_features": (
        _SIDE.format(host="{sort_os_features: true}"),
        lambda r: r.host_normalizer.sort_os_features,
    ),
    "compatible": ("  arm/v7: [arm/v7, arm/v6]\n", lambda r: dict(r.compatible)),
    "compatible.<host>": ("  arm/v7: [arm/v7, arm/v6]\n", lambda r: dict(r.compatible)),
    "unlisted": ("unlisted: {default: none}\n", lambda r: dict(r.unlisted)),
    "unlisted.<arch>": ("unlisted: {arm64: none}\n", lambda r: dict(r.unlisted)),
    "match": ("match: {empty_os: host}\n", lambda r: r.empty_os),
    "match.empty_os": ("match: {empty_os: host}\n", lambda r: r.empty_os),
    "match.variant": ("match: {variant: if-requested}\n", lambda r: r.variant_match),
    "match.os_version": ("match: {os_version: ignore}\n", lambda r: r.os_version_match),
    "match.os_features": ("match: {os_features: subset}\n", lambda r: r.os_features_match),
    "match.windows_ignored_os_features": (
        "match: {windows_ignored_os_features: [win32k]}\n",
        lambda r: r.windows_ignored_os_features,
    ),
    "order": ("order: [zstd-first]\n", lambda r: r.order),
    "match.arch_fallback": ("match: {arch_fallback: [arm]}\n", lambda r: r.arch_fallback),
    "match.media_types": ("match: {media_types: any}\n", lambda r: r.media_types),
    "no_platform": ("no_platform: skip\n", lambda r: r.no_platform),
    "empty_platform": ("empty_platform: missing\n", lambda r: r.empty_platform_is_missing),
    "attestations": ("attestations: reject\n", lambda r: r.attestations),
    "host": ("host: {variant: drop}\n", lambda r: r.host_rules),
    "host.dotted": ("host: {dotted: reject}\n", lambda r: r.host_rules.dotted),
    "host.variant": ("host: {variant: drop}\n", lambda r: r.host_rules.variant),
    "host.bare": ("host: {bare: os}\n", lambda r: r.host_rules.bare),
    "fails_on": ("fails_on: [os-case]\n", lambda r: r.fails_on),
    "windows.missing_host_build": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc,"
        " missing_host_build: any-build}\n",
        lambda r: r.windows.missing_host_build,
    ),
    "windows.entry_os": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc,"
        " entry_os: as-written}\n",
        lambda r: r.windows.entry_os,
    ),
    "local": (_local(), lambda r: r.local),
    "registry": ("registry: {config: [containerd-hosts], source: s}\n", lambda r: r.registry),
    "requests": ("requests: {source: s}\n", lambda r: r.requests),
    "requests.tag_head": ("requests: {source: s, tag_head: 1}\n", lambda r: r.requests.tag_head),
    "requests.tag_get": ("requests: {source: s, tag_get: 2}\n", lambda r: r.requests.tag_get),
    "requests.held": ("requests: {source: s, held: skipped}\n", lambda r: r.requests.held),
    "requests.tokens": ("requests: {source: s, tokens: 0}\n", lambda r: r.requests.tokens),
    "requests.source": ("requests: {source: t}\n", lambda r: r.requests.source),
    "registry.config": (
        "registry: {config: [daemon-json], source: s}\n",
        lambda r: r.registry.config,
    ),
    "registry.short_names": (
        "registry: {config: [containerd-hosts], source: s, short_names: search}\n",
        lambda r: r.registry.short_names,
    ),
    "registry.short_name_mode": (
        "registry: {config: [containerd-hosts], source: s, short_name_mode: enforcing}\n",
        lambda r: r.registry.short_name_mode,
    ),
    "registry.fallback": (
        "registry: {config: [containerd-hosts], source: s, fallback: mirror-errors}\n",
        lambda r: r.registry.fallback,
    ),
    "registry.source": (
        "registry: {config: [containerd-hosts], source: t}\n",
        lambda r: r.registry.source,
    ),
    "local.engine": (_local().replace("engine: e", "engine: f"), lambda r: r.local.base.engine),
    "local.strategy": (_local(strategy="containers-image"), lambda r: r.local.base.strategy),
    "local.platform": (
        _local(_FIXED.replace("amd64", "arm64"), "fixed"),
        lambda r: r.local.base.platform,
    ),
    "local.source": (
        _local(_FIXED.replace("source: s", "source: t"), "fixed"),
        lambda r: r.local.base.source,
    ),
    "local.normalize": (_local(", normalize: host"), lambda r: r.local.base.normalize),
    "local.keeps": (_local(", keeps: [arm64/v8]"), lambda r: r.local.base.keeps),
    "local.x86_level": (
        _local(", x86_level: cpuinfo-flags, x86_levels: {v2: [popcnt]}"),
        lambda r: r.local.base.x86_level,
    ),
    "local.x86_level_how": (_local(", x86_level_how: h"), lambda r: r.local.base.x86_level_how),
    "local.x86_levels": (_local(", x86_levels: {v2: [popcnt]}"), lambda r: r.local.base.x86_levels),
    "local.x86_levels.<level>": (
        _local(", x86_levels: {v2: [popcnt]}"),
        lambda r: r.local.base.x86_levels,
    ),
    "local.cpu_variants": (
        _local(", cpu_variants: {'8': v8}"),
        lambda r: dict(r.local.base.cpu_variants),
    ),
    "local.cpu_variant_default": (
        _local(", cpu_variant_default: unknown"),
        lambda r: r.local.base.cpu_variant_default,
    ),
    "local.arm_build": (
        _local(", arm_build: {variants: {'8': v7}, how: h}"),
        lambda r: r.local.base.arm_build,
    ),
    "local.arm_build.variants": (
        _local(", arm_build: {variants: {'8': v7}, how: h}"),
        lambda r: dict(r.local.base.arm_build.variants),
    ),
    "local.arm_build.how": (
        _local(", arm_build: {variants: {'8': v7}, how: h2}"),
        lambda r: r.local.base.arm_build.how,
    ),
    "local.armv6_compatible": (
        _local(", armv6_compatible: containerd"),
        lambda r: r.local.base.armv6_compatible,
    ),
    "local.uname_variants": (
        _local(", uname_variants: {aarch64: '8'}"),
        lambda r: r.local.base.uname_variants,
    ),
    "local.no_cpu": (
        _local(", no_cpu: {windows: {arm64: v8}}"),
        lambda r: {k: dict(v) for k, v in r.local.base.no_cpu.items()},
    ),
    "local.no_cpu.<system>": (
        _local(", no_cpu: {windows: {arm64: v8}}"),
        lambda r: {k: dict(v) for k, v in r.local.base.no_cpu.items()},
    ),
    "local.changes": (
        _local(_CHANGE.format(since="2", source="s", engine="f")),
        lambda r: r.local.changes,
    ),
    "local.changes[].since": (
        _local(_CHANGE.format(since="3", source="s", engine="f")),
        lambda r: [c.since for c in r.local.changes],
    ),
    "local.changes[].source": (
        _local(_CHANGE.format(since="2", source="t", engine="f")),
        lambda r: [c.source for c in r.local.changes],
    ),
    "local.changes[].set": (
        _local(_CHANGE.format(since="2", source="s", engine="g")),
        lambda r: [c.detection.engine for c in r.local.changes],
    ),
    "releases": ("releases: '>=1.0'\n", lambda r: r.releases),
    "ranges": (
        "releases: '>=1.0,<2'\nranges:\n  - {releases: '>=2', summary: two, source: x,"
        " set: {clients: two}}\n",
        lambda r: (r.summary, r.releases),
    ),
    "ranges[].releases": (
        "releases: '>=1.0,<2'\nranges:\n  - {releases: '>=2', summary: two, source: x}\n",
        lambda r: r.releases,
    ),
    "ranges[].summary": (
        "releases: '>=1.0,<2'\nranges:\n  - {releases: '>=2', summary: two, source: x}\n",
        lambda r: r.summary,
    ),
    "ranges[].source": (
        "releases: '>=1.0,<2'\nranges:\n  - {releases: '>=2', summary: two, source: x}\n",
        lambda r: r.range_source,
    ),
    "ranges[].set": (
        "releases: '>=1.0,<2'\nranges:\n  - {releases: '>=2', summary: two, source: x,"
        " set: {attestations: reject}}\n",
        lambda r: r.attestations,
    ),
    # read by the catalog for shipped families: tests/test_engines.py test_aliases_name_a_release
    "aliases": ("", lambda r: r.name),
    # read by the family for a release with the build's suffix: tests/test_engines.py
    # test_a_build_suffix_takes_the_build
    "builds": ("", lambda r: r.name),
    "builds[].suffix": ("", lambda r: r.name),
    "builds[].releases": ("", lambda r: r.name),
    "builds[].summary": ("", lambda r: r.name),
    "builds[].source": ("", lambda r: r.name),
    "builds[].set": ("", lambda r: r.name),
    "windows": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348],"
        " floor: previous-ltsc}}\n",
        lambda r: r.windows,
    ),
    "windows.strategy": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
        lambda r: r.windows.strategy,
    ),
    "windows.compatible": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc,"
        " compatible: exact}\n",
        lambda r: r.windows.compatible,
    ),
    "windows.ltsc_builds": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348, 26100], floor: previous-ltsc}\n",
        lambda r: r.windows.stable_abi,
    ),
    "windows.floor": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: largest-below-host}\n",
        lambda r: r.windows.stable_abi,
    ),
    "windows.empty_os_version": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc,"
        " empty_os_version: reject}\n",
        lambda r: r.windows.empty_os_version,
    ),
    "windows.order": (
        "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc,"
        " order: [os-version-desc]}\n",
        lambda r: r.windows.order,
    ),
    "windows.process_isolation": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348],"
        " floor: previous-ltsc}}\n",
        lambda r: r.windows.process_isolation,
    ),
    "windows.process_isolation.ltsc_builds": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348, 26100],"
        " floor: previous-ltsc}}\n",
        lambda r: r.windows.process_isolation,
    ),
    "windows.process_isolation.floor": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348],"
        " floor: largest-below-host}}\n",
        lambda r: r.windows.process_isolation,
    ),
}

# For the windows.* keys the baseline is a valid file of the same strategy with that key
# at another value, so that the change seen is the key's own.
BASELINES = {
    "windows.missing_host_build": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.entry_os": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.strategy": "windows: {strategy: none}\n",
    "windows.compatible": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.ltsc_builds": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.floor": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.empty_os_version": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.order": "windows: {strategy: stable-abi, ltsc_builds: [20348], floor: previous-ltsc}\n",
    "windows.process_isolation.ltsc_builds": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348],"
        " floor: previous-ltsc}}\n"
    ),
    "windows.process_isolation.floor": (
        "windows: {strategy: docker-classic, process_isolation: {ltsc_builds: [20348],"
        " floor: previous-ltsc}}\n"
    ),
    "windows": "",
    "windows.process_isolation": "",
    **{
        path: "requests: {source: s}\n"
        for path in (
            "requests.tag_head",
            "requests.tag_get",
            "requests.held",
            "requests.tokens",
            "requests.source",
        )
    },
    **{
        path: "registry: {config: [containerd-hosts], source: s}\n"
        for path in (
            "registry.config",
            "registry.short_names",
            "registry.short_name_mode",
            "registry.fallback",
            "registry.source",
        )
    },
    # for local.* the baseline is a local block with that key at another value
    **{
        path: _local()
        for path in (
            "local.engine",
            "local.strategy",
            "local.normalize",
            "local.keeps",
            "local.x86_level_how",
            "local.x86_levels",
            "local.cpu_variants",
            "local.cpu_variant_default",
            "local.arm_build",
            "local.armv6_compatible",
            "local.uname_variants",
            "local.no_cpu",
            "local.changes",
        )
    },
    "local.platform": _local(_FIXED, "fixed"),
    "local.source": _local(_FIXED, "fixed"),
    "local.x86_level": _local(", x86_levels: {v2: [popcnt]}"),
    "local.x86_levels.<level>": _local(", x86_levels: {v2: [cx16]}"),
    "local.arm_build.variants": _local(", arm_build: {variants: {'8': v8}, how: h}"),
    "local.arm_build.how": _local(", arm_build: {variants: {'8': v7}, how: h}"),
    "local.no_cpu.<system>": _local(", no_cpu: {windows: {arm: v7}}"),
    "local.changes[].since": _local(_CHANGE.format(since="2", source="s", engine="f")),
    "local.changes[].source": _local(_CHANGE.format(since="2", source="s", engine="f")),
    "local.changes[].set": _local(_CHANGE.format(since="2", source="s", engine="f")),
}


def _load(tmp_path: Path, name: str, extra: str) -> RuleSet:
    path = tmp_path / f"{name}.yaml"
    path.write_text(BASE + extra)
    return load_rules(path)


def test_every_schema_key_has_a_read_check() -> None:
    assert set(READS) == {k.path for k in schema.KEYS}


@pytest.mark.parametrize("path", sorted(p for p, (extra, _) in READS.items() if extra))
def test_every_key_is_read_by_the_loader(tmp_path: Path, path: str) -> None:
    extra, attribute = READS[path]
    before = attribute(_load(tmp_path, "before", BASELINES.get(path, "")))
    after = attribute(_load(tmp_path, "after", extra))
    assert before != after, f"setting {path} changed nothing the loader returns"


def test_defaults_are_the_schema_defaults(tmp_path: Path) -> None:
    """A file that names no optional key loads with exactly the schema's defaults."""
    rules = _load(tmp_path, "plain", "")
    assert rules.clients == schema.default("clients")
    assert rules.empty_os == schema.default("match.empty_os")
    assert rules.variant_match == schema.default("match.variant")
    assert rules.os_version_match == schema.default("match.os_version")
    assert rules.os_features_match == schema.default("match.os_features")
    assert rules.no_platform == schema.default("no_platform")
    assert rules.attestations == schema.default("attestations")
    assert rules.empty_platform_is_missing is (schema.default("empty_platform") == "missing")
    assert rules.unlisted == {"*": schema.default("unlisted.<arch>")}
    assert rules.windows.strategy == "none"
