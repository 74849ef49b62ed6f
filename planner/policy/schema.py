"""The rule-file schema: every key, its type, its allowed values and its default, once.

``rules/README.md`` explains these keys for people; the loader
(:mod:`planner.policy.loader`) takes every enum and default from here, and
:func:`json_schema` turns the same table into the JSON Schema that
``pull-planner schema rules`` prints. A test checks that every key below is
documented in ``rules/README.md`` and read by the loader.

Paths are dotted; ``<side>`` stands for ``host`` or ``candidates``, ``<host>``
for a host key such as ``arm64/v8``, ``<alias>`` and ``<arch>`` for an
architecture name.
"""

from __future__ import annotations

from typing import Any, Literal

from planner.model.record import dataclass
from planner.policy.stable_abi import FLOOR_RULES

Kind = Literal[
    "integer",
    "string",
    "strings",
    "boolean",
    "enum",
    "enums",
    "builds",
    "string-map",
    "platform-list",
    "table",
    "enum-or-platform",
    "range-list",
]


@dataclass(frozen=True)
class Key:
    """One key of a rule file."""

    path: str
    kind: Kind
    doc: str
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False


LOCAL_KEYS: tuple[Key, ...] = (
    Key(
        "local",
        "table",
        "how the engine detects its own host (the platform a pull with no platform asked"
        " uses), per release; absent: not known, the plain os/architecture",
    ),
    Key(
        "local.engine",
        "string",
        "the engine's name in the how lines (Docker, containerd, containers/image, crane)",
        required=True,
    ),
    Key(
        "local.strategy",
        "enum",
        "whose code reads the machine: containerd (cpuVariant/getCPUVariant, arm and arm64 only);"
        " containers-image (getCPUVariant/getCPUVariantArm); fixed (local.platform whatever the host)",
        choices=("containerd", "containers-image", "fixed"),
        required=True,
    ),
    Key(
        "local.platform",
        "string",
        "fixed (required there): the platform, whatever the host (crane: linux/amd64)",
    ),
    Key(
        "local.source",
        "string",
        "fixed (required there): where that platform comes from, for the how line",
    ),
    Key(
        "local.normalize",
        "enum",
        "host = the detected platform goes through normalize.host (containerd Normalize:"
        " arm64/v8 is arm64); none = kept as detected",
        choices=("host", "none"),
        default="none",
    ),
    Key(
        "local.keeps",
        "strings",
        "normalize none: detected arch/variant values the how line says are kept (arm64/v8)",
        default=(),
    ),
    Key(
        "local.x86_level",
        "enum",
        "amd64: none = no x86-64 level; cpuinfo-flags = the level go-archvariant AMD64Variant"
        " finds, read from processor 0's cpuinfo flags (local.x86_levels)",
        choices=("none", "cpuinfo-flags"),
        default="none",
    ),
    Key(
        "local.x86_level_how",
        "string",
        "amd64: what the engine does with the level, cited, for the how line",
        default="",
    ),
    Key(
        "local.x86_levels",
        "table",
        "cpuinfo-flags (required there): each level above v1 (v2, v3, v4), ascending -> the"
        " cpuinfo flags it adds",
    ),
    Key(
        "local.x86_levels.<level>",
        "strings",
        "the cpuinfo flags a level needs besides those of the levels below",
        required=True,
    ),
    Key(
        "local.cpu_variants",
        "string-map",
        "arm and arm64: cpuinfo 'CPU architecture' value (lower-case) -> variant ('8': v8)",
        default={},
    ),
    Key(
        "local.cpu_variant_default",
        "string",
        "the variant of a 'CPU architecture' value not in cpu_variants ('' = no variant)",
        default="",
    ),
    Key(
        "local.arm_build",
        "table",
        "containerd: what a 32-bit arm build reads differently (moby 20.10's fork: 8 is v7)",
    ),
    Key(
        "local.arm_build.variants",
        "string-map",
        "'CPU architecture' value (lower-case) -> variant in an arm build",
        required=True,
    ),
    Key("local.arm_build.how", "string", "whose code it is, for the how line", required=True),
    Key(
        "local.armv6_compatible",
        "enum",
        "'CPU architecture: 7' with a model name starting armv6-compatible: none = v7;"
        " containerd = v6 in an arm build; containers-image = v6, v7 with another model name,"
        " no variant without one (containers/image 5.30+)",
        choices=("none", "containerd", "containers-image"),
        default="none",
    ),
    Key(
        "local.uname_variants",
        "string-map",
        "containerd: the uname fallback when cpuinfo has no 'CPU architecture' line"
        " (getCPUVariantFromArch): machine -> value; absent: no fallback",
    ),
    Key(
        "local.no_cpu",
        "table",
        "systems whose variant is given without reading a CPU, per architecture",
        default={},
    ),
    Key(
        "local.no_cpu.<system>",
        "string-map",
        "one system: architecture -> variant (windows: {arm64: v8, arm: v7})",
        default={},
    ),
    Key(
        "local.changes",
        "range-list",
        "later releases' changes to the detection, oldest first; each applies from its release",
    ),
    Key(
        "local.changes[].since",
        "string",
        "the first release with the change ('23.0.0')",
        required=True,
    ),
    Key(
        "local.changes[].source",
        "string",
        "where the change comes from (commit, file, function)",
        required=True,
    ),
    Key(
        "local.changes[].set",
        "table",
        "the local keys that change (mappings merged, other values replaced, null removes a key)",
    ),
)

__all__ = [
    "KEYS",
    "SCHEMA_VERSION",
    "TIE_BREAKS",
    "Key",
    "Kind",
    "default",
    "json_schema",
    "key",
    "options",
]

SCHEMA_VERSION = 1

TIE_BREAKS = ("more-os-features", "zstd-first", "os-version-desc", "revision-desc")
"""Tie-breaks among entries of equal rank, before list order (``order``, ``windows.order``)."""

_SIDES = "normalize.<side>"

KEYS: tuple[Key, ...] = (
    Key("schema", "integer", "format version of the file; must be 1", required=True),
    Key(
        "name",
        "string",
        "the rule set's name, as the command line and host profiles name it",
        required=True,
    ),
    Key("summary", "string", "one line: which client and release these rules are", required=True),
    Key("clients", "string", "which clients and releases follow these rules", default=""),
    Key("sources", "strings", "upstream files the rules come from, one per line", default=()),
    Key(
        "releases",
        "string",
        "the release range the top-level rules are, as a version specifier ('>=1.6.0,<1.6.18');"
        " needed with ranges",
    ),
    Key("ranges", "range-list", "later release ranges, oldest first, each as its differences"),
    Key("ranges[].releases", "string", "the range, as a version specifier", required=True),
    Key("ranges[].summary", "string", "one line: which releases, and what changed", required=True),
    Key(
        "ranges[].source",
        "string",
        "where the change comes from (commit, file, function)",
        required=True,
    ),
    Key(
        "ranges[].set",
        "table",
        "the rule keys that change from the previous range (mappings merged, other values"
        " replaced, null removes a key)",
    ),
    Key(
        "aliases", "string-map", "names for single releases (containerd-1.6: '1.6.39')", default={}
    ),
    Key(
        "builds",
        "range-list",
        "distributions' builds that select differently from upstream, named by the release's"
        " version suffix (docker@20.10.24+dfsg1)",
    ),
    Key(
        "builds[].suffix",
        "string",
        "the version suffix naming the build, matched as a prefix ('+dfsg' names '+dfsg1');"
        " starts with '-', '+' or '~'",
        required=True,
    ),
    Key("builds[].releases", "string", "the releases built so, a version specifier", required=True),
    Key("builds[].summary", "string", "one line: whose build, and what differs", required=True),
    Key(
        "builds[].source",
        "string",
        "where the difference comes from (package, build dependency)",
        required=True,
    ),
    Key(
        "builds[].set",
        "table",
        "the rule keys the build changes from its release range's (merged as ranges[].set)",
    ),
    Key("host", "table", "how the client reads the host platform it is given"),
    Key(
        "host.dotted",
        "enum",
        "a '.' in a platform component (linux/arm64/v8.2): accept; reject (an error);"
        " raw-values (not normalized); raw-architecture (the whole 'arch/variant' is the architecture)",
        choices=("accept", "reject", "raw-values", "raw-architecture"),
        default="accept",
    ),
    Key(
        "host.bare",
        "enum",
        "a platform of one word (arm64): an architecture on linux (containerd Parse, Docker),"
        " or os (the word is the OS: podman pull splits the platform at '/')",
        choices=("architecture", "os"),
        default="architecture",
    ),
    Key(
        "host.variant",
        "enum",
        "keep the host's variant, or drop it (podman 4.0-4.2 with a platform given)",
        choices=("keep", "drop"),
        default="keep",
    ),
    *LOCAL_KEYS,
    Key(
        "registry",
        "table",
        "the registry configuration the engine reads (mirrors, short names) and when it moves"
        " to the next endpoint; absent: the engine asks the reference's registry only",
    ),
    Key(
        "registry.config",
        "enums",
        "the formats it reads: containerd-hosts (hosts.toml directories), containerd-config"
        " (config.toml: the CRI plugin's legacy registry.mirrors, or config_path), registries-conf"
        " (containers registries.conf and drop-ins), daemon-json (Docker), registries-yaml (k3s, RKE2)",
        choices=(
            "containerd-hosts",
            "containerd-config",
            "registries-conf",
            "daemon-json",
            "registries-yaml",
        ),
        required=True,
    ),
    Key(
        "registry.short_names",
        "enum",
        "docker-hub: a short name is docker.io/library/NAME; search: aliases, then"
        " unqualified-search-registries under short-name-mode",
        choices=("docker-hub", "search"),
        default="docker-hub",
    ),
    Key(
        "registry.short_name_mode",
        "enum",
        "search only: config takes the configuration's short-name-mode; disabled (every search"
        " registry in order) and enforcing (an ambiguous short name fails) are the engine's own,"
        " whatever the file says (CRI-O: disabled up to 1.33, enforcing from 1.34)",
        choices=("config", "disabled", "enforcing"),
        default="config",
    ),
    Key(
        "registry.fallback",
        "enum",
        "any-error: any failure at an endpoint, a 404 too, moves to the next; mirror-errors: a"
        " mirror's failure does, the registry's own answer is final",
        choices=("any-error", "mirror-errors"),
        default="any-error",
    ),
    Key(
        "registry.source",
        "string",
        "where this behaviour is read from (repository, file, function, release)",
        required=True,
    ),
    Key(
        "requests",
        "table",
        "the registry requests one pull of a tag makes (blobs: one GET each it lacks);"
        " absent: not stated, no pull_requests in results",
    ),
    Key(
        "requests.tag_head",
        "integer",
        "manifest HEADs to resolve the tag to a digest (containerd's resolver, Docker: 1)",
        default=0,
    ),
    Key(
        "requests.tag_get",
        "integer",
        "GETs of the tag's own document (the index, or a single image's manifest)",
        default=1,
    ),
    Key(
        "requests.held",
        "enum",
        "a child manifest the engine already holds: fetched again (containers/image), or"
        " skipped (containerd's content store, Docker 20.10+'s manifest store)",
        choices=("fetched", "skipped"),
        default="fetched",
    ),
    Key(
        "requests.tokens",
        "integer",
        "token requests per pull at a registry that wants a bearer token (none at one that does not)",
        default=1,
    ),
    Key(
        "requests.source",
        "string",
        "where these numbers come from: upstream file and function, or a live measurement",
        required=True,
    ),
    Key(
        "normalize",
        "table",
        "how platform strings are canonicalized before comparing; absent: not at all",
    ),
    Key(
        _SIDES,
        "table",
        "one side's table (host: the platform asked for; candidates: index entries),"
        " or the word none",
        required=True,
    ),
    Key(
        f"{_SIDES}.lowercase",
        "boolean",
        "lower-case os, architecture and variant first",
        default=False,
    ),
    Key(f"{_SIDES}.os", "string-map", "os aliases, e.g. macos: darwin", default={}),
    Key(
        f"{_SIDES}.architecture", "table", "architecture aliases: alias -> {architecture, variant}"
    ),
    Key(f"{_SIDES}.architecture.<alias>", "table", "one alias: what it stands for"),
    Key(f"{_SIDES}.variant", "table", "variant aliases, per architecture"),
    Key(
        f"{_SIDES}.architecture.<alias>.architecture",
        "string",
        "the architecture an alias stands for (x86_64: amd64)",
        required=True,
    ),
    Key(
        f"{_SIDES}.architecture.<alias>.variant",
        "string",
        "the variant the alias forces, even over a given one (armhf: v7); absent: keep the given variant",
    ),
    Key(
        f"{_SIDES}.variant.<arch>",
        "string-map",
        "variant aliases per architecture, after the architecture alias ('8': '' for arm64)",
        default={},
    ),
    Key(
        f"{_SIDES}.sort_os_features",
        "boolean",
        "sort and de-duplicate os.features (containerd/platforms rc.3+)",
        default=False,
    ),
    Key(
        "compatible",
        "table",
        "host key (arch or arch/variant, normalized) -> what that host runs; hosts not listed"
        " follow unlisted",
        required=True,
    ),
    Key(
        "compatible.<host>",
        "platform-list",
        "what a normalized host runs, most preferred first; the first item is the host itself,"
        " '...<host>' splices in another host's list",
        required=True,
    ),
    Key("unlisted", "table", "what hosts missing from compatible run, per architecture"),
    Key(
        "unlisted.<arch>",
        "enum",
        "what a host missing from compatible runs; the key 'default' covers every other architecture",
        choices=("exact", "exact-then-no-variant", "none"),
        default="exact",
    ),
    Key("match", "table", "how an entry's platform is compared with the host's"),
    Key(
        "match.empty_os",
        "enum",
        "an entry without os: host = counts as the host's os; keep = stays empty and matches nothing",
        choices=("host", "keep"),
        default="keep",
    ),
    Key(
        "match.variant",
        "enum",
        "equal = (architecture, variant) must be in the host's list; if-requested = a host without"
        " a variant takes any variant of its architecture; numeric = the host's architecture, a"
        " variant whose number (v dropped, not a number = 0) is at most the host's; its own"
        " first, then larger numbers (regclient)",
        choices=("equal", "if-requested", "numeric"),
        default="equal",
    ),
    Key(
        "match.os_version",
        "enum",
        "windows-strategy = Windows builds are chosen by windows.strategy; ignore = never compared;"
        " equal-if-requested = a host os.version must equal the entry's",
        choices=("windows-strategy", "ignore", "equal-if-requested"),
        default="windows-strategy",
    ),
    Key(
        "match.os_features",
        "enum",
        "subset = an entry's os.features must all be the host's; host-subset = the host's must all"
        " be the entry's; ignore = never compared",
        choices=("subset", "host-subset", "ignore"),
        default="ignore",
    ),
    Key(
        "match.windows_ignored_os_features",
        "strings",
        "entry os.features a Windows host tolerates even when it does not list them (win32k)",
        default=(),
    ),
    Key(
        "match.media_types",
        "enum",
        "images = an entry that is neither an image manifest nor an index is rejected;"
        " any = entries are judged by their platform whatever their media type",
        choices=("images", "any"),
        default="images",
    ),
    Key(
        "match.arch_fallback",
        "strings",
        "architectures whose entries of any variant are taken as a last resort when nothing"
        " matches (Docker 20.10's deprecated partial match for arm)",
        default=(),
    ),
    Key(
        "order",
        "enums",
        "tie-breaks among entries of equal rank, in order; then list order",
        choices=TIE_BREAKS,
        default=(),
    ),
    Key(
        "fails_on",
        "enums",
        "entries the release is known to fail on once it picks them: os-case = an os not"
        " written in lower case (Docker 20.10: no layer store for it, dockerd panics)",
        choices=("os-case",),
        default=(),
    ),
    Key(
        "no_platform",
        "enum-or-platform",
        "an entry without a platform: last-resort = taken after every match;"
        " last-resort-in-oci-index = so, in OCI indexes only; skip = never; a platform such as"
        " linux/amd64 = judged as that platform",
        choices=("last-resort", "last-resort-in-oci-index", "skip"),
        default="last-resort",
    ),
    Key(
        "empty_platform",
        "enum",
        "a platform object with every field empty: missing = treated as no platform;"
        " platform = judged as the empty platform",
        choices=("missing", "platform"),
        default="platform",
    ),
    Key(
        "attestations",
        "enum",
        "attestation manifests (vnd.docker.reference.type): reject = always; by-platform ="
        " judged by their platform (unknown/unknown never matches)",
        choices=("reject", "by-platform"),
        default="by-platform",
    ),
    Key("windows", "table", "how Windows hosts choose among Windows builds; absent: strategy none"),
    Key(
        "windows.strategy",
        "enum",
        "how a Windows host chooses among Windows builds: stable-abi (containerd),"
        " docker-classic (Docker's classic Windows pull), none (builds ignored);"
        " windows absent = none",
        choices=("docker-classic", "stable-abi", "none"),
        required=True,
    ),
    Key(
        "windows.compatible",
        "enum",
        "stable-abi: table = the host's compatible list applies on Windows too;"
        " exact = only the host's own architecture and variant",
        choices=("table", "exact"),
        default="table",
    ),
    Key(
        "windows.ltsc_builds",
        "builds",
        "stable-abi: the stable-ABI LTSC builds, ascending (20348, 26100)",
    ),
    Key(
        "windows.floor",
        "enum",
        "stable-abi: the oldest build a newer host runs: the LTSC at or below the host,"
        " strictly below it, or the one before the last at or below it",
        choices=FLOOR_RULES,
    ),
    Key(
        "windows.empty_os_version",
        "enum",
        "stable-abi: a Windows entry without os.version: match or reject",
        choices=("match", "reject"),
        default="match",
    ),
    Key(
        "windows.missing_host_build",
        "enum",
        "stable-abi: a Windows host without os.version: error, or any-build (every Windows"
        " build matches, list order)",
        choices=("error", "any-build"),
        default="error",
    ),
    Key(
        "windows.entry_os",
        "enum",
        "stable-abi: on a Windows host with its build, an entry's os is normalized (an empty os"
        " is the host's) or compared as written with windows",
        choices=("normalized", "as-written"),
        default="normalized",
    ),
    Key(
        "windows.order",
        "enums",
        "stable-abi: tie-breaks among Windows matches (instead of order)",
        choices=TIE_BREAKS,
        default=(),
    ),
    Key(
        "windows.process_isolation",
        "table",
        "docker-classic (required there): the process-isolation window, for warnings and checks",
    ),
    Key(
        "windows.process_isolation.ltsc_builds",
        "builds",
        "docker-classic: LTSC builds of the process-isolation window, to tell whether the chosen"
        " older build runs without Hyper-V",
        required=True,
    ),
    Key(
        "windows.process_isolation.floor",
        "enum",
        "docker-classic: the floor of that window",
        choices=FLOOR_RULES,
        required=True,
    ),
)

_BY_PATH = {k.path: k for k in KEYS}


def key(path: str) -> Key:
    """The schema entry of a key path (``match.variant``)."""
    return _BY_PATH[path]


def options(path: str) -> tuple[str, ...]:
    return _BY_PATH[path].choices


def default(path: str) -> Any:
    return _BY_PATH[path].default


# --------------------------------------------------------------------------- the JSON Schema
# The JSON Schema of a rule file, built from KEYS (``pull-planner schema rules``).

_HOST_KEY = r"^[a-z0-9_-]+(/[a-z0-9_.-]+)?$"
_ITEM = r"^(\.\.\.)?[a-z0-9_-]+(/[a-z0-9_.-]+)?$"


def _leaf(k: Key) -> dict[str, Any]:
    out: dict[str, Any]
    if k.kind == "integer" and k.path == "schema":
        out = {"const": SCHEMA_VERSION}
    elif k.kind == "integer":
        out = {"type": "integer", "minimum": 0, "maximum": 9}
    elif k.kind == "string":
        out = {"type": "string"}
    elif k.kind == "strings":
        out = {"type": "array", "items": {"type": "string"}}
    elif k.kind == "boolean":
        out = {"type": "boolean"}
    elif k.kind == "enum":
        out = {"enum": list(k.choices)}
    elif k.kind == "enums":
        out = {"type": "array", "items": {"enum": list(k.choices)}}
    elif k.kind == "builds":  # [] is meaningful for windows.ltsc_builds: exact builds only
        out = {"type": "array", "items": {"type": "integer", "minimum": 1}}
        if k.required:
            out["minItems"] = 1
    elif k.kind == "string-map":
        out = {"type": "object", "additionalProperties": {"type": "string"}}
    elif k.kind == "platform-list":
        out = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _ITEM}}
    elif k.kind == "enum-or-platform":
        out = {"anyOf": [{"enum": list(k.choices)}, {"type": "string", "pattern": "/"}]}
    elif k.kind == "range-list":
        out = {"type": "array", "items": _table(k.path + "[]")}
    else:  # a table: its children are added by _table
        out = {"type": "object", "additionalProperties": False, "properties": {}}
    out["description"] = k.doc
    if k.default not in (None, (), {}, ""):
        out["default"] = k.default
    return out


def _table(prefix: str, doc: str = "") -> dict[str, Any]:
    """The object schema of the keys under ``prefix`` (``<...>`` keys become additionalProperties)."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
    if doc:
        out["description"] = doc
    required = []
    names: dict[str, list[Key]] = {}
    for k in KEYS:
        rest = k.path[len(prefix) + 1 :] if prefix else k.path
        if prefix and not k.path.startswith(prefix + "."):
            continue
        names.setdefault(rest.split(".", 1)[0], []).append(k)
    names = {n: ks for n, ks in names.items() if not n.endswith("[]")}  # item keys: range-list
    for name, keys in names.items():
        direct = next((k for k in keys if k.path == f"{prefix}.{name}".lstrip(".")), None)
        full = f"{prefix}.{name}".lstrip(".")
        if direct is not None and direct.kind != "table":
            sub = _leaf(direct)
        elif direct is not None and len(keys) == 1:  # a table whose keys are rule keys (set)
            sub = {"type": "object", "description": direct.doc}
        else:
            sub = _table(full, direct.doc if direct is not None else "")
        if name.startswith("<"):
            if name == "<host>":
                out["propertyNames"] = {"pattern": _HOST_KEY}
            out["additionalProperties"] = sub
        else:
            out["properties"][name] = sub
            if direct is not None and direct.required:
                required.append(name)
    if required:
        out["required"] = required
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a rule file, built from :data:`KEYS`."""
    schema = _table("")
    sides = schema["properties"]["normalize"]
    side = sides.pop("additionalProperties")
    sides["properties"] = {"host": {"oneOf": [{"const": "none"}, side]}, "candidates": None}
    sides["properties"]["candidates"] = sides["properties"]["host"]
    sides["required"] = ["host", "candidates"]
    sides["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://pull-planner.invalid/schema/rules.json",
        "title": "pull-planner rule file",
        **schema,
    }
