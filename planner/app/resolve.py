"""Resolve a source for a host: the library entry point behind ``pull-planner resolve``."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from planner.app.requests import PullRequests, count_requests
from planner.model.arguments import InvalidArgument
from planner.model.errors import NoCompatibleImage
from planner.model.manifest import (
    MAX_CONFIG_BYTES,
    Descriptor,
    ImageManifest,
    Index,
    parse_config_platform,
)
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.policy.loader import load_rules
from planner.policy.ruleset import DEFAULT_RULES, RuleSet
from planner.select import explain
from planner.select.runs import RUNS, Isolation, judge_image_platform, run_verdict
from planner.select.selector import Candidate, Selection, select
from planner.select.verdicts import Code, Notice, NoticeCode, Verdict
from planner.sources import Source, check_registry, open_source
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = ["Resolution", "Routed", "Upstream", "check_types", "resolve", "resolve_source"]


@dataclass(frozen=True, slots=True)
class Upstream:
    """What the reference's own registry serves, next to a mirror's answer."""

    endpoint: str
    digest: str | None
    """The tag's digest there (None when it could not be asked)."""
    same: bool
    """The mirror serves the same copy (one HEAD told)."""
    selected: str | None = None
    """The image the host would pull there (when the copies differ)."""
    platform: str | None = None
    problem: str = ""
    """Why the host could not use upstream either, or why upstream could not be asked."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "digest": self.digest,
            "same": self.same,
            "selected": self.selected,
            "platform": self.platform,
            "problem": self.problem or None,
        }


@dataclass(frozen=True, slots=True)
class Routed:
    """How a host's registry configuration sent it to its endpoint."""

    config: str
    """The configuration file or directory."""
    origin: str
    """``file:line:column`` of the setting that named the endpoint ('' for the built-in upstream)."""
    asked: str
    """The reference asked there (a mirror may rewrite the name)."""
    note: str = ""
    """How a short name was qualified."""
    failed: tuple[tuple[str, str], ...] = ()
    """Endpoints asked before, in order, and what each said."""
    fallbacks: tuple[str, ...] = ()
    """Endpoints the engine would ask next, were this one to fail."""
    differs: str = ""
    """One line when the endpoint's copy differs from upstream's ('' when not, or not asked)."""
    upstream: Upstream | None = None
    """Upstream's answer, when it was asked (the mirror's answer is a problem, or asked for)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "from": self.origin or None,
            "asked": self.asked,
            "note": self.note or None,
            "failed": [{"endpoint": e, "error": m} for e, m in self.failed],
            "fallbacks": list(self.fallbacks),
            "differs": self.differs or None,
            "upstream": self.upstream.to_dict() if self.upstream is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """Which image a host pulls from a source, with the verdict on every entry."""

    source: str
    rules: RuleSet
    host: Platform
    index: Descriptor | None
    """The index that was resolved; None when the source is a single image."""
    selected: Descriptor | None
    """The image manifest the host pulls; None when nothing is compatible."""
    platform: Platform | None
    """The selected image's platform (from the index entry, or the image config)."""
    candidates: tuple[Candidate, ...]
    notices: tuple[Notice, ...]
    selection: Selection | None = None
    runs: Verdict = RUNS
    """Whether the selected image runs on the host: ``Code.RUNS``, or why not."""
    stats: Stats = field(default_factory=Stats)
    """Registry requests, bytes and cache hits spent on this answer."""
    endpoint: str = ""
    """``HOST:PORT`` the host asks: the reference's registry, or where its registry
    configuration sends it; '' for a file or a layout."""
    route: Routed | None = None
    """How the host's registry configuration chose the endpoint; None without one."""

    @property
    def ok(self) -> bool:
        return self.selected is not None

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(explain.notice(n) for n in self.notices)

    @property
    def problem(self) -> str:
        """Why the host cannot use this source ('' when it pulls an image that runs)."""
        if (
            self.route is not None
            and self.route.differs
            and (self.selected is None or explain.problem(self.runs))
        ):
            return self.route.differs
        if self.selected is None:
            return explain.no_compatible(self.rules.name, self.offered(), self.host)
        return explain.problem(self.runs)

    def children(self) -> list[str]:
        """The child manifests a pull reads after the tag's document (nested indexes, then
        the image manifest); none when the tag is a single image."""
        if self.index is None or self.selected is None:
            return []
        out = []
        selection = self.selection
        while selection is not None and selection.chosen is not None:
            out.append(selection.chosen.descriptor.digest)
            selection = selection.chosen.nested
        if not out or out[-1] != self.selected.digest:
            out.append(self.selected.digest)
        return out

    def requests(
        self, held: Collection[str] = (), blob_get: int | None = None
    ) -> PullRequests | None:
        """The registry requests the host's engine makes for this pull (its rules'
        ``requests``; ``blob_get`` None: the blobs are not known without a plan)."""
        if self.selected is None:
            return None
        return count_requests(self.rules.requests, self.children(), held=held, blob_get=blob_get)

    def offered(self) -> list[str]:
        """Platforms the index offers, for messages."""
        seen: dict[str, None] = {}
        for c in self.candidates:
            if c.descriptor.is_attestation:
                continue
            p = c.descriptor.platform
            seen[p.describe() if p else "(no platform)"] = None
        return list(seen)

    def no_image_error(self) -> NoCompatibleImage:
        """The error for a resolution that selected nothing."""
        return NoCompatibleImage(
            explain.no_image_error(self.source, self.host, self.rules.name, self.offered())
        )

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract of a resolution (``pull-planner resolve``'s JSON output)."""
        seen: set[str] = set()  # nested indexes listed once, however many entries name them
        selected = None
        if self.selected is not None:
            selected = {
                **self.selected.summary(),
                "platform": self.platform.to_oci() if self.platform is not None else None,
            }
        return {
            "source": self.source,
            "rules": self.rules.name,
            "host": self.host.to_oci(),
            "index": self.index.summary() if self.index is not None else None,
            "selected": selected,
            "candidates": (
                self.selection.candidates_dict(seen)
                if self.selection is not None
                else [c.to_dict(1, seen) for c in self.candidates]  # a single image: pulled
            ),
            "endpoint": self.endpoint or None,
            "route": self.route.to_dict() if self.route is not None else None,
            "pull_requests": requests.to_dict() if (requests := self.requests()) else None,
            "warnings": list(self.warnings),
            "stats": self.stats.to_dict(),
        }


def check_types(source: object, host: object, rules: object) -> None:
    """Wrong argument types are InvalidInput, like any other bad input."""
    if not isinstance(source, (str, Source)):
        raise InvalidArgument(
            f"source must be a SOURCE string or a Source, not {type(source).__name__}"
        )
    if not isinstance(host, (str, Platform)):
        raise InvalidArgument(
            f"host must be a platform string or a Platform, not {type(host).__name__}"
        )
    if not isinstance(rules, (str, RuleSet)):
        raise InvalidArgument(
            f"rules must be a rule-set name or a RuleSet, not {type(rules).__name__}"
        )


def resolve(
    source: str | Source,
    host: Platform | str,
    rules: RuleSet | str = DEFAULT_RULES,
    *,
    registry: RegistryOptions | None = None,
    isolation: Isolation | None = None,
) -> Resolution:
    """Which image ``host`` pulls from ``source`` under ``rules``.

    ``source`` is a SOURCE string (see :func:`planner.sources.open_source`) or
    a :class:`~planner.sources.Source`; ``host`` a :class:`Platform` or a
    platform string such as ``linux/arm64`` or ``windows(10.0.20348)/amd64``;
    ``rules`` a rule set or its name or path; ``registry`` configures registry
    access when ``source`` is an image reference; ``isolation`` is a Windows
    host's (``process``, the default, or ``hyperv``), for :attr:`Resolution.runs`.
    """
    check_types(source, host, rules)
    check_registry(registry)
    if isolation not in (None, "process", "hyperv"):
        raise InvalidArgument(f"isolation must be 'process', 'hyperv' or None, not {isolation!r}")
    host = Platform.parse(host) if isinstance(host, str) else host
    rules = load_rules(rules) if isinstance(rules, str) else rules
    if isinstance(source, str):
        with open_source(source, registry) as opened:
            return resolve_source(opened, host, rules, isolation=isolation)
    return resolve_source(source, host, rules, isolation=isolation)


def resolve_source(
    source: Source, host: Platform, rules: RuleSet, *, isolation: Isolation | None = None
) -> Resolution:
    """:func:`resolve` on an opened source (the source stays open)."""
    document, descriptor = source.read_top()
    if isinstance(document, Index):
        selection = select(
            document,
            host,
            rules,
            load_index=source.read_index if source.can_read_children else None,
        )
        return Resolution(
            source=source.name,
            rules=rules,
            host=host,
            index=descriptor,
            selected=selection.image,
            platform=selection.platform,
            candidates=selection.candidates,
            notices=selection.notices,
            selection=selection,
            runs=run_verdict(selection.platform, host, rules, isolation=isolation),
            stats=source.stats,
            endpoint=source.endpoint,
        )
    return _resolve_single(source, document, descriptor, host, rules, isolation)


def _resolve_single(
    source: Source,
    manifest: ImageManifest,
    descriptor: Descriptor,
    host: Platform,
    rules: RuleSet,
    isolation: Isolation | None,
) -> Resolution:
    """A tag that is one image: it is pulled whatever its platform, with a warning."""
    data = source.read_blob(manifest.config, MAX_CONFIG_BYTES)
    notices: list[Notice] = []
    platform = None
    inner = None
    if data is None:
        notices.append(Notice(NoticeCode.CONFIG_UNAVAILABLE))
    else:
        platform = parse_config_platform(data, f"{source.name}: config {manifest.config.digest}")
        inner = judge_image_platform(platform, host, rules)
        if not inner.match:
            notices.append(
                Notice(
                    NoticeCode.WILL_NOT_RUN,
                    {"platform": platform.describe(), "verdict": inner},
                )
            )
    verdict = Verdict(Code.SINGLE_IMAGE, 0, {"platform": platform}, inner=inner)
    candidate = Candidate(
        0, Descriptor(descriptor.media_type, descriptor.digest, descriptor.size, platform), verdict
    )
    return Resolution(
        source=source.name,
        rules=rules,
        host=host,
        index=None,
        selected=descriptor,
        platform=platform,
        candidates=(candidate,),
        notices=tuple(notices),
        runs=run_verdict(platform, host, rules, isolation=isolation, single=inner),
        stats=source.stats,
        endpoint=source.endpoint,
    )
