"""This machine as each engine detects it: the host a pull with no platform asked uses.

::

    machine = read_machine()                      # reads /proc/cpuinfo, uname, the OS
    local = machine.host_for(load_rules("docker"))
    local.platform                                # linux/amd64/v3 on a Haswell or newer
    local.how                                     # one line per value: how it was found

:func:`read_machine` reads ``<root>/proc/cpuinfo`` (``root`` is injectable, so
tests feed recorded files of real CPUs) and takes the uname machine and the OS
from :mod:`platform` unless given; nothing is read at import time.
:meth:`Machine.host_for` then applies what the rule set's file declares under
``local`` (``rules/README.md``), at its release (``rules.release``; for a bare
family, the newest release of the range, i.e. the newest behaviour). No engine,
family or release is named here: the file says, with its upstream sources,

* whether the engine adds the x86-64 level on amd64, and which flags each level
  needs (Docker's classic store from 23.0.0, the containerd store from 29.6.0);
* whose code reads the ARM variant (``strategy``: containerd's or
  containers/image's ``getCPUVariant``, see :mod:`planner.hosts.cpuinfo`) and
  its tables and rules at that release (the uname fallback, the
  armv6-compatible rule, systems read without a CPU);
* whether the detected platform is normalized (containerd-based engines:
  ``arm64/v8`` is ``arm64``; containers/image keeps ``linux/arm64/v8``);
* or a fixed platform whatever the host (crane: linux/amd64).

A rule set without a ``local`` block (or whose file is not its family's) gets
the plain os/architecture, and its ``how`` says so.
"""

from __future__ import annotations

import platform as _platform
from pathlib import Path
from typing import Any

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
from planner.model.record import dataclass
from planner.policy.detection import Detection
from planner.policy.ruleset import RuleSet

__all__ = ["CPUINFO_LIMIT", "LocalHost", "Machine", "read_machine"]

CPUINFO_LIMIT = 16 << 20
"""The largest /proc/cpuinfo read (a 1024-CPU x86 machine prints about 2.5 MiB)."""


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
        detection = rules.local_detection()
        if detection is None:
            family = rules.family
            what = f"family {family!r}" if family else "a rule file without a family"
            host = Platform(self.system, self.architecture, "", self.os_version)
            how = (
                f"pull-planner does not know how the engine of rules {rules.name!r} ({what})"
                " detects its host: the plain os/architecture"
            )
            variant = f"variant none: {how}"
            return LocalHost(host, (*self._os_lines(), self._arch_line(), variant), rules.name)
        if detection.strategy == "fixed":
            return self._fixed(rules, detection)
        if self.architecture == "amd64":
            detected = self._level(detection)
        elif detection.strategy == "containerd":
            detected = containerd_variant(
                self.system,
                self.architecture,
                self.machine,
                self.cpuinfo,
                self.cpuinfo_error,
                detection,
            )
        else:
            detected = cimage_variant(
                self.system, self.architecture, self.cpuinfo, self.cpuinfo_error, detection
            )
        raw = Platform(self.system, self.architecture, detected.variant, self.os_version)
        how, engine = detected.how, detection.engine
        if detection.normalize == "host":
            host = rules.host_normalizer(raw)
            if host.variant != raw.variant:
                how += f"; {engine} normalizes {_arch_variant(raw)} to {_arch_variant(host)}"
        else:
            host = raw
            if _arch_variant(host) in detection.keeps:
                how += f"; {engine} keeps {_arch_variant(host)} (it does not normalize)"
        variant = f"variant {host.variant or 'none'}: {how}"
        return LocalHost(host, (*self._os_lines(), self._arch_line(), variant), rules.name)

    # -- the strategies' shared parts

    def _level(self, detection: Detection) -> Detected:
        """amd64: the x86-64 level, where the engine adds it (``local.x86_level``)."""
        said = detection.x86_level_how
        if detection.x86_level == "none":
            return Detected("", f"{said}; {self._level_text()}")
        found = None if self.cpuinfo is None else x86_level(self.cpuinfo, detection.x86_levels)
        if found is None:
            return Detected("", f"{self._level_text()}; {said}")
        return Detected(found.variant, f"{found.describe()}; {said}")

    def _fixed(self, rules: RuleSet, detection: Detection) -> LocalHost:
        """``strategy: fixed``: the declared platform, whatever this machine is."""
        host = detection.platform
        assert host is not None  # the loader requires it for strategy fixed
        engine, arch = detection.engine, host.architecture
        how = (
            f"os {host.os}: {engine}'s default platform, not this machine's ({self.system})",
            f"architecture {arch}: with no platform asked, {engine} pull resolves"
            f" {host.format()} whatever the host ({detection.source}; this machine"
            f" is {self.machine})",
            f"variant {host.variant or 'none'}: {engine}'s default platform has"
            f" {host.variant or 'none'}",
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
