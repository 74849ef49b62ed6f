"""Warnings of a selection, as :class:`~planner.select.verdicts.Notice` data.

About the index itself, whatever the host (:func:`entry_notices`: a variant the
rule set does not know, so only a host with exactly that variant matches), and
about the chosen entry (:func:`choice_notices`: a platform-less entry taken as
a last resort; under Docker's classic Windows pull, an older build that runs
only with Hyper-V isolation, or a closer build listed later, moby keeping list
order among older builds).
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.model.manifest import Index
from planner.model.windows import WindowsVersion, docker_build
from planner.policy.ruleset import RuleSet
from planner.select.host import HostView
from planner.select.judge import is_empty
from planner.select.verdicts import Notice, NoticeCode

__all__ = ["choice_notices", "entry_notices"]


def entry_notices(index: Index, rules: RuleSet) -> list[Notice]:
    """Warnings about the index itself, independent of the host."""
    notices = []
    for i, desc in enumerate(index.manifests):
        p = desc.platform
        if p is None or desc.is_attestation:
            continue
        cand = rules.candidate_normalizer(p)
        known = rules.known_variants.get(cand.architecture)
        if known and cand.variant and cand.variant not in known:
            notices.append(
                Notice(
                    NoticeCode.NON_CANONICAL_VARIANT,
                    {
                        "position": i,
                        "platform": p.format(),
                        "variant": p.variant,
                        "rules": rules.name,
                        "known": tuple(sorted(known)),
                        "architecture": cand.architecture,
                    },
                )
            )
    return notices


def choice_notices(
    position: int, preference: Sequence[int], index: Index, view: HostView, rules: RuleSet
) -> list[Notice]:
    """Warnings about the chosen entry."""
    platform = index.manifests[position].platform
    if platform is None or (rules.empty_platform_is_missing and is_empty(platform)):
        return [Notice(NoticeCode.NO_PLATFORM_PICKED, {"position": position})]
    if "os-case" in rules.fails_on and platform.os != platform.os.lower():
        # moby v20.10.24 distribution/xfer/download.go: no layer store for "Linux" (a panic)
        args = {"rules": rules.name, "position": position, "platform": platform.format()}
        return [Notice(NoticeCode.KNOWN_FAILURE, {**args, "what": "os-case"})]
    if view.strategy == "docker-classic":
        assert view.windows_version is not None
        return _docker_windows_notices(position, preference, index, view.windows_version, rules)
    return []


def _docker_windows_notices(
    position: int, preference: Sequence[int], index: Index, host: WindowsVersion, rules: RuleSet
) -> list[Notice]:
    """An older build chosen by list order: Hyper-V isolation, and closer builds listed later."""
    builds: dict[int, int] = {}
    for i in preference:
        platform = index.manifests[i].platform
        build = docker_build(platform.os_version) if platform is not None else None
        if build is not None:
            builds[i] = build
    build = builds.get(position)
    if build is None or build >= host.build:
        return []
    notices = []
    abi = rules.windows.process_isolation
    low = abi.window(host)[0] if abi is not None else host.build
    if build < low:
        notices.append(Notice(NoticeCode.HYPERV_ONLY, {"build": build, "host": host.build}))
    closer = [
        i for i in preference if i > position and i in builds and build < builds[i] <= host.build
    ]
    if closer:
        best = max(closer, key=lambda i: builds[i])
        best_platform = index.manifests[best].platform
        assert best_platform is not None
        notices.append(
            Notice(
                NoticeCode.CLOSER_BUILD_LATER,
                {"position": best, "platform": best_platform.describe(), "host": host.build},
            )
        )
    return notices
