"""The English of verdicts and notices, made here and nowhere else.

:func:`reason` words a :class:`~planner.select.verdicts.Verdict` as the one-line
``reason`` of ``resolve`` output (``rank 2: arm64 host runs arm/v7 via 32-bit
compatibility``, ``rejected: windows build 26100 is newer than host build
20348``); :func:`problem` words why a chosen image will not run; :func:`notice`
words a warning. Everything a registry or file said is shown with ``!r`` or as
already-validated values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from planner.model.platform import KNOWN_ARCHITECTURES, Platform
from planner.model.text import listed
from planner.model.windows import build_label
from planner.select.verdicts import Code, Notice, NoticeCode, Verdict

__all__ = ["no_compatible", "no_image_error", "notice", "problem", "reason", "verification"]


def _av(arch_variant: str) -> str:
    return arch_variant or "(no architecture)"


_ACCEPTED: dict[Code, Callable[[Verdict], str]] = {
    Code.EXACT: lambda v: (
        "exact match"
        + (
            f" ({v['normalized_from']} normalizes to {v['normalized']})"
            if v["normalized_from"]
            else ""
        )
    ),
    Code.FALLBACK: lambda v: {
        "32-bit": f"{v['host']} host runs {v['entry']} via 32-bit compatibility",
        "no-variant": f"{v['host']} host runs the variant-less {v['entry']} entry as a fallback",
        "older-variant": f"{v['host']} host runs the older variant {v['entry']}",
        "any-variant": (
            f"{v['host']} host takes {v['entry']} only because no entry matches it"
            " (any variant of its architecture, as a last resort)"
        ),
    }[v["via"]],
    Code.NO_PLATFORM: lambda v: "no platform, taken only if no entry with a platform matches",
    Code.WINDOWS_HOST_BUILD: lambda v: f"windows build {v['build']} is the host's build",
    Code.WINDOWS_BUILDLESS: lambda v: (
        f"os.version {v['os_version'] or '(none)'} has no build; docker keeps it"
    ),
    Code.WINDOWS_OLDER_BUILD: lambda v: (
        f"windows build {build_label(v['build'])} is older than host build {v['host']}"
        + {
            "process": " (runs with process isolation, stable ABI)",
            "hyperv": " (runs only with Hyper-V isolation)",
            None: "",
        }[v["isolation"]]
    ),
    # notes
    Code.OS_VERSION_NOT_COMPARED: lambda v: f"os.version {v['os_version']} not compared",
    Code.NO_OS_VERSION_ACCEPTED: lambda v: "no os.version, accepted",
    Code.HOST_BUILD: lambda v: f"windows build {v['build']} is the host's build",
    Code.STABLE_ABI_BUILD: lambda v: (
        f"windows build {build_label(v['image'])} runs on host build {v['host']} (stable ABI)"
    ),
    Code.ANY_BUILD: lambda v: (
        "the platform requested gives no os.version, so every windows build matches"
    ),
}

_REJECTED: dict[Code, Callable[[Verdict], str]] = {
    Code.NOT_AN_IMAGE: lambda v: f"not an image manifest or index (media type {v['media_type']})",
    Code.ATTESTATION: lambda v: (
        f"attestation manifest ({v['platform']}), not an image"
        if v.args.get("platform")
        else "attestation manifest, not an image"
    ),
    Code.NO_PLATFORM_DOCKER_WINDOWS: lambda v: (
        f"no platform: docker on Windows needs architecture {v['architecture']}"
    ),
    Code.NO_PLATFORM_SKIPPED: lambda v: (
        f"no platform; {v['rules']} never selects such an entry here"
    ),
    Code.OS_MISMATCH: lambda v: f"os {v['entry'] or '(none)'} does not run on a {v['host']} host",
    Code.FALLBACK_UNUSED: lambda v: (
        f"{v['host']} host would take {v['entry']} only if no entry matched it (any variant"
        " of its architecture, as a last resort), and one does"
    ),
    Code.ENTRY_OS_NOT_WINDOWS: lambda v: (
        f"os {v['entry'] or '(none)'}: {v['rules']}"
        + (
            " compares the os as written with 'windows' on a Windows host"
            if v["how"] == "as-written"
            else " takes an entry without os as the requesting daemon's own os, not windows"
        )
    ),
    Code.HOST_MATCHES_NOTHING: lambda v: (
        f"{v['rules']} knows no {v['architecture']} variant {v['variant']!r},"
        " so this host matches nothing"
    ),
    Code.NOT_RUN_BY_HOST: lambda v: (
        f"{_av(v['entry'])} is not among what {v['host']} runs ({listed(v['runs']) or 'nothing'})"
    ),
    Code.OS_VERSION_NOT_REQUESTED: lambda v: (
        f"os.version {v['entry'] or '(none)'} is not the requested {v['requested']}"
    ),
    Code.NO_OS_VERSION: lambda v: "no os.version",
    Code.BAD_OS_VERSION: lambda v: (
        f"os.version {v['os_version']!r} is not major.minor.build[.revision]"
    ),
    Code.WINDOWS_RELEASE_MISMATCH: lambda v: (
        f"windows {v['image']} image does not run on a {v['host']} host"
    ),
    Code.NEWER_BUILD: lambda v: f"windows build {v['image']} is newer than host build {v['host']}",
    Code.ONLY_OWN_BUILD: lambda v: (
        f"host build {build_label(v['host'])} runs only its own build, not {build_label(v['image'])}"
    ),
    Code.OLDER_THAN_FLOOR: lambda v: (
        f"windows build {build_label(v['image'])} is older than the oldest build host"
        f" {v['host']} runs ({build_label(v['floor'])}, stable ABI)"
    ),
    Code.MISSING_OS_FEATURES: lambda v: (
        f"needs os.features {listed(v['missing'])}, which the host does not have"
        f" (host: {listed(v['host']) or 'none'})"
    ),
    Code.LACKS_REQUESTED_OS_FEATURES: lambda v: (
        f"lacks the requested os.features {listed(v['missing'])}"
    ),
    Code.ARCH_NOT_HOST: lambda v: (
        f"architecture {v['entry'] or '(none)'} is not the host's {v['host']}"
        " (docker on Windows compares it exactly)"
    ),
    Code.OS_NOT_WINDOWS: lambda v: (
        f"os {v['entry'] or '(none)'} is not supported by a Windows docker host"
    ),
}


def reason(verdict: Verdict, ranked: bool = True) -> str:
    """The one-line reason: ``rank N: why[; note]...`` or ``rejected: why``; without
    ``ranked``, no ``rank N:`` (a table whose pick column already orders the entries).

    A single image is pulled whatever its platform (every client does, with a warning at
    most): one that does not run here says so, never "rejected", since it is the pick.
    """
    if verdict.code is Code.SINGLE_IMAGE:
        platform = verdict.args.get("platform")
        if verdict.inner is None or platform is None:
            return (
                "single image; its platform is unknown (config blob not available from this source)"
            )
        inner = reason(verdict.inner, ranked)
        if verdict.inner.rank is None:
            why = inner.removeprefix("rejected: ")
            return (
                f"single image ({platform.describe()}), pulled as it is; will not run here: {why}"
            )
        return f"single image ({platform.describe()}); {inner}"
    taken = (
        f"no platform, taken as {verdict.taken_as.format()}; "
        if verdict.taken_as is not None
        else ""
    )
    if verdict.rank is None:
        return f"rejected: {taken}{_REJECTED[verdict.code](verdict)}"
    parts = [_ACCEPTED[verdict.code](verdict), *(_ACCEPTED[n.code](n) for n in verdict.notes)]
    return (f"rank {verdict.rank}: " if ranked else "") + taken + "; ".join(parts)


def candidate_reason(verdict: Verdict, nested_found: bool | None, ranked: bool = True) -> str:
    """A candidate's reason; a followed nested index in which nothing matched says so."""
    text = reason(verdict, ranked)
    return text + ("; nothing inside matches, next entry tried" if nested_found is False else "")


def problem(verdict: Verdict) -> str:
    """Why a chosen image will not run on the host ('' when it runs)."""
    code = verdict.code
    if code is Code.RUNS:
        return ""
    if code is Code.FOREIGN_SINGLE_IMAGE:
        assert verdict.inner is not None
        why = reason(verdict.inner).removeprefix("rejected: ")
        return f"the tag is a single {verdict['platform'].describe()} image: {why}"
    if code is Code.FOREIGN_REQUESTED:
        assert verdict.inner is not None
        why = reason(verdict.inner).removeprefix("rejected: ")
        return (
            f"pulled for platform {verdict['requested'].describe()}, a"
            f" {verdict['platform'].describe()} image: {why}"
        )
    if code is Code.WRONG_WINDOWS_RELEASE:
        return f"windows {verdict['image']} image on a {verdict['host']} host"
    if code is Code.NEWER_THAN_HOST:
        return f"windows build {verdict['image']} is newer than host build {verdict['host']}"
    if code is Code.NEEDS_HYPERV:
        window = "-".join(str(b) for b in sorted(set(verdict["window"])))
        return (
            f"windows build {build_label(verdict['image'])} needs Hyper-V isolation on host build"
            f" {verdict['host']} (process isolation runs {window}); set isolation: hyperv if the"
            " host uses it"
        )
    raise ValueError(f"{code} is not a run verdict")


def _meant(host: Platform) -> str:
    """`` (did you mean linux/arm/v7?)`` for a host whose os is an architecture (``arm/v7``,
    ``amd64/v3``: Docker reads the first word as the os, as written); '' otherwise."""
    if host.os.lower() in KNOWN_ARCHITECTURES and host.architecture:
        return f" (did you mean linux/{host.os}/{host.architecture}?)"
    return ""


def no_compatible(rules: str, offered: Sequence[str], host: Platform | None = None) -> str:
    """The problem of a host that finds no image (fleet checks, workloads, compare)."""
    hint = _meant(host) if host is not None else ""
    return (
        f"no compatible image (rules {rules}){hint}; it offers: {listed(offered) or 'no entries'}"
    )


def no_image_error(source: str, host: Platform, rules: str, offered: Sequence[str]) -> str:
    """The message of :class:`~planner.model.errors.NoCompatibleImage` (resolve, plan)."""
    hint = _meant(host)
    return (
        f"no image in {source} runs on {host.describe()}{hint} under rules {rules};"
        f" it offers: {listed(offered) or 'no entries'}"
    )


_NOTICES: dict[NoticeCode, Callable[[dict[str, Any]], str]] = {
    NoticeCode.NON_CANONICAL_VARIANT: lambda a: (
        f"entry {a['position']} ({a['platform']}) has the non-canonical variant {a['variant']!r};"
        f" {a['rules']} knows {listed(a['known'])} for {a['architecture']}, so only a host with"
        " exactly that variant matches it"
    ),
    NoticeCode.NO_PLATFORM_PICKED: lambda a: (
        f"entry {a['position']} has no platform and was taken because no entry with a platform"
        " matches; its image may not run on this host"
    ),
    NoticeCode.HYPERV_ONLY: lambda a: (
        f"the chosen image has windows build {build_label(a['build'])}, older than host build"
        f" {a['host']}: it runs only with Hyper-V isolation (docker run --isolation=hyperv)"
    ),
    NoticeCode.CLOSER_BUILD_LATER: lambda a: (
        f"entry {a['position']} ({a['platform']}) is a closer build for host {a['host']}"
        " but is listed later; docker keeps list order among older builds"
    ),
    NoticeCode.NESTED_UNREADABLE: lambda a: (
        f"entry {a['position']} is a nested index ({a['digest']}); this source cannot read it,"
        " so the image inside it is not known"
    ),
    NoticeCode.CONFIG_UNAVAILABLE: lambda a: (
        "the source is a single image manifest and its config is not available, so whether"
        " it runs on this host is unknown; clients pull it anyway"
    ),
    NoticeCode.WILL_NOT_RUN: lambda a: (
        f"the {a['platform']} image is pulled all the same: docker and podman with a warning,"
        " containerd silently"
    ),
    NoticeCode.REPEATED_LAYER: lambda a: (
        f"layer {a['order']} ({a['digest']}) repeats blob {a['first']}; it is downloaded once"
    ),
    NoticeCode.REQUEST_DECIDED: lambda a: (
        f"{a['platform']} gives no os.version: taken as a platform requested from a daemon"
        f" on a host of another OS; {a['rules']} then matches every Windows"
        " build, best architecture first, then list order: the request decided, not a host"
        " build"
    ),
    NoticeCode.KNOWN_FAILURE: lambda a: (
        f"{a['rules']} picks entry {a['position']} ({a['platform']}) but is known to fail on"
        " it: "
        + {
            "os-case": "its os is not written in lower case, and the daemon has no layer"
            " store for that os (Docker 20.10 panics); the pull does not complete",
        }[a["what"]]
    ),
    NoticeCode.HOST_READ_AS: lambda a: (
        f"{a['rules']} splits the platform {a['platform']!r} at its first '/' only: the"
        f" architecture is {a['architecture']!r}, which no entry has (newer releases read the"
        " variant)"
    ),
    NoticeCode.HAVE_HAS_NO_IMAGE: lambda a: (
        f"have {a['source']}: no image for this host, so nothing counts as present from it"
    ),
}


def notice(item: Notice) -> str:
    """A warning's text."""
    return _NOTICES[item.code](item.args)


def verification(
    role: str, digest: str, endpoint: str, status: str, size: int, length: int | None, detail: str
) -> str:
    """One line for a checked manifest or blob (verify) that is not ``ok``: what, where,
    and what the registry said (``layer 2 sha256:… is missing at localhost:5000 (HEAD: 404)``)."""
    where = endpoint or "its registry"
    if status == "missing":
        unknown = "manifest unknown" if role.endswith("manifest") else "blob unknown"
        return f"{role} {digest} is missing at {where} ({detail}): the pull fails ({unknown})"
    if status == "size-mismatch":
        return (
            f"{role} {digest} at {where} is {length} bytes, the manifest says {size}:"
            " the pull fails (size mismatch)"
        )
    return f"{role} {digest} at {where} could not be verified: {detail}"
