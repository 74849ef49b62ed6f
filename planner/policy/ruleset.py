"""Rule sets: one client's selection policy, as frozen data read from ``rules/*.yaml``.

A rule set is policy only (which aliases, which fallback platforms in which
order, which Windows strategy); :mod:`planner.select` is the mechanism. The
file format is documented in ``rules/README.md`` and declared in
:mod:`planner.policy.schema`; :mod:`planner.policy.loader` finds rule files and
validates each into a :class:`RuleSet` once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.model.text import go_int
from planner.policy.detection import Detection, LocalRules
from planner.policy.normalize import Normalizer
from planner.policy.registry import RegistryRules, RequestRules
from planner.policy.stable_abi import StableAbi

__all__ = [
    "DEFAULT_RULES",
    "ArchVariant",
    "HostRules",
    "RuleSet",
    "TieBreak",
    "WindowsPolicy",
    "numeric_rank",
    "numeric_vector",
    "variant_number",
]

DEFAULT_RULES = "docker"

ArchVariant = tuple[str, str]
Unlisted = Literal["exact", "exact-then-no-variant", "none"]
VariantMatch = Literal["equal", "if-requested", "numeric"]
OsVersionMatch = Literal["windows-strategy", "ignore", "equal-if-requested"]
OsFeaturesMatch = Literal["subset", "host-subset", "ignore"]
TieBreak = Literal["more-os-features", "zstd-first", "os-version-desc", "revision-desc"]
NoPlatform = Literal["last-resort", "last-resort-in-oci-index", "skip"]
WindowsStrategy = Literal["docker-classic", "stable-abi", "none"]


@dataclass(frozen=True)
class WindowsPolicy:
    """How a Windows host chooses among Windows entries (``windows`` in a rule file)."""

    strategy: WindowsStrategy
    compatible: Literal["table", "exact"] = "table"
    stable_abi: StableAbi | None = None
    empty_os_version: Literal["match", "reject"] = "match"
    order: tuple[TieBreak, ...] = ()
    process_isolation: StableAbi | None = None
    missing_host_build: Literal["error", "any-build"] = "error"
    """A Windows host without os.version: an error, or every Windows build matches
    (containerd: a matcher without os.version accepts any build, list order)."""
    entry_os: Literal["normalized", "as-written"] = "normalized"
    """A Windows host with its build: the entry's os normalized (an empty os is the host's),
    or compared as written with ``windows`` (containerd 1.6.18-1.6.39 ``matchComparer``)."""

    @property
    def needs_host_build(self) -> bool:
        """Whether a Windows host must say its build (``os.version``) under this policy."""
        return self.strategy != "none"


@dataclass(frozen=True)
class HostRules:
    """How the client reads the host platform it is given (``host`` in a rule file).

    ``dotted``: what happens to a platform string with a ``.`` in a component
    (``linux/arm64/v8.2``): ``accept`` it; ``reject`` it as an error (containerd
    < 2.0 ``platforms.Parse``); ``raw-values`` (use os, architecture and variant
    as typed, not normalized: podman 5.0-5.3, whose containerd Parse fails and
    hands the raw values on); ``raw-architecture`` (podman 4 ``pull`` splits the
    string in two, so ``arm64/v8.2`` becomes the architecture and nothing matches).
    ``variant``: ``keep`` the variant given, or ``drop`` it (podman 4.0-4.2: an
    implicit variant never reaches containers/image).
    """

    dotted: Literal["accept", "reject", "raw-values", "raw-architecture"] = "accept"
    variant: Literal["keep", "drop"] = "keep"
    bare: Literal["architecture", "os"] = "architecture"
    """A platform of one word (``arm64``): a known ``architecture`` on Linux (containerd
    ``platforms.Parse``), or the ``os`` (podman ``pull`` splits the platform at ``/``:
    ``arm64`` is the OS, the architecture the machine's)."""


@dataclass(frozen=True)
class RuleSet:
    """A client's selection rules, loaded from one YAML file."""

    name: str
    summary: str
    clients: str
    path: Path
    sources: tuple[str, ...]
    host_normalizer: Normalizer
    candidate_normalizer: Normalizer
    compatible: Mapping[ArchVariant, tuple[ArchVariant, ...]]
    unlisted: Mapping[str, Unlisted]
    empty_os: Literal["host", "keep"]
    variant_match: VariantMatch
    os_version_match: OsVersionMatch
    os_features_match: OsFeaturesMatch
    windows_ignored_os_features: tuple[str, ...]
    order: tuple[TieBreak, ...]
    arch_fallback: tuple[str, ...]
    media_types: Literal["images", "any"]
    no_platform: NoPlatform | Platform
    empty_platform_is_missing: bool
    attestations: Literal["reject", "by-platform"]
    windows: WindowsPolicy
    fails_on: tuple[str, ...] = ()
    """Entries the release is known to fail on once it picks them (``os-case``)."""
    known_variants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    host_rules: HostRules = field(default_factory=lambda: HostRules())
    family: str = ""
    """The family file's name (``containerd``); '' for a rule file given by path."""
    releases: str = ""
    """The release range these rules are, as a version specifier (``>=1.7.19,<2.0.0``)."""
    release: str = ""
    """The release asked for (``1.7.20``); '' when the newest range was taken."""
    range_source: str = ""
    """Where this range's difference from the one before comes from."""
    build: str = ""
    """The distribution build these rules are (its version suffix, ``+dfsg``); '' = upstream."""
    local: LocalRules | None = None
    """``local``: how the engine detects its own host, per release; None when not declared."""
    registry: RegistryRules | None = None
    """``registry``: the registry configuration the engine reads, and its fallbacks."""
    requests: RequestRules | None = None
    """``requests``: the registry requests one pull makes; None when not stated."""

    def __hash__(self) -> int:
        return object.__hash__(self)  # equality is identity; every memo hashes rule sets

    def __eq__(self, other: object) -> bool:
        return self is other

    def local_detection(self) -> Detection | None:
        """How the engine of these rules, at their release, detects its host; None when the
        file has no ``local`` block (a family added as a file needs no Python)."""
        if self.local is None:
            return None
        return self.local.at(self.release, self.releases)

    def vector(self, host: Platform) -> tuple[ArchVariant, ...]:
        """What a normalized host runs, most preferred first (containerd ``platformVector``).

        A host listed in ``compatible`` runs its list; any other host runs what
        ``unlisted`` says for its architecture: its own platform (``exact``), that
        and the variant-less platform (``exact-then-no-variant``), or nothing.
        Under ``match.variant: numeric`` the list is its own architecture's
        variants by number (:func:`planner.policy.ruleset.numeric_vector`).
        """
        if self.variant_match == "numeric":
            return numeric_vector(host.architecture, host.variant)
        key = (host.architecture, host.variant)
        if key in self.compatible:
            return self.compatible[key]
        strategy = self.unlisted.get(host.architecture, self.unlisted.get("*", "exact"))
        if strategy == "none":
            return ()
        if strategy == "exact-then-no-variant" and host.variant:
            return (key, (host.architecture, ""))
        return (key,)


# --------------------------------------------------------------------------- numeric variants
# Numeric variant compatibility (``match.variant: numeric``): variants compared as numbers.
#
# Some clients do not keep a table of what a host runs: they read a variant as a
# number (``v3`` is 3, ``7`` is 7; a leading ``v`` is dropped, anything that is
# not an integer counts as 0) and a host runs every variant of its own
# architecture whose number is at most its own. The host's own variant (the same
# string) is preferred, then larger numbers; variants of equal number keep list
# order. Two special cases: a host whose variant is 1 also runs an entry without
# variant (counted 0 anyway), and a host without variant also runs an entry
# whose variant is 1.
#
# This is regclient's ``types/platform`` (``compare.go``: ``variantCompatible``,
# ``variantVer``, ``compare.Better``), regctl 0.6.0 and later; the rule file
# cites it. Only the mechanism is here.


def variant_number(variant: str) -> int:
    """The variant as a number: ``v3`` -> 3, ``7`` -> 7, anything not an integer -> 0."""
    value = go_int(variant.removeprefix("v"))
    return 0 if value is None else value


def _top(host_variant: str) -> int:
    """The largest variant number a host runs (one more than its own for a host without one)."""
    number = variant_number(host_variant)
    return 1 if host_variant == "" and number < 1 else number


def numeric_rank(host_variant: str, entry_variant: str) -> int | None:
    """The entry's rank for a host of its architecture, or None when the host does not run it.

    0 for the host's own variant; otherwise 1 plus how far the entry's number is
    below the largest number the host runs, so larger numbers come first.
    """
    if entry_variant == host_variant:
        return 0
    host, entry = variant_number(host_variant), variant_number(entry_variant)
    runs = (
        host >= entry or (host == 1 and entry_variant == "") or (host_variant == "" and entry == 1)
    )
    if not runs:
        return None
    return 1 + _top(host_variant) - entry


def numeric_vector(architecture: str, host_variant: str) -> tuple[tuple[str, str], ...]:
    """What the host runs, as a list to show: its own, then ``v<n>`` down to ``v1``, then none.

    Every other variant whose number is 0 (not an integer) also runs, ranked with none.
    """
    out: list[tuple[str, str]] = [(architecture, host_variant)]
    for number in range(min(_top(host_variant), 64), 0, -1):
        if f"v{number}" != host_variant:
            out.append((architecture, f"v{number}"))
    if host_variant:
        out.append((architecture, ""))
    return tuple(out)
