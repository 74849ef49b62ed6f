"""The resolver: which entry of an index a host pulls, and why each other one is not.

Pure functions over parsed documents; no I/O except through the ``load_index``
callback used to follow nested indexes.

The mechanism, common to every rule set (the policy comes from the rule set):

1. The host is normalized with ``normalize.host`` and yields its *vector*, the
   platforms it runs, best first (``compatible`` / ``unlisted`` in the rule file;
   containerd ``platformVector``).
2. Each entry is judged on its own: its platform is normalized with
   ``normalize.candidates`` and must have the host's os, an (architecture,
   variant) in the vector, acceptable os.features, and on Windows an acceptable
   os.version. Its *rank* is the position of its platform in the vector.
   Entries without a platform follow ``no_platform``.
3. Matching entries are ordered by rank, then by the rule set's tie-breaks,
   then by list order (every client sorts stably), and the first is taken.
   A nested index is followed; when nothing inside it matches, the next entry
   is tried (moby ``pullManifestList``).

Docker's classic Windows path is not vector-based and has its own judge
(:func:`_judge_docker_windows`), as in moby.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.errors import InvalidManifest, InvalidPlatform
from planner.manifest import OCI_INDEX, Descriptor, Index
from planner.platform import Platform
from planner.rulesets import ArchVariant, RuleSet, TieBreak
from planner.windows import WindowsVersion, build_label, docker_build, docker_prefix_match

__all__ = ["MAX_INDEX_DEPTH", "Candidate", "Selection", "judge_image_platform", "select"]

MAX_INDEX_DEPTH = 4
"""How deep nested indexes are followed before giving up."""


@dataclass(frozen=True)
class Candidate:
    """One index entry with its verdict."""

    position: int
    descriptor: Descriptor
    match: bool
    rank: int | None
    reason: str
    nested: Selection | None = None
    """For an entry that is itself an index and was followed: what was chosen inside it."""

    def to_dict(self) -> dict[str, Any]:
        platform = self.descriptor.platform
        out: dict[str, Any] = {
            "position": self.position,
            "digest": self.descriptor.digest,
            "mediaType": self.descriptor.media_type,
            "platform": platform.to_oci() if platform is not None else None,
            "match": self.match,
            "rank": self.rank,
            "reason": self.reason,
        }
        if self.nested is not None:
            out["nested"] = [c.to_dict() for c in self.nested.candidates]
        return out


@dataclass(frozen=True)
class Selection:
    """The outcome of selecting within one index."""

    index: Index
    candidates: tuple[Candidate, ...]
    preference: tuple[int, ...]
    """Positions of the matching entries, most preferred first."""
    chosen: Candidate | None
    """The entry of this index that is pulled (may be a nested index)."""
    image: Descriptor | None
    """The image manifest finally pulled (through nested indexes)."""
    platform: Platform | None
    """Platform of that image manifest as the index declares it."""
    warnings: tuple[str, ...]


# --------------------------------------------------------------------------- host view


@dataclass(frozen=True)
class _HostView:
    """Everything about a host that does not depend on the entry being judged."""

    host: Platform
    norm: Platform
    is_windows: bool
    strategy: str
    windows_version: WindowsVersion | None
    vector: tuple[ArchVariant, ...]
    ranks: dict[ArchVariant, int]
    arch_ranks: dict[str, int]
    order: tuple[TieBreak, ...]
    runs: str
    """The vector for messages: ``arm64, arm/v8, arm/v7``."""


@functools.lru_cache(maxsize=4096)
def _host_view(host: Platform, rules: RuleSet) -> _HostView:
    norm = rules.host_normalizer(host)
    if not norm.os or not norm.architecture:
        raise InvalidPlatform(f"host {host!s}: os and architecture are required")
    is_windows = norm.os.lower() == "windows"
    strategy = rules.windows.strategy if is_windows else "none"
    windows_version = None
    if strategy != "none":
        windows_version = WindowsVersion.parse(norm.os_version) if norm.os_version else None
        if windows_version is None:
            given = f" ({norm.os_version!r} is not major.minor.build)" if norm.os_version else ""
            raise InvalidPlatform(
                f"host {host!s}: a Windows host needs its os.version{given}, e.g."
                f" --os-version 10.0.20348.1 or windows(10.0.20348)/amd64; rules {rules.name!r}"
                " choose Windows images by build"
            )
    if strategy == "stable-abi" and rules.windows.compatible == "exact":
        vector: tuple[ArchVariant, ...] = ((norm.architecture, norm.variant),)
    else:
        vector = rules.vector(norm)
    ranks: dict[ArchVariant, int] = {}
    arch_ranks: dict[str, int] = {}
    for rank, key in enumerate(vector):
        ranks.setdefault(key, rank)
        arch_ranks.setdefault(key[0], rank)
    order = rules.windows.order if strategy == "stable-abi" else rules.order
    runs = ", ".join(_fmt(av) for av in vector) or "nothing"
    return _HostView(
        host, norm, is_windows, strategy, windows_version, vector, ranks, arch_ranks, order, runs
    )


def _fmt(arch_variant: ArchVariant) -> str:
    return "/".join(p for p in arch_variant if p)


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class _Verdict:
    match: bool
    rank: int | None
    reason: str


def _reject(reason: str) -> _Verdict:
    return _Verdict(False, None, f"rejected: {reason}")


def _fallback_reason(view: _HostView, cand: ArchVariant, rank: int) -> str:
    host = (view.norm.architecture, view.norm.variant)
    if rank == 0:
        return "exact match"
    if cand[0] != host[0]:
        return f"{_fmt(host)} host runs {_fmt(cand)} via 32-bit compatibility"
    if not cand[1]:
        return f"{_fmt(host)} host runs the variant-less {cand[0]} entry as a fallback"
    return f"{_fmt(host)} host runs the older variant {_fmt(cand)}"


def _is_empty(platform: Platform) -> bool:
    p = platform
    return not (p.os or p.architecture or p.variant or p.os_version or p.os_features or p.features)


def _judge(desc: Descriptor, view: _HostView, rules: RuleSet, index_media_type: str) -> _Verdict:
    if not (desc.is_manifest or desc.is_index):
        return _reject(f"not an image manifest or index (media type {desc.media_type})")
    if desc.is_attestation and rules.attestations == "reject":
        return _reject("attestation manifest, not an image")
    platform = desc.platform
    substituted = ""
    if platform is None or (rules.empty_platform_is_missing and _is_empty(platform)):
        if view.strategy == "docker-classic":
            return _reject(
                f"no platform: docker on Windows needs architecture {view.norm.architecture}"
            )
        policy = rules.no_platform
        if isinstance(policy, Platform):
            platform = policy
            substituted = f"no platform, taken as {policy.format()}; "
        elif policy == "skip" or (
            policy == "last-resort-in-oci-index" and index_media_type != OCI_INDEX
        ):
            return _reject(f"no platform; {rules.name} never selects such an entry here")
        else:
            return _Verdict(
                True,
                len(view.vector),
                f"rank {len(view.vector)}: no platform, taken only if no entry with a platform matches",
            )
    if view.strategy == "docker-classic":
        return _judge_docker_windows(platform, view, rules)
    verdict = _judge_platform(platform, view, rules, attestation=desc.is_attestation)
    if substituted:
        prefix, _, rest = verdict.reason.partition(": ")
        return _Verdict(verdict.match, verdict.rank, f"{prefix}: {substituted}{rest}")
    return verdict


def _judge_platform(
    platform: Platform, view: _HostView, rules: RuleSet, *, attestation: bool = False
) -> _Verdict:
    """Judge one platform against the host (vector-based rule sets)."""
    cand = rules.candidate_normalizer(platform)
    cand_os = cand.os or (view.norm.os if rules.empty_os == "host" else "")
    if cand_os != view.norm.os:
        if attestation:
            return _reject(f"attestation manifest ({platform.format()}), not an image")
        return _reject(f"os {cand_os or '(none)'} does not run on a {view.norm.os} host")

    arch_variant = (cand.architecture, cand.variant)
    if rules.variant_match == "if-requested" and not view.norm.variant:
        rank = view.arch_ranks.get(cand.architecture)
    else:
        rank = view.ranks.get(arch_variant)
    if rank is None:
        shown = _fmt(arch_variant) or "(no architecture)"
        if not view.vector:
            return _reject(
                f"{rules.name} knows no {view.norm.architecture} variant"
                f" {view.norm.variant!r}, so this host matches nothing"
            )
        return _reject(f"{shown} is not among what {view.norm.format()} runs ({view.runs})")

    notes: list[str] = []
    version_verdict = _judge_os_version(cand, view, rules, notes)
    if version_verdict is not None:
        return version_verdict
    features_verdict = _judge_os_features(cand, view, rules)
    if features_verdict is not None:
        return features_verdict

    reason = _fallback_reason(view, arch_variant, rank)
    if rank == 0 and platform.format() != cand.format():
        reason += f" ({platform.format()} normalizes to {cand.format()})"
    return _Verdict(True, rank, f"rank {rank}: " + "; ".join([reason, *notes]))


def _judge_os_version(
    cand: Platform, view: _HostView, rules: RuleSet, notes: list[str]
) -> _Verdict | None:
    if rules.os_version_match == "equal-if-requested":
        if view.norm.os_version and cand.os_version != view.norm.os_version:
            return _reject(
                f"os.version {cand.os_version or '(none)'} is not the requested {view.norm.os_version}"
            )
        return None
    if rules.os_version_match == "ignore" or view.strategy != "stable-abi":
        if view.is_windows and rules.os_version_match == "ignore" and cand.os_version:
            notes.append(f"os.version {cand.os_version} not compared")
        return None
    host = view.windows_version
    abi = rules.windows.stable_abi
    assert host is not None and abi is not None  # guaranteed by _host_view
    if not cand.os_version:
        if rules.windows.empty_os_version == "match":
            notes.append("no os.version, accepted")
            return None
        return _reject("no os.version")
    image = WindowsVersion.parse(cand.os_version)
    if image is None:
        return _reject(f"os.version {cand.os_version!r} is not major.minor.build[.revision]")
    if (image.major, image.minor) != (host.major, host.minor):
        return _reject(
            f"windows {image.major}.{image.minor} image does not run on a"
            f" {host.major}.{host.minor} host"
        )
    low, high = abi.window(host)
    if image.build > high:
        return _reject(f"windows build {image.build} is newer than host build {host.build}")
    if image.build < low:
        if low == high:
            return _reject(
                f"host build {build_label(host.build)} runs only its own build, not {build_label(image.build)}"
            )
        return _reject(
            f"windows build {build_label(image.build)} is older than the oldest build host"
            f" {host.build} runs ({build_label(low)}, stable ABI)"
        )
    if image.build == host.build:
        notes.append(f"windows build {image.build} is the host's build")
    else:
        notes.append(
            f"windows build {build_label(image.build)} runs on host build {host.build} (stable ABI)"
        )
    return None


def _judge_os_features(cand: Platform, view: _HostView, rules: RuleSet) -> _Verdict | None:
    host_features = set(view.norm.os_features)
    cand_features = set(cand.os_features)
    if rules.os_features_match == "subset":
        if view.is_windows:
            cand_features -= set(rules.windows_ignored_os_features)
        missing = sorted(cand_features - host_features)
        if missing:
            have = ", ".join(sorted(host_features)) or "none"
            return _reject(
                f"needs os.features {', '.join(missing)}, which the host does not have (host: {have})"
            )
    elif rules.os_features_match == "host-subset":
        missing = sorted(host_features - cand_features)
        if missing:
            return _reject(f"lacks the requested os.features {', '.join(missing)}")
    return None


def _judge_docker_windows(platform: Platform, view: _HostView, rules: RuleSet) -> _Verdict:
    """moby pull_v2_windows.go filterManifests for one entry."""
    host = view.windows_version
    assert host is not None
    if platform.architecture != view.norm.architecture:
        return _reject(
            f"architecture {platform.architecture or '(none)'} is not the host's"
            f" {view.norm.architecture} (docker on Windows compares it exactly)"
        )
    if platform.os.lower() != "windows":
        return _reject(f"os {platform.os or '(none)'} is not supported by a Windows docker host")
    build = docker_build(platform.os_version)
    if build is not None and build > host.build:
        return _reject(f"windows build {build} is newer than host build {host.build}")
    if docker_prefix_match(platform.os_version, host):
        return _Verdict(True, 0, f"rank 0: windows build {host.build} is the host's build")
    if build is None:
        return _Verdict(
            True,
            1,
            f"rank 1: os.version {platform.os_version or '(none)'} has no build; docker keeps it",
        )
    isolation = _isolation(build, host, rules)
    return _Verdict(
        True,
        1,
        f"rank 1: windows build {build_label(build)} is older than host build {host.build}{isolation}",
    )


def _isolation(build: int, host: WindowsVersion, rules: RuleSet) -> str:
    abi = rules.windows.process_isolation
    if abi is None:
        return ""
    low, high = abi.window(host)
    if low <= build <= high:
        return " (runs with process isolation, stable ABI)"
    return " (runs only with Hyper-V isolation)"


# --------------------------------------------------------------------------- ordering


class _Descending:
    """Sort key wrapper that reverses the order of strings."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _tie_key(tie: TieBreak, desc: Descriptor, index_media_type: str) -> Any:
    platform = desc.platform
    if tie == "more-os-features":
        return -len(platform.os_features) if platform else 0
    if tie == "zstd-first":
        # containers/image reads the annotation only in OCI indexes.
        return 0 if index_media_type == OCI_INDEX and desc.is_zstd else 1
    if tie == "os-version-desc":
        return _Descending(platform.os_version if platform else "")
    # revision-desc: containerd 1.6 winRevision(), 0 when missing or not a number
    fields = platform.os_version.split(".") if platform else []
    revision = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else 0
    return -revision


# --------------------------------------------------------------------------- selection


_MEMO_INDEXES = 256


@dataclass
class _IndexMemo:
    """What select() remembers about one (index, rule set)."""

    index: Index
    rules: RuleSet
    entry_warnings: list[str]
    answers: dict[tuple[Platform, bool], Selection] = field(default_factory=dict)


_memo: OrderedDict[tuple[int, int], _IndexMemo] = OrderedDict()


def select(
    index: Index,
    host: Platform,
    rules: RuleSet,
    *,
    load_index: Callable[[Descriptor], Index] | None = None,
) -> Selection:
    """Choose the entry of ``index`` that ``host`` pulls under ``rules``.

    ``load_index`` reads a nested index by descriptor; without it a chosen
    nested index is reported as chosen, with a warning, and not followed.

    The answer depends only on the index, the host's platform and the rule
    set, so it is remembered (for the last 256 indexes): a fleet of thousands
    of hosts costs one evaluation per distinct platform.
    """
    key = (id(index), id(rules))
    memo = _memo.get(key)
    if memo is None or memo.index is not index or memo.rules is not rules:
        memo = _memo[key] = _IndexMemo(index, rules, _entry_warnings(index, rules))
        while len(_memo) > _MEMO_INDEXES:
            _memo.popitem(last=False)
    else:
        _memo.move_to_end(key)
    answer_key = (host, load_index is not None)
    selection = memo.answers.get(answer_key)
    if selection is None:
        selection = _select(index, host, rules, load_index, 0, memo.entry_warnings)
        memo.answers[answer_key] = selection
    return selection


def _select(
    index: Index,
    host: Platform,
    rules: RuleSet,
    load_index: Callable[[Descriptor], Index] | None,
    _depth: int,
    entry_warnings: list[str] | None = None,
) -> Selection:
    if _depth > MAX_INDEX_DEPTH:
        raise InvalidManifest(
            f"index {index.digest}: nested more than {MAX_INDEX_DEPTH} levels deep"
        )
    view = _host_view(host, rules)
    verdicts = [_judge(desc, view, rules, index.media_type) for desc in index.manifests]
    matching = [i for i, v in enumerate(verdicts) if v.match]
    ties = view.order

    def sort_key(i: int) -> tuple[Any, ...]:
        rank = verdicts[i].rank
        assert rank is not None
        return (rank, *(_tie_key(t, index.manifests[i], index.media_type) for t in ties), i)

    preference = sorted(matching, key=sort_key)
    warnings = list(entry_warnings if entry_warnings is not None else _entry_warnings(index, rules))

    candidates: list[Candidate] = [
        Candidate(i, desc, v.match, v.rank, v.reason)
        for i, (desc, v) in enumerate(zip(index.manifests, verdicts, strict=True))
    ]
    for position in preference:
        desc = index.manifests[position]
        if not desc.is_index:
            warnings += _choice_warnings(position, preference, index, view, rules)
            return _selection(
                index, candidates, preference, position, desc, desc.platform, warnings
            )
        if load_index is None:
            warnings.append(
                f"entry {position} is a nested index ({desc.digest}); this source cannot read it,"
                " so the image inside it is not known"
            )
            return _selection(
                index, candidates, preference, position, desc, desc.platform, warnings
            )
        nested = _select(load_index(desc), host, rules, load_index, _depth + 1)
        candidates[position] = Candidate(
            position,
            desc,
            True,
            verdicts[position].rank,
            verdicts[position].reason
            + ("" if nested.image else "; nothing inside matches, next entry tried"),
            nested,
        )
        if nested.image is not None:
            warnings += list(nested.warnings)
            return _selection(
                index, candidates, preference, position, nested.image, nested.platform, warnings
            )
    return Selection(index, tuple(candidates), tuple(preference), None, None, None, tuple(warnings))


def _selection(
    index: Index,
    candidates: list[Candidate],
    preference: Sequence[int],
    position: int,
    image: Descriptor,
    platform: Platform | None,
    warnings: list[str],
) -> Selection:
    chosen = candidates[position]
    return Selection(
        index, tuple(candidates), tuple(preference), chosen, image, platform, tuple(warnings)
    )


def _entry_warnings(index: Index, rules: RuleSet) -> list[str]:
    """Warnings about the index itself, independent of the choice."""
    warnings = []
    for i, desc in enumerate(index.manifests):
        p = desc.platform
        if p is None or desc.is_attestation:
            continue
        cand = rules.candidate_normalizer(p)
        known = rules.known_variants.get(cand.architecture)
        if known and cand.variant and cand.variant not in known:
            warnings.append(
                f"entry {i} ({p.format()}) has the non-canonical variant {p.variant!r}; {rules.name}"
                f" knows {', '.join(sorted(known))} for {cand.architecture}, so only a host with"
                " exactly that variant matches it"
            )
    return warnings


def _choice_warnings(
    position: int, preference: Sequence[int], index: Index, view: _HostView, rules: RuleSet
) -> list[str]:
    """Warnings about the chosen entry."""
    platform = index.manifests[position].platform
    if platform is None or (rules.empty_platform_is_missing and _is_empty(platform)):
        return [
            f"entry {position} has no platform and was taken because no entry with a platform"
            " matches; its image may not run on this host"
        ]
    if view.strategy == "docker-classic":
        assert view.windows_version is not None
        return _docker_windows_warnings(position, preference, index, view.windows_version, rules)
    return []


def _docker_windows_warnings(
    position: int, preference: Sequence[int], index: Index, host: WindowsVersion, rules: RuleSet
) -> list[str]:
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
    warnings = []
    abi = rules.windows.process_isolation
    low = abi.window(host)[0] if abi is not None else host.build
    if build < low:
        warnings.append(
            f"the chosen image has windows build {build_label(build)}, older than host build"
            f" {host.build}: it runs only with Hyper-V isolation (docker run --isolation=hyperv)"
        )
    closer = [
        i for i in preference if i > position and i in builds and build < builds[i] <= host.build
    ]
    if closer:
        best = max(closer, key=lambda i: builds[i])
        best_platform = index.manifests[best].platform
        assert best_platform is not None
        warnings.append(
            f"entry {best} ({best_platform.describe()}) is a closer build for host {host.build}"
            " but is listed later; docker keeps list order among older builds"
        )
    return warnings


def judge_image_platform(platform: Platform, host: Platform, rules: RuleSet) -> tuple[bool, str]:
    """Whether a single image's platform (from its config) runs on ``host``, and why."""
    view = _host_view(host, rules)
    if view.strategy == "docker-classic":
        verdict = _judge_docker_windows(platform, view, rules)
    else:
        verdict = _judge_platform(platform, view, rules)
    return verdict.match, verdict.reason
