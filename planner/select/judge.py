"""The judge: one index entry against one host, as a :class:`~planner.select.verdicts.Verdict`.

Each entry is judged on its own (the policy comes from the rule set):

* An entry must be an image manifest or an index; attestation manifests follow
  ``attestations``; an entry without a platform follows ``no_platform``
  (containerd and Docker keep it as a last resort, moby ``filterManifests``).
* Its platform is normalized with ``normalize.candidates`` and must have the
  host's os (an empty os counts as the host's when ``match.empty_os: host``,
  containerd ``normalizeOS``), an (architecture, variant) in the host's vector
  (its *rank* is the position there), acceptable os.features and, on Windows,
  an os.version the Windows strategy accepts.
* Docker's classic Windows pull is not vector-based and has its own judge
  (:func:`judge_docker_windows`), as in moby.
"""

from __future__ import annotations

from planner.model.manifest import OCI_INDEX, Descriptor
from planner.model.platform import Platform
from planner.model.windows import WindowsVersion, docker_build, docker_prefix_match
from planner.policy.ruleset import RuleSet, numeric_rank
from planner.select.host import HostView, format_arch_variant
from planner.select.verdicts import Code, Verdict, accept, reject

__all__ = [
    "DECIDED_BEFORE_HOST_OS_VERSION",
    "is_empty",
    "judge",
    "judge_docker_windows",
    "judge_platform",
    "settle_fallbacks",
]

DECIDED_BEFORE_HOST_OS_VERSION = frozenset(
    {
        Code.NOT_AN_IMAGE,
        Code.ATTESTATION,
        Code.NO_PLATFORM_DOCKER_WINDOWS,
        Code.NO_PLATFORM_SKIPPED,
        Code.NO_PLATFORM,
        Code.OS_MISMATCH,
        Code.ENTRY_OS_NOT_WINDOWS,
        Code.HOST_MATCHES_NOTHING,
        Code.NOT_RUN_BY_HOST,
    }
)
"""Verdicts given before the host's os.version is read (``match.os_version:
equal-if-requested`` reads it only for an entry of the host's os and platform):
the same for hosts that differ only in that os.version."""


def is_empty(platform: Platform) -> bool:
    """moby ``toOCIPlatform``: a platform object whose every field is empty."""
    p = platform
    return not (p.os or p.architecture or p.variant or p.os_version or p.os_features or p.features)


def judge(desc: Descriptor, view: HostView, rules: RuleSet, index_media_type: str) -> Verdict:
    """The verdict on one index entry."""
    if not (desc.is_manifest or desc.is_index) and rules.media_types == "images":
        return reject(Code.NOT_AN_IMAGE, media_type=desc.media_type)
    if desc.is_attestation and rules.attestations == "reject":
        return reject(Code.ATTESTATION, platform=None)
    platform = desc.platform
    if platform is None or (rules.empty_platform_is_missing and is_empty(platform)):
        if view.strategy == "docker-classic":
            return reject(Code.NO_PLATFORM_DOCKER_WINDOWS, architecture=view.norm.architecture)
        policy = rules.no_platform
        if isinstance(policy, Platform):
            # go-containerregistry: "if p == nil { p = &v1.Platform{OS: linux, Architecture: amd64} }"
            verdict = judge_platform(policy, view, rules, attestation=desc.is_attestation)
            return Verdict(verdict.code, verdict.rank, verdict.args, verdict.notes, taken_as=policy)
        if policy == "skip" or (
            policy == "last-resort-in-oci-index" and index_media_type != OCI_INDEX
        ):
            return reject(Code.NO_PLATFORM_SKIPPED, rules=rules.name)
        return accept(Code.NO_PLATFORM, len(view.vector))
    if view.strategy == "docker-classic":
        return judge_docker_windows(platform, view, rules)
    return judge_platform(platform, view, rules, attestation=desc.is_attestation)


def settle_fallbacks(verdicts: tuple[Verdict, ...]) -> tuple[Verdict, ...]:
    """An index's verdicts with ``match.arch_fallback`` entries dropped when another matched.

    moby 20.10 ``filterManifests`` tries the "deprecated partial match" only when
    ``len(matches) == 0``: its preference order is the exact matches alone, or the
    partial matches alone, never both.
    """
    partial = [v.code is Code.FALLBACK and v["via"] == "any-variant" for v in verdicts]
    if not any(partial) or not any(
        v.match and not is_partial for v, is_partial in zip(verdicts, partial, strict=True)
    ):
        return verdicts
    return tuple(
        reject(Code.FALLBACK_UNUSED, host=v["host"], entry=v["entry"]) if is_partial else v
        for v, is_partial in zip(verdicts, partial, strict=True)
    )


def judge_platform(
    platform: Platform, view: HostView, rules: RuleSet, *, attestation: bool = False
) -> Verdict:
    """Judge one platform against the host (vector-based rule sets)."""
    cand = rules.candidate_normalizer(platform)
    if view.is_windows and platform.os != "windows":
        refused = _judge_windows_entry_os(platform, view, rules)
        if refused is not None:
            return refused
    cand_os = cand.os or (view.norm.os if rules.empty_os == "host" else "")
    if cand_os != view.norm.os:
        if attestation:
            return reject(Code.ATTESTATION, platform=platform.format())
        return reject(Code.OS_MISMATCH, entry=cand_os, host=view.norm.os)

    arch_variant = (cand.architecture, cand.variant)
    if rules.variant_match == "numeric":
        same_arch = cand.architecture == view.norm.architecture
        rank = numeric_rank(view.norm.variant, cand.variant) if same_arch else None
    elif rules.variant_match == "if-requested" and not view.norm.variant:
        rank = view.arch_ranks.get(cand.architecture)
    else:
        rank = view.ranks.get(arch_variant)
    fallback = platform.architecture in rules.arch_fallback
    if (
        rank is None
        and fallback
        and platform.architecture == view.norm.architecture
        and platform.os == view.norm.os
    ):
        # moby 20.10 filterManifests: the "deprecated partial match" of os and architecture,
        # as written (only when nothing else matched: settle_fallbacks)
        return accept(
            Code.FALLBACK,
            len(view.vector),
            host=format_arch_variant((view.norm.architecture, view.norm.variant)),
            entry=format_arch_variant(arch_variant),
            via="any-variant",
        )
    if rank is None:
        if not view.vector:
            return reject(
                Code.HOST_MATCHES_NOTHING,
                rules=rules.name,
                architecture=view.norm.architecture,
                variant=view.norm.variant,
            )
        return reject(
            Code.NOT_RUN_BY_HOST,
            entry=format_arch_variant(arch_variant),
            host=view.norm.format(),
            runs=view.runs,
        )

    notes: list[Verdict] = []
    refused = _judge_os_version(cand, view, rules, notes) or _judge_os_features(cand, view, rules)
    if refused is not None:
        return refused
    code, rank, args = _rank_code(view, arch_variant, rank, platform, cand)
    return accept(code, rank, tuple(notes), **args)


def _judge_windows_entry_os(platform: Platform, view: HostView, rules: RuleSet) -> Verdict | None:
    """An entry whose os is not written ``windows``, on a Windows host (vector-based rules).

    With the host's build, ``windows.entry_os: as-written`` compares the raw os
    (containerd 1.6.18-1.6.39 ``matchComparer.Match``: ``p.OS == "windows"``).
    Without it (``any-build``: a platform requested from a daemon of another OS),
    an empty os is what the daemon's ``normalizeOS("")`` gives, its own GOOS, never
    the windows asked for.
    """
    if view.strategy == "stable-abi" and rules.windows.entry_os == "as-written":
        how = "as-written"
    elif view.strategy == "any-build" and not platform.os and rules.empty_os == "host":
        how = "daemon-os"
    else:
        return None
    return reject(Code.ENTRY_OS_NOT_WINDOWS, entry=platform.os, rules=rules.name, how=how)


def _rank_code(
    view: HostView, cand: tuple[str, str], rank: int, platform: Platform, norm: Platform
) -> tuple[Code, int, dict[str, str | None]]:
    """EXACT or FALLBACK, and how the host reaches the entry (containerd ``platformVector``)."""
    host = (view.norm.architecture, view.norm.variant)
    if rank == 0:
        shown = platform.format() != norm.format()
        return (
            Code.EXACT,
            0,
            {
                "normalized_from": platform.format() if shown else None,
                "normalized": norm.format(),
            },
        )
    via = "32-bit" if cand[0] != host[0] else "no-variant" if not cand[1] else "older-variant"
    entry = cand[0] if via == "no-variant" else format_arch_variant(cand)
    return Code.FALLBACK, rank, {"host": format_arch_variant(host), "entry": entry, "via": via}


def _judge_os_version(
    cand: Platform, view: HostView, rules: RuleSet, notes: list[Verdict]
) -> Verdict | None:
    """``match.os_version``; under ``stable-abi`` the containerd build window."""
    if rules.os_version_match == "equal-if-requested":
        if view.norm.os_version and cand.os_version != view.norm.os_version:
            return reject(
                Code.OS_VERSION_NOT_REQUESTED, entry=cand.os_version, requested=view.norm.os_version
            )
        return None
    if view.strategy == "any-build" and rules.os_version_match == "windows-strategy":
        notes.append(accept(Code.ANY_BUILD, 0))
        return None
    if rules.os_version_match == "ignore" or view.strategy != "stable-abi":
        if view.is_windows and rules.os_version_match == "ignore" and cand.os_version:
            notes.append(accept(Code.OS_VERSION_NOT_COMPARED, 0, os_version=cand.os_version))
        return None
    host = view.windows_version
    abi = rules.windows.stable_abi
    assert host is not None and abi is not None  # guaranteed by host_view
    if not cand.os_version:
        if rules.windows.empty_os_version == "match":
            notes.append(accept(Code.NO_OS_VERSION_ACCEPTED, 0))
            return None
        return reject(Code.NO_OS_VERSION)
    image = WindowsVersion.parse(cand.os_version)
    if image is None:
        return reject(Code.BAD_OS_VERSION, os_version=cand.os_version)
    if (image.major, image.minor) != (host.major, host.minor):
        return reject(
            Code.WINDOWS_RELEASE_MISMATCH,
            image=f"{image.major}.{image.minor}",
            host=f"{host.major}.{host.minor}",
        )
    low, high = abi.window(host)
    if image.build > high:
        return reject(Code.NEWER_BUILD, image=image.build, host=host.build)
    if image.build < low:
        if low == high:
            return reject(Code.ONLY_OWN_BUILD, image=image.build, host=host.build)
        return reject(Code.OLDER_THAN_FLOOR, image=image.build, host=host.build, floor=low)
    if image.build == host.build:
        notes.append(accept(Code.HOST_BUILD, 0, build=image.build))
    else:
        notes.append(accept(Code.STABLE_ABI_BUILD, 0, image=image.build, host=host.build))
    return None


def _judge_os_features(cand: Platform, view: HostView, rules: RuleSet) -> Verdict | None:
    """``match.os_features`` (containerd/platforms rc.3+ subset rule; ggcr's host-subset)."""
    host_features = set(view.norm.os_features)
    cand_features = set(cand.os_features)
    if rules.os_features_match == "subset":
        if view.is_windows:
            cand_features -= set(rules.windows_ignored_os_features)
        missing = sorted(cand_features - host_features)
        if missing:
            return reject(
                Code.MISSING_OS_FEATURES, missing=tuple(missing), host=tuple(sorted(host_features))
            )
    elif rules.os_features_match == "host-subset":
        missing = sorted(host_features - cand_features)
        if missing:
            return reject(Code.LACKS_REQUESTED_OS_FEATURES, missing=tuple(missing))
    return None


def judge_docker_windows(platform: Platform, view: HostView, rules: RuleSet) -> Verdict:
    """moby ``pull_v2_windows.go`` ``filterManifests`` for one entry.

    The architecture must equal the daemon's exactly (no normalization); the os
    must be windows; a build newer than the host's is dropped
    (``checkImageCompatibility``); the host's own build ranks 0 (``versionMatch``:
    os.version starts with ``major.minor.build.``), everything else 1, and list
    order decides within a rank. Whether an older build runs with process
    isolation is told from ``windows.process_isolation``.
    """
    host = view.windows_version
    assert host is not None
    if platform.architecture != view.norm.architecture:
        return reject(Code.ARCH_NOT_HOST, entry=platform.architecture, host=view.norm.architecture)
    if platform.os.lower() != "windows":
        return reject(Code.OS_NOT_WINDOWS, entry=platform.os)
    build = docker_build(platform.os_version)
    if build is not None and build > host.build:
        return reject(Code.NEWER_BUILD, image=build, host=host.build)
    if docker_prefix_match(platform.os_version, host):
        return accept(Code.WINDOWS_HOST_BUILD, 0, build=host.build)
    if build is None:
        return accept(Code.WINDOWS_BUILDLESS, 1, os_version=platform.os_version)
    abi = rules.windows.process_isolation
    isolation = None
    if abi is not None:
        low, high = abi.window(host)
        isolation = "process" if low <= build <= high else "hyperv"
    return accept(Code.WINDOWS_OLDER_BUILD, 1, build=build, host=host.build, isolation=isolation)
