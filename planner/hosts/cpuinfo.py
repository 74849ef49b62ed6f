"""This machine's CPU as engines read it: /proc/cpuinfo lines, the x86-64 level, the ARM variant.

Pure functions over the text of ``/proc/cpuinfo`` and the uname machine, each
following one engine's code (cited per function). They are mechanisms only:
which one runs and every table and rule it is told (variant tables, the uname
fallback, the armv6-compatible rule, systems read without a CPU, x86-64 levels)
come from the rule file's ``local`` block (:class:`planner.policy.detection.Detection`),
which :mod:`planner.hosts.local` applies.

* :class:`CpuInfo` reads lines as containerd's and containers/image's
  ``getCPUInfo`` do: the first line, of any processor, whose text before the
  first ``:`` is the key (ASCII case-insensitively, spaces trimmed), and its
  value is the text up to the next ``:``.
* :func:`x86_level` is go-archvariant's ``AMD64Variant`` (the psABI levels, as
  GOAMD64 defines them) computed from the ``flags`` line of processor 0 rather
  than from CPUID. Linux names three CPUID bits differently: SSE3 is ``pni``,
  LZCNT is ``abm``, and OSXSAVE is never listed (the kernel hides the bit), so
  ``xsave`` stands for it: the kernel sets CR4.OSXSAVE whenever it lists
  ``xsave``. The XGETBV checks (the OS saves YMM, and opmask/ZMM for v4) are
  met whenever ``avx`` and ``avx512*`` are listed: the kernel clears those flags
  when it does not manage their state.
* :func:`containerd_variant` is containerd's ``getCPUVariant`` (platforms
  ``cpuinfo_linux.go``; the 1.6.0-1.6.21 ``cpuinfo.go``; moby 20.10's fork):
  ``local.strategy: containerd``.
* :func:`cimage_variant` is containers/image's ``getCPUVariant`` (G0, 5.30's
  armv6-compatible rule, 5.31's darwin rule): ``local.strategy: containers-image``.
"""

from __future__ import annotations

from collections.abc import Mapping

from planner.model.record import dataclass
from planner.model.text import go_int
from planner.policy.detection import Detection

__all__ = [
    "X86_LEVELS",
    "CpuInfo",
    "Detected",
    "X86Level",
    "cimage_variant",
    "containerd_variant",
    "go_arch",
    "x86_level",
]

# What Go's strings.TrimSpace removes (unicode.IsSpace); Python's strip() also removes \x1c-\x1f.
_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

_GO_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "x64": "amd64",
    "i386": "386",
    "i486": "386",
    "i586": "386",
    "i686": "386",
    "x86": "386",
    "aarch64": "arm64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "loongarch64": "loong64",
    "mips64": "mips64",
    "mips": "mips",
}


def go_arch(machine: str) -> str | None:
    """The GOARCH an engine built for this uname machine has (``armv7l`` -> ``arm``), or None."""
    lowered = machine.lower()
    if lowered == "arm" or lowered.startswith("armv"):
        return "arm"
    return _GO_ARCH.get(lowered)


@dataclass(frozen=True)
class CpuInfo:
    """The text of a ``/proc/cpuinfo``, read the way the engines read it."""

    text: str

    def first(self, key: str) -> str | None:
        """The value of the first line whose key is ``key``, or None (Go ``getCPUInfo``).

        As in Go, ``strings.Split(line, ":")`` then element 1: the value stops at a
        second ``:``. Lines end at ``\\n`` with a trailing ``\\r`` dropped (bufio.ScanLines).
        """
        wanted = key.lower()
        for line in self.text.split("\n"):
            parts = line.removesuffix("\r").split(":")
            if len(parts) > 1 and parts[0].strip(_GO_SPACE).lower() == wanted:
                return parts[1].strip(_GO_SPACE)
        return None


# Each level and the flags it adds, as Linux names them (_CPUID_NAME: where CPUID differs):
# the x86-64 psABI levels, which pull-planner names a CPU by. What an engine checks is its
# rule file's local.x86_levels (go-archvariant's are these).
X86_LEVELS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (2, ("cx16", "lahf_lm", "pni", "popcnt", "sse4_1", "sse4_2", "ssse3")),
    (3, ("abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave")),
    (4, ("avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl")),
)
_CPUID_NAME = {"pni": "sse3", "abm": "lzcnt", "xsave": "osxsave"}


def _flag(name: str) -> str:
    return f"{name} ({_CPUID_NAME[name]})" if name in _CPUID_NAME else name


@dataclass(frozen=True)
class X86Level:
    """An x86-64 microarchitecture level and the flags that decided it."""

    level: int
    """1 to 4 (v1 is plain x86-64)."""
    present: tuple[str, ...]
    """The flags of the level reached (empty for v1)."""
    absent: tuple[str, ...]
    """The flags of the next level that are missing (empty for v4)."""
    cpuid_level: int | None = None
    """The 'cpuid level' line, when it alone decides v1 (a maximum leaf below 7)."""

    @property
    def variant(self) -> str:
        """``v1`` ... ``v4``, as archvariant.AMD64Variant returns it."""
        return f"v{self.level}"

    def describe(self) -> str:
        """``x86-64-v3 (cpuinfo flags ... present; ... absent)``."""
        if self.cpuid_level is not None:
            return f"x86-64-v1 (cpuinfo 'cpuid level: {self.cpuid_level}': no CPUID leaf 7)"
        parts = []
        if self.present:
            parts.append(f"{', '.join(map(_flag, self.present))} present")
        if self.absent:
            parts.append(f"{', '.join(map(_flag, self.absent))} absent")
        return f"x86-64-v{self.level} (cpuinfo flags {'; '.join(parts)})"


def x86_level(
    info: CpuInfo, levels: tuple[tuple[int, tuple[str, ...]], ...] = X86_LEVELS
) -> X86Level | None:
    """go-archvariant's level from processor 0's ``flags`` line; None without one.

    ``levels``: each level and the flags it adds, ascending (a rule file's
    ``local.x86_levels``); by default the psABI ones, :data:`X86_LEVELS`.
    """
    flags_line = info.first("flags")
    if flags_line is None:
        return None
    cpuid = info.first("cpuid level")
    leaf = go_int(cpuid) if cpuid is not None and cpuid.isdigit() else None
    if leaf is not None and leaf < 7:  # detectVersion: leaf 0 < 7
        return X86Level(1, (), (), cpuid_level=leaf)
    flags = set(flags_line.split())
    level = 1
    present: tuple[str, ...] = ()
    for candidate, needed in levels:
        missing = tuple(f for f in needed if f not in flags)
        if missing:
            return X86Level(level, present, missing)
        level, present = candidate, needed
    return X86Level(level, present, ())


@dataclass(frozen=True)
class Detected:
    """A variant as one engine's code finds it, before the engine normalizes it."""

    variant: str
    """``v8``, ``v7``, ``unknown``, or '' (none: not read, or the reading failed)."""
    how: str
    """What was read and what it gave, for the ``how`` lines."""


def _from_uname(machine: str, table: Mapping[str, str]) -> str | None:
    """containerd ``getCPUVariantFromArch``: the machine's value from ``table``, or None.

    The lower-cased machine when listed (``aarch64``), else for an ``armv``
    machine its first five characters (``armv6l`` -> ``armv6``), and ``unknown``
    when those are not listed; any other machine fails.
    """
    arch = machine.lower()
    if arch in table:
        return table[arch]
    if arch.startswith("armv") and len(arch) >= 5:
        return table.get(arch[:5], "unknown")
    return None


def containerd_variant(
    system: str,
    goarch: str,
    machine: str,
    info: CpuInfo | None,
    error: str,
    rules: Detection,
) -> Detected:
    """containerd ``cpuVariant()``: read only for arm and arm64; '' when getCPUVariant fails.

    ``rules`` (the family's ``local`` block at its release) gives the tables:
    ``no_cpu`` (windows, darwin; freebsd from 1.6.22), ``cpu_variants``, the
    Raspberry Pi rule (``armv6_compatible: containerd``), ``uname_variants`` (the
    uname fallback of containerd 1.6.22+ and 1.7.0+, commits 8d5c04543 and
    106e36ec3, when cpuinfo has no ``CPU architecture`` line; without it the
    lookup fails) and ``arm_build`` (Docker 20.10's fork reads ``8`` as v7 in a
    32-bit arm build). An unreadable cpuinfo is an error, with no uname fallback.
    """
    if goarch not in ("arm", "arm64"):
        return Detected("", f"containerd reads a variant only for arm and arm64, not {goarch}")
    if system in rules.no_cpu:
        variant = rules.no_cpu[system].get(goarch, "")
        return Detected(
            variant,
            f"getCPUVariant gives {variant or 'no variant'} on {system}/{goarch}, reading no CPU",
        )
    if system != "linux":
        return Detected("", f"getCPUVariant is not implemented for {system}: no variant")
    if info is None:
        return Detected("", f"getCPUVariant fails ({error}): no variant")
    value = info.first("Cpu architecture")
    said = f"cpuinfo 'CPU architecture: {value}'"
    if value is None:
        if rules.uname_variants is None:
            return Detected(
                "",
                "cpuinfo has no 'CPU architecture' line and this release has no uname"
                " fallback (containerd 1.6.22 and 1.7.0 add it): getCPUVariant fails, no variant",
            )
        value = _from_uname(machine, rules.uname_variants)
        if value is None:
            return Detected(
                "",
                f"cpuinfo has no 'CPU architecture' line and the uname fallback fails on"
                f" machine {machine!r}: no variant",
            )
        said = (
            f"cpuinfo has no 'CPU architecture' line and the uname fallback reads machine"
            f" {machine} as {value}, which"
        )
    armv6 = _armv6(rules, goarch, value, info, said, "getCPUVariant")
    if armv6 is not None:
        return armv6
    build = rules.arm_build
    if build is not None and goarch == "arm" and value.lower() in build.variants:
        variant = build.variants[value.lower()]
        return Detected(variant, f"{said} is {variant} to {build.how}")
    variant = rules.cpu_variants.get(value.lower(), rules.cpu_variant_default)
    return Detected(variant, f"{said} is {variant or 'no variant'} to getCPUVariant")


def cimage_variant(
    system: str,
    goarch: str,
    info: CpuInfo | None,
    error: str,
    rules: Detection,
) -> Detected:
    """containers/image ``getCPUVariant(runtime.GOOS, runtime.GOARCH)``.

    ``rules`` gives ``no_cpu`` (windows always; darwin from 5.31, 44324c2d: arm64
    v8, arm v7 without reading the CPU; no variant for any other arch),
    ``cpu_variants`` and the armv6-compatible rule (``armv6_compatible:
    containers-image``, 5.30+, da7e6b90): ``CPU architecture: 7`` is v6 when the
    model name starts with ``armv6-compatible``, v7 otherwise, and no variant
    without a model name line. There is no uname fallback in any release.
    """
    if system in rules.no_cpu:
        variant = rules.no_cpu[system].get(goarch, "")
        return Detected(
            variant,
            f"getCPUVariant gives {variant or 'no variant'} on {system}/{goarch}, reading no CPU",
        )
    if goarch not in ("arm", "arm64"):
        return Detected(
            "", f"containers/image reads a variant only for arm and arm64, not {goarch}"
        )
    if system != "linux":
        return Detected("", f"getCPUInfo is not implemented for {system}: no variant")
    if info is None:
        return Detected("", f"getCPUInfo fails ({error}): no variant")
    value = info.first("Cpu architecture")
    if value is None:
        return Detected("", "cpuinfo has no 'CPU architecture' line: no variant")
    said = f"cpuinfo 'CPU architecture: {value}'"
    armv6 = _armv6(rules, goarch, value, info, said, "getCPUVariantArm")
    if armv6 is not None:
        return armv6
    variant = rules.cpu_variants.get(value.lower(), rules.cpu_variant_default)
    return Detected(variant, f"{said} is {variant or 'no variant'} to getCPUVariantArm")


def _armv6(
    rules: Detection, goarch: str, value: str, info: CpuInfo, said: str, function: str
) -> Detected | None:
    """``CPU architecture: 7`` and the model name, by ``armv6_compatible``; None: not decided.

    ``containerd`` (every release; moby 20.10's fork too): in an arm build, v6 when
    the model name starts with ``armv6-compatible`` (Raspberry Pi Zero and 1), else
    as the table says. ``containers-image`` (5.30+, da7e6b90): v6 with such a model
    name, v7 with another, no variant without a model name line.
    """
    if rules.armv6_compatible == "none" or value.lower() != "7":
        return None
    model = info.first("model name")
    armv6 = model is not None and model.lower().startswith("armv6-compatible")
    if rules.armv6_compatible == "containerd":
        if goarch != "arm" or not armv6:
            return None
        variant = rules.cpu_variants.get("6", rules.cpu_variant_default)
        how = f"{said} with model name '{model}' (the Raspberry Pi ARMv6 rule)"
        return Detected(variant, f"{how} is {variant or 'no variant'} to {function}")
    if model is None:
        return Detected("", f"{said} without a 'model name' line is no variant to 5.30+ {function}")
    variant = "v6" if armv6 else "v7"
    return Detected(variant, f"{said} with model name '{model}' is {variant} to {function}")
