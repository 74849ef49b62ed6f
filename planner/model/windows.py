"""Windows build facts: ``os.version`` values, build numbers and their names.

Windows images carry ``os.version`` as ``major.minor.build.revision``
(``10.0.17763.379``). This module only reads such values, the way each engine
reads them; which builds a host runs is policy (:mod:`planner.policy.stable_abi`)
and the verdict on one entry is selection (:mod:`planner.select`).
"""

from __future__ import annotations

import functools

from planner.model.record import dataclass
from planner.model.text import go_int

__all__ = [
    "BUILD_NAMES",
    "WindowsVersion",
    "build_label",
    "docker_build",
    "docker_prefix_match",
    "release_name_problem",
    "revision_of",
]

# hcsshim osversion/windowsbuilds.go names, for messages only.
BUILD_NAMES = {
    14393: "ltsc2016",
    16299: "1709",
    17134: "1803",
    17763: "ltsc2019",
    18362: "1903",
    18363: "1909",
    19041: "2004",
    19042: "20H2",
    20348: "ltsc2022",
    22000: "Windows 11 21H2",
    22621: "Windows 11 22H2",
    25398: "23H2",
    26100: "ltsc2025",
}


RELEASE_NAMES = {
    **{name.lower(): (build,) for build, name in BUILD_NAMES.items() if " " not in name},
    "1607": (14393,),
    "1809": (17763,),
    "21h2": (19044, 20348, 22000),  # Windows 10, Server 2022, Windows 11: name the build
    "22h2": (19045, 22621),
    "24h2": (26100,),
}
"""Release names people give where a build is needed (lower case) -> the builds they name."""


def release_builds(text: str) -> tuple[int, ...]:
    """The builds a release name (``ltsc2019``, ``1809``, ``21H2``) stands for; () when
    ``text`` is no release name."""
    return RELEASE_NAMES.get(text.strip().lower(), ())


def release_name_problem(text: str) -> str | None:
    """What is wrong with a release name given as an os.version (``'ltsc2022' names a
    release, not a build: …``), with the builds to give instead; None when ``text``
    names no release."""
    builds = release_builds(text)
    if not builds:
        return None
    which = " or ".join(f"10.0.{b}.REVISION" for b in builds)
    return (
        f"{text!r} names a release, not a build: give the host's os.version, {which}"
        " (REVISION: the host's own; 'cmd /c ver' prints it)"
    )


@dataclass(frozen=True, order=True)
class WindowsVersion:
    """``major.minor.build[.revision]``, parsed as containerd does."""

    major: int
    minor: int
    build: int
    revision: int = 0

    @classmethod
    def parse(cls, text: str) -> WindowsVersion | None:
        """Parse ``10.0.17763[.379]``; None when containerd would read 0.0.0.

        containerd (``getWindowsOSVersion``) needs at least three dot-separated
        numeric fields with major and minor < 256 and build < 65536; anything
        else reads as 0.0.0, which no real host matches.
        """
        return _parse(text)  # index entries repeat across hosts: each text read once

    @property
    def prefix(self) -> str:
        """``major.minor.build`` as Windows hosts report it (no revision)."""
        return f"{self.major}.{self.minor}.{self.build}"

    def __str__(self) -> str:
        return self.prefix


def build_label(build: int) -> str:
    """``20348 (ltsc2022)`` when the build has a well-known name."""
    name = BUILD_NAMES.get(build)
    return f"{build} ({name})" if name else str(build)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> WindowsVersion | None:
    fields = text.split(".")
    if len(fields) < 3 or not all(f.isdigit() and f.isascii() for f in fields[:3]):
        return None
    numbers = [go_int(f) for f in fields[:3]]  # 5,000 digits: not a number, as in Go
    major, minor, build = (-1 if n is None else n for n in numbers)
    if not (0 <= major <= 0xFF and 0 <= minor <= 0xFF and 0 <= build <= 0xFFFF):
        return None
    return WindowsVersion(major, minor, build, revision_of(text))


def revision_of(os_version: str) -> int:
    """winRevision: the fourth field as a number; 0 when missing or not one (Go's
    ``Atoi`` fails on ``²`` and past int64, so these read as 0 too)."""
    fields = os_version.split(".", 4)
    if len(fields) < 4 or not fields[3].isdigit():
        return 0
    return go_int(fields[3]) or 0


def docker_build(os_version: str) -> int | None:
    """The build moby compares (third field), or None when it has none.

    ``checkImageCompatibility`` keeps entries whose os.version has fewer than
    three fields or a non-numeric build.
    """
    fields = os_version.split(".")
    if len(fields) < 3:
        return None
    build = fields[2]
    # Go's strconv.Atoi accepts an optional sign.
    digits = build[1:] if build[:1] in "+-" and len(build) > 1 else build
    if not (digits.isdigit() and digits.isascii()):
        return None
    return go_int(build)  # None past int64, where Atoi fails too


def docker_prefix_match(os_version: str, host: WindowsVersion) -> bool:
    """moby ``versionMatch``: os.version starts with ``major.minor.build.``."""
    return os_version.startswith(host.prefix + ".")
