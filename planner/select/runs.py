"""Whether the image a host pulls will run there, as a verdict.

Pulling is not running. Two cases pull an image that then fails:

* a tag that is a single image for another platform: every client pulls it
  (containerd silently, Docker and podman with a warning) and it fails with
  ``exec format error`` (its config's platform is judged like an index entry);
* a Windows image whose build the host's isolation does not run. Hyper-V
  isolation runs any build up to the host's (same major.minor); process
  isolation only the stable-ABI window: the rule set's
  ``windows.process_isolation``, else Microsoft's version-compatibility table.
"""

from __future__ import annotations

import functools
from typing import Literal

from planner.model.platform import Platform
from planner.model.windows import WindowsVersion
from planner.policy.ruleset import RuleSet
from planner.policy.stable_abi import MICROSOFT_PROCESS_ISOLATION
from planner.select.host import host_view
from planner.select.judge import judge_docker_windows, judge_platform
from planner.select.verdicts import Code, Verdict, accept, reject

__all__ = ["Isolation", "judge_image_platform", "requested_verdict", "run_verdict"]

Isolation = Literal["process", "hyperv"]

RUNS = accept(Code.RUNS, 0)


def judge_image_platform(platform: Platform, host: Platform, rules: RuleSet) -> Verdict:
    """The verdict on a single image's platform (from its config), as for an index entry."""
    view = host_view(host, rules)
    if view.strategy == "docker-classic":
        return judge_docker_windows(platform, view, rules)
    return judge_platform(platform, view, rules)


def requested_verdict(
    platform: Platform | None,
    requested: Platform,
    host: Platform,
    rules: RuleSet,
    *,
    isolation: Isolation | None = None,
) -> Verdict:
    """RUNS, or why an image pulled for ``requested`` (not the host's own platform,
    as Compose ``platform:`` asks) will not run on ``host``.

    The engine pulls what was asked for; the host then runs it only if it runs
    that image's platform, as it would an index entry (Docker: "exec format
    error" otherwise, unless the host emulates it).
    """
    if platform is None:
        return RUNS
    inner = judge_image_platform(platform, host, rules)
    if not inner.match:
        return Verdict(
            Code.FOREIGN_REQUESTED,
            None,
            {"platform": platform, "requested": requested},
            inner=inner,
        )
    return run_verdict(platform, host, rules, isolation=isolation)


def run_verdict(
    platform: Platform | None,
    host: Platform,
    rules: RuleSet,
    *,
    isolation: Isolation | None = None,
    single: Verdict | None = None,
) -> Verdict:
    """RUNS, or why the chosen image (with ``platform``) will not run on ``host``.

    ``single`` is the verdict on a single-image tag's own platform; ``isolation``
    the Windows host's (process when not given, as on Windows Server).
    """
    if platform is None:
        return RUNS
    if single is not None and not single.match:
        return Verdict(Code.FOREIGN_SINGLE_IMAGE, None, {"platform": platform}, inner=single)
    if host.os.lower() != "windows" or platform.os.lower() != "windows" or not host.os_version:
        return RUNS
    return _windows_runs(platform.os_version, host.os_version, rules, isolation)


@functools.lru_cache(maxsize=4096)
def _windows_runs(
    image_version: str, host_version_text: str, rules: RuleSet, isolation: Isolation | None
) -> Verdict:
    """:func:`run_verdict` for a Windows image on a Windows host: depends on the two
    os.versions only, so a fleet asks once per (image build, host version)."""
    host_version = WindowsVersion.parse(host_version_text)
    if host_version is None or not image_version:
        return RUNS
    image = WindowsVersion.parse(image_version)
    if image is None:
        return RUNS
    if (image.major, image.minor) != (host_version.major, host_version.minor):
        return reject(
            Code.WRONG_WINDOWS_RELEASE,
            image=f"{image.major}.{image.minor}",
            host=f"{host_version.major}.{host_version.minor}",
        )
    if image.build > host_version.build:
        return reject(Code.NEWER_THAN_HOST, image=image.build, host=host_version.build)
    if (isolation or "process") == "hyperv":
        return RUNS
    process = rules.windows.process_isolation or MICROSOFT_PROCESS_ISOLATION
    if process.compatible(host_version, image):
        return RUNS
    return reject(
        Code.NEEDS_HYPERV,
        image=image.build,
        host=host_version.build,
        window=process.window(host_version),
    )
