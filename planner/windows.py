"""Windows ``os.version`` rules: build numbers and the two build-window strategies.

Windows images carry ``os.version`` as ``major.minor.build.revision``
(``10.0.17763.379``). Which builds a host can run is the one selection rule
that is not a table, so it is implemented here once and chosen by name in the
rule sets (``windows.strategy``):

``stable-abi``
    containerd/platforms ``platform_windows_compat.go`` (from hcsshim
    ``osversion``): major and minor must match; a host below the first stable-ABI
    LTSC (20348, Windows Server 2022) needs the exact build; from there on, any
    image build from the *floor* up to the host build runs with process
    isolation. Which LTSC is the floor changed between releases, see
    :class:`StableAbi`.

``docker-classic``
    moby ``daemon/internal/distribution/pull_v2_windows.go``: drop images whose
    build is newer than the host's (``checkImageCompatibility``), keep older
    ones (they run with Hyper-V isolation), and put entries whose os.version
    starts with the host's ``major.minor.build.`` first (``manifestsByVersion``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MICROSOFT_PROCESS_ISOLATION",
    "FloorRule",
    "StableAbi",
    "WindowsVersion",
    "docker_build",
    "docker_prefix_match",
    "runs_on",
]

FloorRule = Literal["largest-at-or-below-host", "largest-below-host", "previous-ltsc"]
FLOOR_RULES: tuple[FloorRule, ...] = (
    "largest-at-or-below-host",
    "largest-below-host",
    "previous-ltsc",
)

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
        fields = text.split(".")
        if len(fields) < 3 or not all(f.isdigit() and f.isascii() for f in fields[:3]):
            return None
        major, minor, build = (int(f) for f in fields[:3])
        if major > 0xFF or minor > 0xFF or build > 0xFFFF:
            return None
        revision = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else 0
        return cls(major, minor, build, revision)

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


@dataclass(frozen=True)
class StableAbi:
    """Which image builds a Windows host runs with process isolation.

    ``ltsc_builds`` are the stable-ABI LTSC releases, ascending; below the
    first one a host needs the exact build. ``floor`` picks the oldest image
    build a newer host accepts:

    * ``largest-at-or-below-host`` (hcsshim v0.9.10-v0.12, containerd/platforms
      v0.2.1-rc.1): the last LTSC at or below the host build.
    * ``largest-below-host`` (containerd/platforms rc.2-rc.4, containerd 2.1.6-2.3):
      the last LTSC strictly below the host build, else the first LTSC. With
      ``[20348, 26100]`` a 26200 host no longer runs ltsc2022 images.
    * ``previous-ltsc`` (containerd/platforms rc.5, Microsoft's compatibility
      table): the LTSC before the last one at or below the host.
    """

    ltsc_builds: tuple[int, ...]
    floor: FloorRule

    def floor_for(self, host_build: int) -> int:
        """Oldest image build a host at ``host_build`` (>= first LTSC) runs."""
        ltsc = self.ltsc_builds
        if self.floor == "largest-below-host":
            below = [b for b in ltsc if b < host_build]
            return below[-1] if below else ltsc[0]
        at_or_below = [i for i, b in enumerate(ltsc) if b <= host_build]
        if not at_or_below:
            return ltsc[0]
        i = at_or_below[-1]
        if self.floor == "largest-at-or-below-host":
            return ltsc[i]
        return ltsc[i - 1] if i > 0 else ltsc[0]

    def window(self, host: WindowsVersion) -> tuple[int, int]:
        """The inclusive range of image builds the host runs."""
        if host.build < self.ltsc_builds[0]:
            return host.build, host.build
        return self.floor_for(host.build), host.build

    def compatible(self, host: WindowsVersion, image: WindowsVersion | None) -> bool:
        """containerd ``checkWindowsHostAndContainerCompat``."""
        if image is None or (image.major, image.minor) != (host.major, host.minor):
            return False
        low, high = self.window(host)
        return low <= image.build <= high


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
    return int(build)


def docker_prefix_match(os_version: str, host: WindowsVersion) -> bool:
    """moby ``versionMatch``: os.version starts with ``major.minor.build.``."""
    return os_version.startswith(host.prefix + ".")


MICROSOFT_PROCESS_ISOLATION = StableAbi(ltsc_builds=(20348, 26100), floor="previous-ltsc")
"""Microsoft's version-compatibility table (virtualization docs, 2025): from ltsc2022 on,
a host runs ltsc2022 images up to its own build with process isolation; older hosts
need their exact build."""


def runs_on(
    host: WindowsVersion, image: WindowsVersion | None, isolation: str, process: StableAbi
) -> tuple[bool, str]:
    """Whether a Windows image build runs on a host with this isolation, and why not.

    Hyper-V isolation runs any build up to the host's (same major.minor); process
    isolation only what ``process`` (the stable-ABI window) allows.
    """
    if image is None:
        return True, "the image declares no Windows build"
    if (image.major, image.minor) != (host.major, host.minor):
        return (
            False,
            f"windows {image.major}.{image.minor} image on a {host.major}.{host.minor} host",
        )
    if image.build > host.build:
        return False, f"windows build {image.build} is newer than host build {host.build}"
    if isolation == "hyperv":
        return True, ""
    if process.compatible(host, image):
        return True, ""
    return False, (
        f"windows build {build_label(image.build)} needs Hyper-V isolation on host build"
        f" {host.build} (process isolation runs {'-'.join(str(b) for b in sorted(set(process.window(host))))});"
        " set isolation: hyperv if the host uses it"
    )
