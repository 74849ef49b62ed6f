"""Verdicts and notices as data: a code and its arguments, never a sentence.

The judge (:mod:`planner.select.judge`) gives every index entry a
:class:`Verdict`; selection and planning raise :class:`Notice`\\ s (warnings).
Callers branch on :attr:`Verdict.code` and read :attr:`Verdict.args`; the
English is made in one place, :mod:`planner.select.explain`.

A verdict that accepts an entry has a ``rank`` (its position in what the host
runs; 0 = the host's own platform); a rejection has ``rank`` None. Accepting
verdicts may carry ``notes`` (verdicts of their own, such as "the host's
build") and, when the rule set judged a platform-less entry as some platform,
``taken_as``.
"""

from __future__ import annotations

import enum
from typing import Any

from planner.model.platform import Platform
from planner.model.record import dataclass, field

__all__ = ["Code", "Notice", "NoticeCode", "Verdict", "accept", "reject"]


class Code(enum.Enum):
    """What the judge found. Accepting codes first, then rejections, then notes."""

    # accepted (rank is set)
    EXACT = "exact"
    """the host's own platform; args: ``normalized_from`` (the entry as written) or None"""
    FALLBACK = "fallback"
    """a lower entry of the host's list; args: ``host``, ``entry``, ``via``
    (32-bit | no-variant | older-variant | any-variant)"""
    NO_PLATFORM = "no-platform"
    """an entry without platform, kept as a last resort"""
    WINDOWS_HOST_BUILD = "windows-host-build"
    """docker classic: the entry's os.version has the host's build; args: ``build``"""
    WINDOWS_BUILDLESS = "windows-buildless"
    """docker classic: the entry's os.version has no build field; args: ``os_version``"""
    WINDOWS_OLDER_BUILD = "windows-older-build"
    """docker classic: an older build; args: ``build``, ``host``, ``isolation`` (process | hyperv | None)"""
    SINGLE_IMAGE = "single-image"
    """a tag that is one image; args: ``platform`` (from its config, or None); ``inner`` verdict"""

    # rejected (rank is None)
    NOT_AN_IMAGE = "not-an-image"
    """args: ``media_type``"""
    ATTESTATION = "attestation"
    """args: ``platform`` (formatted) or None"""
    NO_PLATFORM_DOCKER_WINDOWS = "no-platform-docker-windows"
    """docker classic on Windows drops platform-less entries; args: ``architecture``"""
    NO_PLATFORM_SKIPPED = "no-platform-skipped"
    """args: ``rules``"""
    OS_MISMATCH = "os-mismatch"
    """args: ``entry`` (os or ''), ``host``"""
    HOST_MATCHES_NOTHING = "host-matches-nothing"
    """the host's variant is outside every table; args: ``rules``, ``architecture``, ``variant``"""
    NOT_RUN_BY_HOST = "not-run-by-host"
    """args: ``entry`` (arch/variant), ``host`` (formatted), ``runs`` (the host's list)"""
    OS_VERSION_NOT_REQUESTED = "os-version-not-requested"
    """args: ``entry``, ``requested``"""
    NO_OS_VERSION = "no-os-version"
    BAD_OS_VERSION = "bad-os-version"
    """args: ``os_version``"""
    WINDOWS_RELEASE_MISMATCH = "windows-release-mismatch"
    """major.minor differ; args: ``image`` ("10.0"), ``host``"""
    NEWER_BUILD = "newer-build"
    """args: ``image``, ``host`` (builds)"""
    ONLY_OWN_BUILD = "only-own-build"
    """a host below the first stable-ABI LTSC; args: ``image``, ``host``"""
    OLDER_THAN_FLOOR = "older-than-floor"
    """args: ``image``, ``host``, ``floor``"""
    MISSING_OS_FEATURES = "missing-os-features"
    """args: ``missing``, ``host`` (tuples of features)"""
    LACKS_REQUESTED_OS_FEATURES = "lacks-requested-os-features"
    """args: ``missing``"""
    ARCH_NOT_HOST = "arch-not-host"
    """docker classic on Windows compares architecture exactly; args: ``entry``, ``host``"""
    FALLBACK_UNUSED = "fallback-unused"
    """an entry only ``match.arch_fallback`` takes, while another entry matched (moby 20.10
    tries the partial match only when nothing matched); args: ``host``, ``entry``"""
    OS_NOT_WINDOWS = "os-not-windows"
    """docker classic on Windows; args: ``entry``"""
    ENTRY_OS_NOT_WINDOWS = "entry-os-not-windows"
    """an entry whose os, as the client reads it, is not the windows asked for; args:
    ``entry`` (the os as written), ``rules``, ``how`` (as-written: the Windows matcher
    compares the raw os; daemon-os: an empty os is the requesting daemon's own os)"""

    # notes on accepted verdicts
    OS_VERSION_NOT_COMPARED = "os-version-not-compared"
    """args: ``os_version``"""
    NO_OS_VERSION_ACCEPTED = "no-os-version-accepted"
    HOST_BUILD = "host-build"
    """args: ``build``"""
    STABLE_ABI_BUILD = "stable-abi-build"
    """args: ``image``, ``host``"""
    ANY_BUILD = "any-build"
    """a Windows host without os.version, under rules that then take every build"""

    # whether a chosen image runs (Resolution.runs)
    RUNS = "runs"
    FOREIGN_SINGLE_IMAGE = "foreign-single-image"
    """a single-image tag for another platform; args: ``platform``; ``inner`` = the rejection"""
    FOREIGN_REQUESTED = "foreign-requested"
    """pulled for a platform asked for (Compose ``platform:``) that the host does not run;
    args: ``platform`` (the image's), ``requested``; ``inner`` = the rejection"""
    WRONG_WINDOWS_RELEASE = "wrong-windows-release"
    """args: ``image`` ("6.3"), ``host`` ("10.0")"""
    NEWER_THAN_HOST = "newer-than-host"
    """args: ``image``, ``host`` (builds)"""
    NEEDS_HYPERV = "needs-hyperv"
    """args: ``image``, ``host``, ``window`` (the builds process isolation runs)"""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judge's finding on one entry (or on whether a chosen image runs)."""

    code: Code
    rank: int | None = None
    args: dict[str, Any] = field(default_factory=dict, compare=False)
    notes: tuple[Verdict, ...] = ()
    taken_as: Platform | None = None
    """The platform a platform-less entry was judged as (crane: linux/amd64)."""
    inner: Verdict | None = None
    """For SINGLE_IMAGE and FOREIGN_SINGLE_IMAGE: the verdict on the image's own platform."""

    @property
    def match(self) -> bool:
        return self.rank is not None

    def __getitem__(self, name: str) -> Any:
        return self.args[name]


def accept(code: Code, rank: int, notes: tuple[Verdict, ...] = (), **args: Any) -> Verdict:
    return Verdict(code, rank, args, notes)


def reject(code: Code, **args: Any) -> Verdict:
    return Verdict(code, None, args)


class NoticeCode(enum.Enum):
    """Warnings raised while selecting and planning."""

    NON_CANONICAL_VARIANT = "non-canonical-variant"
    NO_PLATFORM_PICKED = "no-platform-picked"
    HYPERV_ONLY = "hyperv-only"
    CLOSER_BUILD_LATER = "closer-build-later"
    NESTED_UNREADABLE = "nested-unreadable"
    CONFIG_UNAVAILABLE = "config-unavailable"
    WILL_NOT_RUN = "will-not-run"
    REPEATED_LAYER = "repeated-layer"
    HAVE_HAS_NO_IMAGE = "have-has-no-image"
    HOST_READ_AS = "host-read-as"
    KNOWN_FAILURE = "known-failure"
    """the release picks this entry and is known to fail on it (``fails_on``); args:
    ``rules``, ``position``, ``platform`` (formatted), ``what`` (os-case)"""
    REQUEST_DECIDED = "request-decided"
    """a Windows platform asked for without os.version (``windows/amd64`` requested from a
    daemon of another OS): the request, not a host build, chose; args: ``rules``, ``platform``"""


@dataclass(frozen=True, slots=True)
class Notice:
    """One warning: a code and its arguments (worded by :func:`planner.select.explain.notice`)."""

    code: NoticeCode
    args: dict[str, Any] = field(default_factory=dict, compare=False)

    def __getitem__(self, name: str) -> Any:
        return self.args[name]
