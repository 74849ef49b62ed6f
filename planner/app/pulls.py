"""Pulls: images resolved and planned for pull hosts, each (image, pull host) pair once.

A :class:`PullHost` is what a host's answer for an image depends on (the
platform it pulls for, its rule set, isolation, ``have`` and registry
configuration); hosts with equal ones (a node pool) get the same answers, so :func:`run_pulls` resolves and plans
each image once per distinct pull host. Fleets (:func:`planner.app.fleet.run_fleet`)
and workload checks (:func:`planner.workloads.check.check_workloads`) are built on it.

Cost: each image's index is read once per run, whatever the number of hosts;
each distinct chosen manifest once; independent registry reads run
concurrently on one session (:class:`~planner.sources.remote.RegistrySession`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from planner.app.plan import Plan, build_plan, present_from
from planner.app.requests import PullRequests
from planner.app.resolve import Resolution, resolve_source
from planner.app.route import resolve_routed
from planner.app.verify import (
    Check,
    Verification,
    blob_checks,
    child_check,
    failures,
    records,
    unverified,
)
from planner.hosts.profiles import HostProfile
from planner.hosts.registries import RegistryConfig
from planner.model.arguments import InvalidArgument
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.policy.ruleset import RuleSet
from planner.select.runs import Isolation
from planner.select.verdicts import Notice
from planner.sources.sourceset import SourceSet
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = [
    "Progress",
    "Pull",
    "PullHost",
    "Pulls",
    "Status",
    "run_pulls",
    "union_size",
]

Status = Literal["ok", "no-image", "will-not-run", "broken", "allowed"]
Progress = Callable[[str, int, int], None]
"""Told (phase, done, total): each phase once at its start, then as each request of it
finishes (``reading indexes``, ``reading present images``, ``reading manifests``,
``verifying manifests``, ``verifying blobs``) or each
answer is worked out (``resolving``)."""


@dataclass(frozen=True)
class PullHost:
    """What a host's answer for an image depends on: the platform it pulls for, its
    rule set, its isolation, what it already has (``have``) and where its registry
    configuration sends it (``registry_config``, compared by identity: one file read).

    Hosts with equal ones (a node pool) get the same answers (:func:`planner.app.fleet.pools_of`);
    a Compose ``platform:`` pulls another platform under the node's rule set,
    isolation and ``have`` (:func:`planner.workloads.check.check_workloads`).
    Equal values are one key: rule sets compare by identity (:class:`RuleSet`).
    """

    platform: Platform
    rules: RuleSet
    isolation: Isolation | None = None
    have: tuple[str, ...] = ()
    registry_config: RegistryConfig | None = None
    name: str = field(default="", compare=False)
    """The first host it stands for, for messages (not part of what decides the answers)."""

    @classmethod
    def of(cls, host: HostProfile, platform: Platform | None = None) -> PullHost:
        """The host's own, or its own pulling ``platform`` instead of its platform."""
        return cls(
            platform or host.platform,
            host.rules,
            host.isolation,
            host.have,
            host.registry_config,
            host.name,
        )


@dataclass(frozen=True, slots=True)
class Pull:
    """One image for one :class:`PullHost`: the pick, whether it runs there, the plan."""

    image: str
    host: PullHost
    status: Status
    resolution: Resolution
    plan: Plan | None
    problem: str = ""
    """Why it fails (no image for the host, an image that will not run there, or a
    manifest or blob its pull needs that the registry does not serve as listed)."""
    verifications: tuple[Verification, ...] = ()
    """What ``verify`` asked of each manifest and blob the pull fetches (empty without it)."""

    @property
    def requests(self) -> PullRequests | None:
        """The registry requests this pull makes (without a plan: blobs unknown)."""
        if self.plan is not None:
            return self.plan.requests
        return self.resolution.requests()

    @property
    def key(self) -> tuple[str, PullHost]:
        """(image, pull host): the pull's name in :attr:`Pulls.by_key`."""
        return (self.image, self.host)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The plan's warnings (they include the resolution's), else the resolution's; and
        each manifest or blob that could not be verified."""
        own = self.plan.warnings if self.plan is not None else self.resolution.warnings
        return (*own, *unverified(self.verifications))


@dataclass(frozen=True)
class Pulls:
    """Every pull of a run (:func:`run_pulls`) by (image, pull host), and the run's figures."""

    images: tuple[str, ...]
    """The images read, in the order asked (those the registry lacks left out)."""
    by_key: Mapping[tuple[str, PullHost], Pull]
    stats: Stats
    unavailable: Mapping[str, str] = field(default_factory=dict)
    """Images the registry does not have (``missing_ok``), with what it said."""
    planned: bool = True
    """Download plans were made (else sizes are unknown, not zero)."""
    verified: bool = False
    """Each pull's manifests and blobs were asked for (:mod:`planner.app.verify`)."""

    def get(self, image: str, host: PullHost) -> Pull:
        return self.by_key[(image, host)]


def union_size(downloads: Iterable[Mapping[str, int]]) -> int:
    """Bytes of the distinct blobs of these download lists (:meth:`Plan.downloads`):
    a blob two images share is downloaded once."""
    sizes: dict[str, int] = {}
    for one in downloads:
        sizes.update(one)
    return sum(sizes.values())


class _SharedPlans:
    """Plans made once per (image, chosen manifest and the indexes on the way, present blobs).

    Hosts that choose the same manifest with the same blobs present download
    the same blobs: the plan's blobs, totals and hosts are computed once and
    shared; each pair's plan keeps its own resolution and warnings.
    """

    def __init__(self, sources: SourceSet, locations: bool, bandwidth: float | None) -> None:
        self.sources = sources
        self.locations = locations
        self.bandwidth = bandwidth
        self.made: dict[tuple[object, ...], tuple[Plan, tuple[Notice, ...]]] = {}

    def plan(
        self,
        image: str,
        resolution: Resolution,
        present: frozenset[str],
        extra: Sequence[Notice],
    ) -> Plan:
        key = (image, _path(resolution), present)
        known = self.made.get(key)
        if known is None:
            made = build_plan(
                self.sources.get(image),
                resolution,
                present=present,
                locations=self.locations,
                bandwidth=self.bandwidth,
            )
            known = self.made[key] = (made, made.notices[len(resolution.notices) :])
            if not extra:
                return made
        made, repeated = known
        if made.resolution is resolution and not extra:
            return made
        notices = (*resolution.notices, *extra, *repeated)
        return Plan(  # not dataclasses.replace: 50,000 pairs feel its introspection
            resolution=resolution,
            manifest=made.manifest,
            manifests=made.manifests,
            blobs=made.blobs,
            totals=made.totals,
            notices=notices,
            hosts=made.hosts,
            bandwidth=made.bandwidth,
            stats=made.stats,
            held=made.held,
        )


def _path(resolution: Resolution) -> tuple[str, ...]:
    """The digests a plan reads on the way to the chosen manifest (index, nested, manifest)."""
    assert resolution.selected is not None
    path = [resolution.index.digest] if resolution.index is not None else []
    selection = resolution.selection
    while selection is not None and selection.chosen is not None:
        path.append(selection.chosen.descriptor.digest)
        selection = selection.chosen.nested
    return (*path, resolution.selected.digest)


def run_pulls(
    images: Sequence[str],
    hosts: Sequence[PullHost],
    *,
    only: Collection[tuple[str, PullHost]] | None = None,
    registry: RegistryOptions | None = None,
    plans: bool = True,
    present: set[str] | None = None,
    locations: bool = False,
    bandwidth: float | None = None,
    progress: Progress | None = None,
    missing_ok: bool = False,
    upstream: bool = False,
    verify: bool = False,
) -> Pulls:
    """Resolve (and plan) every image for every pull host, each (image, host) pair once.

    ``only``: just these (image, pull host) pairs: no other is resolved or planned,
    so no manifest is read for it. ``present``: blob digests every host has
    (besides its ``have``); ``locations``, ``bandwidth`` as for :func:`planner.plan`;
    ``missing_ok``: an image the registry does not have is left out and listed in
    :attr:`Pulls.unavailable` instead of failing the run. Each image's top document is read once,
    each distinct chosen manifest once, concurrently on one session; a plan is
    shared by the pulls that choose its manifest with the same blobs present
    (:class:`_SharedPlans`). A host with a registry configuration asks the endpoints
    its engine would ask (:func:`planner.app.route.resolve_routed`; ``upstream``: a mirror's
    answer is compared with upstream's); an endpoint is asked only when some host would.
    ``verify``: every manifest and blob each pull fetches is asked for at its endpoint,
    without downloading it (:mod:`planner.app.verify`); a pull that needs a missing or
    mismatched one is ``broken``. It needs ``plans``.
    """
    if verify and not plans:
        raise InvalidArgument("verify needs plans: the blobs a pull fetches come from its plan")
    report = progress or (lambda stage, done, total: None)
    hosts = list(dict.fromkeys(hosts))
    sources = SourceSet(registry)
    try:
        # a host with a registry configuration asks where its route sends it, the others
        # the reference's registry: upstream is read only when some host would ask it
        direct = [h for h in hosts if h.registry_config is None]
        asked_upstream = [
            image for image in images if any(only is None or (image, h) in only for h in direct)
        ]
        unavailable = sources.tops(
            asked_upstream,
            missing_ok=missing_ok,
            counter=lambda done, total: report("reading indexes", done, total),
        )
        images = [image for image in images if image not in unavailable]
        resolutions: dict[tuple[str, PullHost], Resolution] = {}
        spec_of: dict[tuple[str, PullHost], str] = {}
        """The SOURCE each pull's documents are read from (a mirror's, for a routed host)."""
        total = len(images) * len(hosts) if only is None else len(only)
        for image in images:
            for host in hosts:
                if only is not None and (image, host) not in only:
                    continue
                if host.registry_config is not None:
                    resolution = resolve_routed(image, host, sources.get, compare=upstream)
                    assert resolution.route is not None
                    spec_of[(image, host)] = resolution.route.asked
                else:
                    resolution = resolve_source(
                        sources.get(image), host.platform, host.rules, isolation=host.isolation
                    )
                    spec_of[(image, host)] = image
                resolutions[(image, host)] = resolution
                report("resolving", len(resolutions), total)

        broken_children: dict[tuple[str, PullHost], Verification] = {}
        have: dict[PullHost, set[str]] = {h: set(present or ()) for h in hosts}
        extra: dict[PullHost, list[Notice]] = {h: [] for h in hosts}
        if plans:
            have_specs = [spec for h in hosts for spec in h.have]
            if have_specs:
                sources.tops(
                    have_specs,
                    counter=lambda done, total: report("reading present images", done, total),
                )
            have_resolutions = {
                (h, spec): resolve_source(sources.get(spec), h.platform, h.rules)
                for h in hosts
                for spec in h.have
            }
            wanted = [
                (sources.get(spec_of[key]), r.selected)
                for key, r in resolutions.items()
                if r.selected is not None and r.index is not None
            ] + [
                (sources.get(spec), r.selected)
                for (_, spec), r in have_resolutions.items()
                if r.selected is not None and r.index is not None
            ]
            if verify:
                broken_children = _verify_children(sources, resolutions, spec_of, report)
                skip = {
                    (sources.get(spec_of[key]).name, v.digest)
                    for key, v in broken_children.items()
                    if v.failed
                }
                wanted = [(s, d) for s, d in wanted if (s.name, d.digest) not in skip]
            sources.documents(wanted, lambda done, total: report("reading manifests", done, total))
            for (host, spec), r in have_resolutions.items():
                digests, notice = present_from(sources.get(spec), r)
                have[host] |= digests
                if notice:
                    extra[host].append(notice)

        shared = _SharedPlans(sources, locations, bandwidth)
        pulls: dict[tuple[str, PullHost], Pull] = {}
        for host in hosts:
            present_here = frozenset(have[host])
            for image in images:
                if (image, host) not in resolutions:
                    continue
                resolution = resolutions[(image, host)]
                plan = None
                problem = resolution.problem
                status: Status = "ok"
                if resolution.selected is None:
                    status = "no-image"
                else:
                    if problem:
                        status = "will-not-run"
                    child = broken_children.get((image, host))
                    if child is not None and child.failed:
                        status, problem = "broken", child.text  # nothing to plan past it
                    elif plans:
                        spec = spec_of[(image, host)]
                        plan = shared.plan(spec, resolution, present_here, extra[host])
                pulls[(image, host)] = Pull(image, host, status, resolution, plan, problem)
        if verify:
            pulls = _verify_blobs(sources, pulls, spec_of, broken_children, report)
        return Pulls(tuple(images), pulls, sources.stats, unavailable, plans, verify)
    finally:
        sources.close()


def _verify_children(
    sources: SourceSet,
    resolutions: Mapping[tuple[str, PullHost], Resolution],
    spec_of: Mapping[tuple[str, PullHost], str],
    report: Progress,
) -> dict[tuple[str, PullHost], Verification]:
    """The child manifest each pull reads after its index, asked for before it is read:
    one that is missing breaks the pull instead of failing the run."""
    checks: dict[tuple[str, PullHost], Check] = {}
    for key, resolution in resolutions.items():
        check = child_check(sources.get(spec_of[key]), resolution)
        if check is not None:
            checks[key] = check
    answers = sources.presences(
        ((c.source, c.descriptor, c.where) for c in checks.values()),
        lambda done, total: report("verifying manifests", done, total),
    )
    out = {}
    for key, check in checks.items():
        found = records((check,), answers)
        if found:
            out[key] = found[0]
    return out


def _verify_blobs(
    sources: SourceSet,
    pulls: dict[tuple[str, PullHost], Pull],
    spec_of: Mapping[tuple[str, PullHost], str],
    children: Mapping[tuple[str, PullHost], Verification],
    report: Progress,
) -> dict[tuple[str, PullHost], Pull]:
    """Each pull with its verifications; one whose blobs are not served as listed is broken.

    Pulls that share a plan and an endpoint share its checks (worked out once)."""
    planned: dict[tuple[int, str, int], list[Check]] = {}
    of_pull: dict[tuple[str, PullHost], tuple[int, str, int]] = {}
    for key, pull in pulls.items():
        if pull.plan is None:
            continue
        source = sources.get(spec_of[key])
        name = (id(pull.plan.blobs), pull.resolution.endpoint, id(source))
        if name not in planned:
            planned[name] = blob_checks(source, pull.resolution, pull.plan)
        of_pull[key] = name
    answers = sources.presences(
        ((c.source, c.descriptor, c.where) for checks in planned.values() for c in checks),
        lambda done, total: report("verifying blobs", done, total),
    )
    verified = {name: records(checks, answers) for name, checks in planned.items()}
    out = {}
    for key, pull in pulls.items():
        child = children.get(key)
        found = (
            *((child,) if child is not None else ()),
            *verified.get(of_pull.get(key, (0, "", 0)), ()),
        )
        status, problem = pull.status, pull.problem
        failed = failures(found)
        if failed and status != "no-image":
            status, problem = "broken", "; ".join(v.text for v in failed)
        out[key] = Pull(pull.image, pull.host, status, pull.resolution, pull.plan, problem, found)
    return out
