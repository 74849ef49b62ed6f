"""Which Windows image builds a host runs with process isolation: the stable-ABI window.

containerd/platforms ``platform_windows_compat.go`` (from hcsshim ``osversion``,
``CheckHostAndContainerCompat``): major and minor must match; a host below the
first stable-ABI LTSC (20348, Windows Server 2022) needs the exact build; from
there on, any image build from the *floor* up to the host build runs. Which LTSC
is the floor changed between releases; a rule file names it (``floor``), see
:class:`StableAbi`. The same window, with Microsoft's table, tells whether an
image Docker's classic Windows pull chose runs with process isolation or needs
Hyper-V isolation.
"""

from __future__ import annotations

from typing import Literal

from planner.model.record import dataclass
from planner.model.windows import WindowsVersion

__all__ = ["FLOOR_RULES", "MICROSOFT_PROCESS_ISOLATION", "FloorRule", "StableAbi"]

FloorRule = Literal["largest-at-or-below-host", "largest-below-host", "previous-ltsc"]
FLOOR_RULES: tuple[FloorRule, ...] = (
    "largest-at-or-below-host",
    "largest-below-host",
    "previous-ltsc",
)


@dataclass(frozen=True)
class StableAbi:
    """Which image builds a Windows host runs with process isolation.

    ``ltsc_builds`` are the stable-ABI LTSC releases, ascending; below the
    first one (or with none: containerd before hcsshim's compatibility check,
    which matched the build by prefix) a host needs the exact build. ``floor`` picks the oldest image
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
        if not self.ltsc_builds or host.build < self.ltsc_builds[0]:
            return host.build, host.build  # no stable ABI (yet): the host's own build only
        return self.floor_for(host.build), host.build

    def compatible(self, host: WindowsVersion, image: WindowsVersion | None) -> bool:
        """containerd ``checkWindowsHostAndContainerCompat``."""
        if image is None or (image.major, image.minor) != (host.major, host.minor):
            return False
        low, high = self.window(host)
        return low <= image.build <= high


MICROSOFT_PROCESS_ISOLATION = StableAbi(ltsc_builds=(20348, 26100), floor="previous-ltsc")
"""Microsoft's version-compatibility table (virtualization docs, 2025): from ltsc2022 on,
a host runs ltsc2022 images up to its own build with process isolation; older hosts
need their exact build."""
