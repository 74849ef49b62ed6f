"""The rule-file keys of ``local``: how an engine detects its own host, per release.

Part of :data:`planner.policy.schema.KEYS`; read by :mod:`planner.policy.detection`,
documented in ``rules/README.md`` (section ``local``).
"""

from __future__ import annotations

from planner.policy.schema_key import Key

__all__ = ["LOCAL_KEYS"]

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
