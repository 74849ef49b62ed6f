"""The host as a rule set sees it: normalized, with the list of platforms it runs.

Everything here depends on the host and the rule set only, never on an index
entry, so it is computed once per (host, rules) and shared by every entry and
every index judged for that host.
"""

from __future__ import annotations

import functools
import itertools

from planner.model.errors import InvalidPlatform
from planner.model.platform import Platform
from planner.model.record import dataclass
from planner.model.windows import WindowsVersion, release_name_problem
from planner.policy.ruleset import ArchVariant, RuleSet, TieBreak
from planner.select.verdicts import Notice, NoticeCode

__all__ = ["HostView", "format_arch_variant", "host_view", "judging_view", "read_platform"]


def format_arch_variant(arch_variant: ArchVariant) -> str:
    """``arm/v7``, ``arm64``, or ``''`` for an entry without architecture."""
    return "/".join(p for p in arch_variant if p)


@dataclass(frozen=True)
class HostView:
    """What a host runs under one rule set."""

    host: Platform
    norm: Platform
    """The host after ``normalize.host``."""
    is_windows: bool
    strategy: str
    """The Windows strategy in force: the rule set's for a Windows host, else ``none``."""
    windows_version: WindowsVersion | None
    vector: tuple[ArchVariant, ...]
    """What the host runs, most preferred first (containerd ``platformVector``)."""
    ranks: dict[ArchVariant, int]
    arch_ranks: dict[str, int]
    order: tuple[TieBreak, ...]
    runs: tuple[str, ...]
    """The vector formatted, for verdicts: ``("arm64", "arm/v8", ...)``."""
    notices: tuple[Notice, ...] = ()
    """How the client read the host, when that is worth saying (podman 4's two-way split)."""
    key: tuple[object, ...] = ()
    """A number for the judgement, then everything of the host a verdict can depend on
    (see :func:`judging_view`): hosts with equal keys get one answer."""
    coarse: int = -1
    """The number of the key without the os.version the rules compare (-1: they compare none)."""


def _as_read(host: Platform, rules: RuleSet) -> tuple[Platform, bool, tuple[Notice, ...]]:
    """The host as this release reads it: (platform, whether to normalize it, notices).

    ``host.dotted`` decides a platform with a ``.`` in its architecture or
    variant, ``host.variant`` whether the variant reaches the matcher at all.
    """
    read = rules.host_rules
    if "." not in host.architecture + host.variant:
        return host, True, ()
    if read.dotted == "reject":
        raise InvalidPlatform(
            f"rules {rules.name} cannot read platform {host!s}: this release's parser allows no"
            " '.' in a component (containerd platforms.Parse before 2.0)"
        )
    if read.dotted == "raw-values":
        return host, False, ()
    if read.dotted == "raw-architecture" and host.variant:
        as_read = host.with_fields(architecture=f"{host.architecture}/{host.variant}", variant="")
        notice = Notice(
            NoticeCode.HOST_READ_AS,
            {"rules": rules.name, "platform": str(host), "architecture": as_read.architecture},
        )
        return as_read, False, (notice,)
    return host, True, ()


def read_platform(text: str, rules: RuleSet | None = None) -> Platform:
    """The platform a client reads from the platform text it is given.

    A known architecture alone (``arm64``) is ``linux/arm64``, as Docker and
    containerd read it (``platforms.Parse``), unless ``rules`` say the client takes
    one word as the OS (``host.bare: os``, podman ``pull``: the OS ``arm64`` and the
    machine's architecture, so no entry of an index matches): that is refused, with
    the reason, rather than answered for a platform the client never asks for.
    """
    host = Platform.parse(text, default_os="linux")
    if "/" not in text and rules is not None and rules.host_rules.bare == "os":
        raise InvalidPlatform(
            f"rules {rules.name} read the platform {text!r} as an OS: the client splits it at"
            f" '/', so {text!r} is the OS and the architecture is the machine's, and no index"
            f" entry has OS {text!r}; give os/arch, such as {host.format()!r}"
        )
    return host


_JUDGEMENTS: dict[tuple[object, ...], int] = {}
_NEXT_JUDGEMENT = itertools.count()


def _judgement_id(judged: tuple[object, ...]) -> int:
    """A number per distinct judgement key, never reused, so memos hash an int, not the key.

    Forgetting the numbers (past 16,384 keys, a few MB) only costs a memo miss later."""
    number = _JUDGEMENTS.get(judged)
    if number is None:
        if len(_JUDGEMENTS) >= 16_384:
            _JUDGEMENTS.clear()
        number = _JUDGEMENTS[judged] = next(_NEXT_JUDGEMENT)
    return number


def _drop_variant(norm: Platform, rules: RuleSet) -> Platform:
    if rules.host_rules.variant == "drop" and norm.variant:
        return norm.with_fields(variant="")  # after containerd's Parse: podman 4.0-4.2
    return norm


@functools.lru_cache(maxsize=1024)
def _normalized(
    rules: RuleSet, os: str, architecture: str, variant: str, os_features: tuple[str, ...]
) -> Platform:
    """``normalize.host`` of a host without '.' in its architecture and variant.

    Normalization reads neither os.version nor ``features``, so hosts that
    differ only in those (Windows revisions) share the result.
    """
    plain = Platform(os, architecture, variant, "", os_features)
    return _drop_variant(rules.host_normalizer(plain), rules)


@functools.lru_cache(maxsize=1024)
def _vector(
    rules: RuleSet, architecture: str, variant: str, exact: bool
) -> tuple[tuple[ArchVariant, ...], dict[ArchVariant, int], dict[str, int], tuple[str, ...]]:
    """The vector of a normalized host, its ranks (by platform, by architecture) and as text.

    ``exact``: ``stable-abi`` with ``compatible: exact`` (its own platform only).
    The dictionaries are shared by every view of such a host: read, never written.
    """
    if exact:
        vector: tuple[ArchVariant, ...] = ((architecture, variant),)
    else:
        vector = rules.vector(Platform("", architecture, variant))
    ranks: dict[ArchVariant, int] = {}
    arch_ranks: dict[str, int] = {}
    for rank, key in enumerate(vector):
        ranks.setdefault(key, rank)
        arch_ranks.setdefault(key[0], rank)
    return vector, ranks, arch_ranks, tuple(format_arch_variant(av) for av in vector)


@functools.lru_cache(maxsize=4096)
def host_view(host: Platform, rules: RuleSet) -> HostView:
    """The host under ``rules``; raises InvalidPlatform for a host the rules cannot judge.

    A Windows host needs its build (``os.version``) under every Windows strategy
    but ``none``, unless ``windows.missing_host_build: any-build`` (containerd:
    a matcher without os.version matches every build, in list order). Under
    ``stable-abi`` with ``compatible: exact`` (containerd rc.2+
    ``windowsMatchComparer{NewMatcher(DefaultSpec())}``) a Windows host runs
    only its own architecture and variant: no 386 or arm fallback.
    """
    if "." in host.architecture + host.variant:
        given, normalize, notices = _as_read(host, rules)
        norm = rules.host_normalizer(given) if normalize else given.with_fields()
        norm = _drop_variant(norm, rules)
    else:  # the common case: normalized once per (os, architecture, variant, features)
        notices = ()
        norm = _normalized(rules, host.os, host.architecture, host.variant, host.os_features)
        norm = Platform(
            norm.os,
            norm.architecture,
            norm.variant,
            host.os_version,
            norm.os_features,
            host.features,
        )
    if not norm.os or not norm.architecture:
        raise InvalidPlatform(f"host {host!s}: os and architecture are required")
    is_windows = norm.os.lower() == "windows"
    strategy: str = rules.windows.strategy if is_windows else "none"
    windows_version = None
    if (
        strategy == "stable-abi"
        and not norm.os_version
        and rules.windows.missing_host_build == "any-build"
    ):
        # A platform asked for, not a host: the matcher has no build to compare.
        strategy = "any-build"
        notices += (
            Notice(NoticeCode.REQUEST_DECIDED, {"rules": rules.name, "platform": str(host)}),
        )
    if strategy in ("stable-abi", "docker-classic"):
        windows_version = WindowsVersion.parse(norm.os_version) if norm.os_version else None
        if windows_version is None:
            named = release_name_problem(norm.os_version) if norm.os_version else None
            if named:  # windows(ltsc2022)/amd64: the message says what to give instead
                raise InvalidPlatform(f"host {host!s}: os.version {named}")
            given_text = (
                f" ({norm.os_version!r} is not major.minor.build)" if norm.os_version else ""
            )
            raise InvalidPlatform(
                f"host {host!s}: a Windows host needs its os.version{given_text}, e.g."
                f" windows(10.0.20348)/amd64; rules {rules.name!r} choose Windows images by build",
                field="os.version",
            )
    exact = strategy == "stable-abi" and rules.windows.compatible == "exact"
    vector, ranks, arch_ranks, runs = _vector(rules, norm.architecture, norm.variant, exact)
    # docker-classic is moby's own Windows sort (manifestsByVersion), never the Linux ties
    order = rules.windows.order if strategy in ("stable-abi", "docker-classic") else rules.order
    compared = norm.os_version if rules.os_version_match == "equal-if-requested" else ""
    build = (
        None
        if windows_version is None
        else (windows_version.major, windows_version.minor, windows_version.build)
    )
    judged: tuple[object, ...] = (norm.os, norm.architecture, norm.variant, norm.os_features)
    judged += (compared, is_windows, strategy, build, vector, order, host if notices else None)
    judged = (_judgement_id(judged), *judged)
    # The same key without a compared os.version: verdicts the judge gives before it
    # reads the os.version (DECIDED_BEFORE_HOST_OS_VERSION) are shared across it.
    coarse = _judgement_id((*judged[1:5], "", *judged[6:])) if compared else -1
    return HostView(
        host,
        norm,
        is_windows,
        strategy,
        windows_version,
        vector,
        ranks,
        arch_ranks,
        order,
        runs,
        notices,
        judged,
        coarse,
    )


def judging_view(view: HostView) -> HostView:
    """The view with only what :attr:`HostView.key` holds: every host of one key is judged alike.

    The judge, the order and the choice warnings read the host through this
    view, so they cannot see what the key leaves out: the host as typed, an
    os.version the rule set does not compare (``match.os_version`` other than
    ``equal-if-requested``), a Windows revision (builds are compared, moby
    ``versionMatch``, containerd ``windowsOSVersion``). Thousands of hosts that
    differ in those give one judgement, made once.
    """
    if view.notices:
        return view  # worded with the host as typed: judged per host
    norm = view.norm
    plain = Platform(norm.os, norm.architecture, norm.variant, str(view.key[5]), norm.os_features)
    windows = view.windows_version
    if windows is not None:
        windows = WindowsVersion(windows.major, windows.minor, windows.build)
    v = view
    return HostView(
        plain,
        plain,
        v.is_windows,
        v.strategy,
        windows,
        v.vector,
        v.ranks,
        v.arch_ranks,
        v.order,
        v.runs,
        v.notices,
        v.key,
        v.coarse,
    )
