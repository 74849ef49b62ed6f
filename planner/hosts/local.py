"""This machine as each engine detects it: the host a pull with no platform asked uses.

::

    machine = read_machine()                      # reads /proc/cpuinfo, uname, the OS
    local = machine.host_for(load_rules("docker"))
    local.platform                                # linux/amd64/v3 on a Haswell or newer
    local.how                                     # one line per value: how it was found

:func:`read_machine` reads ``<root>/proc/cpuinfo`` (``root`` is injectable, so
tests feed recorded files of real CPUs) and takes the uname machine and the OS
from :mod:`platform` unless given; nothing is read at import time.
:meth:`Machine.host_for` then follows the code of the rule set's engine, at
its release (``rules.release``; for a bare family, the newest release of the
range, i.e. the newest behaviour):

* the x86-64 level (go-archvariant ``AMD64Variant``): Docker's classic store
  adds it from 23.0.0 (moby 482d1d15bf, ``maximumSpec``) and the containerd
  store from 29.6.0 (944e805706, ``hostPlatformSpec``); Docker 20.10,
  containerd and containers/image never detect it;
* the ARM variant: containerd's ``getCPUVariant`` (Docker uses the one it
  vendors) with its uname fallback from containerd 1.6.22 and 1.7.0 (Docker
  23.0.7+, 24.0.6+, 25+); containers/image's with the armv6-compatible rule
  from 5.30 (podman 5.0, buildah 1.35, skopeo 1.15, CRI-O 1.31) and the
  darwin rule from 5.31;
* containerd-based engines normalize what they detect (``arm64/v8`` is
  ``arm64``); containers/image does not (the host is ``linux/arm64/v8``);
* crane ignores the host: with no platform asked it resolves linux/amd64.
"""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from planner.hosts.cpuinfo import (
    CpuInfo,
    Detected,
    X86Level,
    cimage_variant,
    containerd_variant,
    go_arch,
    x86_level,
)
from planner.model.arguments import optional_argument, path_argument
from planner.model.errors import PlannerError
from planner.model.files import read_capped
from planner.model.platform import Platform
from planner.policy.ruleset import RuleSet

__all__ = ["CPUINFO_LIMIT", "LocalHost", "Machine", "read_machine"]

CPUINFO_LIMIT = 16 << 20
"""The largest /proc/cpuinfo read (a 1024-CPU x86 machine prints about 2.5 MiB)."""

_CONTAINERD_FAMILIES = ("docker", "docker-c8d", "containerd")
# containers/image families: the first release vendoring c/image 5.30 (armv6-compatible
# rule) and 5.31 (darwin rule); /work/notes cimage-family-releases.md section 2.
_CIMAGE_FAMILIES = {
    "podman": ("5.0.0", "5.1.0"),
    "buildah": ("1.35.0", "1.36.0"),
    "skopeo": ("1.15.0", "1.16.0"),
    "cri-o": ("1.31.0", "1.31.0"),
}


@dataclass(frozen=True)
class LocalHost:
    """This machine as one engine sees it."""

    platform: Platform
    how: tuple[str, ...]
    """One short line per value: ``architecture amd64: the machine is x86_64``."""
    rules: str = ""
    """The rule set asked (``docker@20.10.24``)."""

    def to_dict(self) -> dict[str, Any]:
        """``{"rules", "platform" (OCI fields), "how"}``, as the ``host`` command writes it."""
        return {"rules": self.rules, "platform": self.platform.to_oci(), "how": list(self.how)}


@dataclass(frozen=True)
class Machine:
    """What was read of this machine; :meth:`host_for` says what an engine makes of it."""

    system: str
    """The OS, lower-case (``linux``)."""
    machine: str
    """The uname machine (``x86_64``, ``aarch64``, ``armv6l``)."""
    architecture: str
    """The GOARCH of the engine (``amd64``): from the machine unless given."""
    cpuinfo: CpuInfo | None
    """None when it could not be read (see :attr:`cpuinfo_error`) or the OS has none."""
    cpuinfo_error: str = ""
    os_version: str = ""
    """Windows: the build (``10.0.20348``); '' elsewhere."""
    architecture_given: bool = False

    @property
    def x86_level(self) -> X86Level | None:
        """The CPU's x86-64 level from the cpuinfo flags; None when not x86-64 or unread."""
        if self.architecture != "amd64" or self.cpuinfo is None:
            return None
        return x86_level(self.cpuinfo)

    def host_for(self, rules: RuleSet) -> LocalHost:
        """This machine as the engine of ``rules``, at its release, detects it."""
        family = rules.family
        if family == "crane":
            return self._crane(rules)
        arch_line = self._arch_line()
        os_lines = self._os_lines()
        if family in _CONTAINERD_FAMILIES:
            detected = self._containerd_family(rules)
            raw = Platform(self.system, self.architecture, detected.variant, self.os_version)
            host = rules.host_normalizer(raw)
            how = detected.how
            if host.variant != raw.variant:
                engine = "containerd" if family == "containerd" else "Docker"
                how += f"; {engine} normalizes {_arch_variant(raw)} to {_arch_variant(host)}"
        elif family in _CIMAGE_FAMILIES:
            detected = self._cimage_family(rules)
            host = Platform(self.system, self.architecture, detected.variant, self.os_version)
            how = detected.how
            if (host.architecture, host.variant) == ("arm64", "v8"):
                how += "; containers/image keeps arm64/v8 (it does not normalize)"
        else:
            host = Platform(self.system, self.architecture, "", self.os_version)
            what = f"family {family!r}" if family else "a rule file without a family"
            how = (
                f"pull-planner does not know how the engine of rules {rules.name!r} ({what})"
                " detects its host: the plain os/architecture"
            )
        variant = f"variant {host.variant or 'none'}: {how}"
        return LocalHost(host, (*os_lines, arch_line, variant), rules.name)

    # -- the engines

    def _containerd_family(self, rules: RuleSet) -> Detected:
        family, arch = rules.family, self.architecture
        if arch == "amd64":
            return self._docker_level(rules)
        if family == "docker":
            fork = not _since(rules, "23.0.0")
            # the vendored containerd: 1.6.22 in 23.0.7-23.0.18 and 24.0.6+, 1.6.21 in 24.0.0-24.0.5
            fallback = _since(rules, "24.0.6")
            fallback = fallback or (_since(rules, "23.0.7") and not _since(rules, "24.0.0"))
        elif family == "docker-c8d":
            fork, fallback = False, _since(rules, "24.0.6")
        else:
            fork, fallback = False, _since(rules, "1.6.22")
        return containerd_variant(
            self.system,
            arch,
            self.machine,
            self.cpuinfo,
            self.cpuinfo_error,
            uname_fallback=fallback,
            moby_fork=fork,
        )

    def _docker_level(self, rules: RuleSet) -> Detected:
        """amd64: the x86-64 level, where the engine adds it."""
        family = rules.family
        if family == "docker" and _since(rules, "23.0.0"):
            adds = "Docker adds it to a pull with no platform asked (maximumSpec, archvariant.AMD64Variant; 23.0.0+)"
        elif family == "docker-c8d" and _since(rules, "29.6.0"):
            adds = "the containerd image store adds it (hostPlatformSpec, archvariant.AMD64Variant; 29.6.0+)"
        else:
            why = {
                "docker": "Docker 20.10 does not detect an x86-64 level (23.0.0+ does)",
                "docker-c8d": "the containerd image store before 29.6.0 pulls with platforms.Default(), which has no x86-64 level",
                "containerd": "containerd does not detect an x86-64 level",
            }[family]
            return Detected("", f"{why}; {self._level_text()}")
        found = self.x86_level
        if found is None:
            return Detected("", f"{self._level_text()}; {adds}")
        return Detected(found.variant, f"{found.describe()}; {adds}")

    def _cimage_family(self, rules: RuleSet) -> Detected:
        if self.architecture == "amd64":
            return Detected(
                "",
                f"containers/image does not detect an x86-64 level; {self._level_text()}",
            )
        armv6, darwin = _CIMAGE_FAMILIES[rules.family]
        return cimage_variant(
            self.system,
            self.architecture,
            self.cpuinfo,
            self.cpuinfo_error,
            armv6_rule=_since(rules, armv6),
            darwin_rule=_since(rules, darwin),
        )

    def _crane(self, rules: RuleSet) -> LocalHost:
        host = Platform("linux", "amd64")
        how = (
            f"os linux: crane's default platform, not this machine's ({self.system})",
            "architecture amd64: with no platform asked, crane pull resolves linux/amd64"
            f" whatever the host (go-containerregistry remote defaultPlatform; this machine"
            f" is {self.machine})",
            "variant none: crane's default platform has none",
        )
        return LocalHost(host, how, rules.name)

    # -- the lines every engine shares

    def _os_lines(self) -> tuple[str, ...]:
        lines = [f"os {self.system}: the system is {self.system}"]
        if self.os_version:
            lines.append(f"os.version {self.os_version}: the Windows build")
        return tuple(lines)

    def _arch_line(self) -> str:
        arch, machine = self.architecture, self.machine
        if self.architecture_given and go_arch(machine) != arch:
            return f"architecture {arch}: the engine is built for {arch} (the machine is {machine})"
        if go_arch(machine) is None:
            return f"architecture {arch}: the machine is {machine} (not an architecture pull-planner knows)"
        return f"architecture {arch}: the machine is {machine}"

    def _level_text(self) -> str:
        """``this CPU is x86-64-v3 (...)``, or why its level is not known."""
        if self.cpuinfo is None:
            return f"this CPU's x86-64 level is not known ({self.cpuinfo_error})"
        found = self.x86_level
        if found is None:
            return "this CPU's x86-64 level is not known (cpuinfo has no flags line)"
        return f"this CPU is {found.describe()}"


def _arch_variant(platform: Platform) -> str:
    return "/".join(p for p in (platform.architecture, platform.variant) if p)


def _since(rules: RuleSet, first: str) -> bool:
    """Whether the engine at the release of ``rules`` has a change first released in ``first``.

    The release asked, else the newest release the range admits: a range whose
    upper bound is at or below ``first`` does not reach it.
    """
    threshold = Version(first)
    if rules.release:
        try:
            return Version(rules.release) >= threshold
        except InvalidVersion:
            return True
    try:
        specifiers = SpecifierSet(rules.releases)
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


def read_machine(
    root: Path = Path("/"),
    *,
    machine: str | None = None,
    system: str | None = None,
    architecture: str | None = None,
    os_version: str | None = None,
) -> Machine:
    """Read this machine: ``<root>/proc/cpuinfo`` (Linux only), uname and the OS.

    ``machine`` defaults to :func:`platform.machine`, ``system`` to
    :func:`platform.system` (lower-cased). ``architecture`` is the engine's GOARCH
    when it differs from the machine's (a 32-bit arm engine on an aarch64 kernel);
    ``os_version`` the Windows build (default :func:`platform.version` on Windows).
    An unreadable cpuinfo is recorded, not raised: engines then find no variant.
    """
    root = path_argument(root, "root")
    for name, value in (
        ("machine", machine),
        ("system", system),
        ("architecture", architecture),
        ("os_version", os_version),
    ):
        optional_argument(value, str, name, "a string")
    system = (system if system is not None else _platform.system()).lower()
    machine = machine if machine is not None else _platform.machine()
    arch = architecture or go_arch(machine) or machine.lower()
    path = root / "proc" / "cpuinfo"
    info, error = None, ""
    if system == "linux":
        try:
            data = read_capped(path, CPUINFO_LIMIT)
        except PlannerError as exc:
            error = str(exc)
        else:
            info = CpuInfo(data.decode("utf-8", "replace"))
    else:
        error = f"{system} has no /proc/cpuinfo"
    if os_version is None:
        os_version = _platform.version() if system == "windows" else ""
    return Machine(
        system=system,
        machine=machine,
        architecture=arch,
        cpuinfo=info,
        cpuinfo_error=error,
        os_version=os_version,
        architecture_given=architecture is not None,
    )
