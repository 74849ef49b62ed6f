"""Fleets: every host of a profile against every image, in one run.

For each (host, image) pair: which image the host pulls (its own rule set),
whether it will run there (a single-image tag for another platform does not;
a Windows image needs a build the host's isolation runs), and what the host
downloads given what it already has. Then the fleet figures: per-host
downloads, the fleet total, and the unique bytes a pull-through mirror would
fetch once.

Cost: each image's index is read once per run, whatever the number of hosts;
each distinct chosen manifest once; independent registry reads run
concurrently on one session (:class:`~planner.sources.remote.RegistrySession`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from planner.app.plan import Plan, build_plan, present_from
from planner.app.resolve import Resolution, resolve_source
from planner.app.route import resolve_routed
from planner.hosts.profiles import HostProfile
from planner.model.arguments import bandwidth_argument, items_argument
from planner.model.stats import Stats
from planner.select.verdicts import Notice
from planner.sources import check_registry
from planner.sources.sourceset import SourceSet

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = [
    "FleetReport",
    "PairResult",
    "Status",
    "pool_key",
    "pools_of",
    "run_fleet",
    "union_size",
]

Status = Literal["ok", "no-image", "will-not-run", "allowed"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class PairResult:
    """One host against one image."""

    host: HostProfile
    image: str
    status: Status
    resolution: Resolution
    plan: Plan | None
    problem: str = ""
    """Why the pair fails (also kept when the failure is allowed)."""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "allowed")

    @property
    def warnings(self) -> tuple[str, ...]:
        """The plan's warnings (they include the resolution's), else the resolution's."""
        return self.plan.warnings if self.plan is not None else self.resolution.warnings

    @property
    def download_bytes(self) -> int:
        return self.plan.totals.download_bytes if self.plan is not None else 0

    def to_dict(self) -> dict[str, Any]:
        r = self.resolution
        selected = None
        if r.selected is not None:
            selected = {
                **r.selected.summary(),
                "platform": r.platform.to_oci() if r.platform else None,
            }
        out: dict[str, Any] = {
            "host": self.host.name,
            "image": self.image,
            "status": self.status,
            "ok": self.ok,
            "selected": selected,
            "problem": self.problem or None,
            "warnings": list(self.warnings),
            "endpoint": r.endpoint or None,
        }
        if r.route is not None:
            out["route"] = r.route.to_dict()
        if self.plan is not None:
            out["totals"] = self.plan.totals.to_dict()
        return out


@dataclass(frozen=True)
class FleetReport:
    """All pairs of a run, with the fleet's figures."""

    images: tuple[str, ...]
    hosts: tuple[HostProfile, ...]
    pairs: tuple[PairResult, ...]
    stats: Stats
    pools: tuple[tuple[HostProfile, ...], ...] = ()
    """Hosts that give the same answers, grouped (see :func:`pools_of`)."""
    unavailable: Mapping[str, str] = field(default_factory=dict)
    """Images the registry does not have (``missing_ok``), with what it said."""

    @functools.cached_property
    def _by_key(self) -> dict[tuple[str, str], PairResult]:
        return {(p.host.name, p.image): p for p in self.pairs}

    def pair(self, host: str, image: str) -> PairResult:
        return self._by_key[(host, image)]

    @property
    def failures(self) -> list[PairResult]:
        return [p for p in self.pairs if not p.ok]

    @functools.cached_property
    def _figures(self) -> _Figures:
        return _Figures.of(self.hosts, self.images, self.pairs)

    def host_bytes(self, host: str) -> int:
        """What one host downloads for all images (each distinct blob once)."""
        return self._figures.hosts[host]

    def image_bytes(self, image: str) -> tuple[int, int]:
        """(total over hosts, unique across hosts) download bytes for one image."""
        return self._figures.images.get(image, (0, 0))

    @property
    def total_bytes(self) -> int:
        """Sum over hosts of what each downloads."""
        return sum(self._figures.hosts.values())

    @property
    def unique_bytes(self) -> int:
        """Distinct blobs some host downloads: what a pull-through mirror fetches once."""
        return self._figures.unique

    def fleet_dict(self) -> dict[str, Any]:
        return {
            "hosts": {h.name: self.host_bytes(h.name) for h in self.hosts},
            "images": {
                image: dict(
                    zip(("total_bytes", "unique_bytes"), self.image_bytes(image), strict=True)
                )
                for image in self.images
            },
            "total_bytes": self.total_bytes,
            "unique_bytes": self.unique_bytes,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": list(self.images),
            "hosts": [h.to_dict() for h in self.hosts],
            "pools": [[h.name for h in pool] for pool in self.pools],
            "pairs": [p.to_dict() for p in self.pairs],
            "fleet": self.fleet_dict(),
            "failures": len(self.failures),
            "stats": self.stats.to_dict(),
        }


@dataclass(frozen=True)
class _Figures:
    """Every fleet figure, from one pass over the pairs.

    A plan is shared by the pairs that chose its manifest with the same
    present blobs, so each distinct plan's downloads are listed once, and
    hosts whose pairs have the same plans get the same sum without a second
    union.
    """

    hosts: dict[str, int]
    images: dict[str, tuple[int, int]]
    unique: int

    @classmethod
    def of(
        cls,
        hosts: Sequence[HostProfile],
        images: Sequence[str],
        pairs: Sequence[PairResult],
    ) -> _Figures:
        downloads: dict[int, dict[str, int]] = {}
        per_host: dict[str, list[dict[str, int]]] = {h.name: [] for h in hosts}
        per_image: dict[str, dict[int, dict[str, int]]] = {image: {} for image in images}
        totals: dict[str, int] = dict.fromkeys(images, 0)
        for pair in pairs:
            plan = pair.plan
            if plan is None:
                continue
            sizes = downloads.get(id(plan.blobs))  # shared by the pairs of one plan
            if sizes is None:
                sizes = downloads[id(plan.blobs)] = plan.downloads()
            per_host[pair.host.name].append(sizes)
            per_image[pair.image][id(sizes)] = sizes
            totals[pair.image] += sum(sizes.values())
        by_plans: dict[tuple[int, ...], int] = {}
        host_bytes: dict[str, int] = {}
        for name, lists in per_host.items():
            key = tuple(sorted({id(sizes) for sizes in lists}))
            if key not in by_plans:
                by_plans[key] = union_size(lists)
            host_bytes[name] = by_plans[key]
        image_bytes = {
            image: (totals[image], union_size(plans.values())) for image, plans in per_image.items()
        }
        return cls(host_bytes, image_bytes, union_size(downloads.values()))


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


def pool_key(host: HostProfile) -> tuple[object, ...]:
    """What decides a host's answers: hosts with the same key get the same ones."""
    return (host.platform, id(host.rules), host.isolation, host.have, id(host.registry_config))


def pools_of(hosts: Sequence[HostProfile]) -> tuple[tuple[HostProfile, ...], ...]:
    """Hosts grouped by :func:`pool_key`, each pool in host order, pools by first host."""
    pools: dict[tuple[object, ...], list[HostProfile]] = {}
    for host in hosts:
        pools.setdefault(pool_key(host), []).append(host)
    return tuple(tuple(members) for members in pools.values())


def run_fleet(
    images: Sequence[str],
    hosts: Sequence[HostProfile],
    *,
    registry: RegistryOptions | None = None,
    allow: set[tuple[str, str]] | None = None,
    plans: bool = True,
    present: set[str] | None = None,
    locations: bool = False,
    bandwidth: float | None = None,
    progress: Progress | None = None,
    only: Collection[tuple[str, str]] | None = None,
    missing_ok: bool = False,
    upstream: bool = False,
) -> FleetReport:
    """Resolve (and plan) every image for every host.

    Hosts that give the same answers (same platform, rule set, isolation and
    ``have``: a node pool) are resolved and planned once, for the first of them.
    ``allow`` lists (host, image) pairs that may fail; ``present`` blob digests
    every host has (besides its profile's ``have``); ``locations`` and
    ``bandwidth`` as for :func:`planner.plan`. ``only``: just these (host name,
    image) pairs (a workload's eligible nodes): no other pair is resolved, planned
    or reported, so no manifest is read for it. ``missing_ok``: an image the
    registry does not have (a tag or digest it does not know) is left out and
    listed in :attr:`FleetReport.unavailable` instead of failing the run, as a
    pull fails for the workloads that use it and no other. ``upstream``: a host whose
    mirror answers also asks upstream (:func:`planner.app.route.resolve_routed`'s ``compare``).
    """
    images = items_argument(images, str, "images", "image SOURCE strings")
    hosts = items_argument(hosts, HostProfile, "hosts", "HostProfiles")
    check_registry(registry)
    bandwidth = bandwidth_argument(bandwidth)
    allow = allow or set()
    report = progress or (lambda stage, done, total: None)
    pools = pools_of(hosts)
    leaders = [pool[0] for pool in pools]
    leader_of = {host.name: pool[0].name for pool in pools for host in pool}
    needed = None if only is None else {(leader_of[name], image) for name, image in only}
    sources = SourceSet(registry)
    try:
        report("reading indexes", 0, len(images))
        # an endpoint is asked only when some host would ask it: a host with a registry
        # configuration asks where its route sends it (app.route), the others upstream
        direct = [h for h in leaders if h.registry_config is None]
        asked_upstream = [
            image
            for image in images
            if any(needed is None or (h.name, image) in needed for h in direct)
        ]
        unavailable = sources.tops(asked_upstream, missing_ok=missing_ok)
        images = [image for image in images if image not in unavailable]
        resolutions: dict[tuple[str, str], Resolution] = {}
        spec_of: dict[tuple[str, str], str] = {}
        """The SOURCE each pair's documents are read from (a mirror's, for a routed host)."""
        total = len(images) * len(leaders) if needed is None else len(needed)
        for image in images:
            for host in leaders:
                if needed is not None and (host.name, image) not in needed:
                    continue
                if host.registry_config is not None:
                    resolution = resolve_routed(image, host, sources.get, compare=upstream)
                    assert resolution.route is not None
                    spec_of[(host.name, image)] = resolution.route.asked
                else:
                    resolution = resolve_source(
                        sources.get(image), host.platform, host.rules, isolation=host.isolation
                    )
                    spec_of[(host.name, image)] = image
                resolutions[(host.name, image)] = resolution
                report("resolving", len(resolutions), total)

        have: dict[str, set[str]] = {h.name: set(present or ()) for h in leaders}
        extra: dict[str, list[Notice]] = {h.name: [] for h in leaders}
        if plans:
            have_specs = [spec for h in leaders for spec in h.have]
            if have_specs:
                sources.tops(have_specs)
            have_resolutions = {
                (h.name, spec): resolve_source(sources.get(spec), h.platform, h.rules)
                for h in leaders
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
            report("reading manifests", 0, len(wanted))
            sources.documents(wanted)
            for (name, spec), r in have_resolutions.items():
                digests, notice = present_from(sources.get(spec), r)
                have[name] |= digests
                if notice:
                    extra[name].append(notice)

        shared = _SharedPlans(sources, locations, bandwidth)
        answers: dict[tuple[str, str], tuple[Status, Resolution, Plan | None, str]] = {}
        for leader in leaders:
            present_here = frozenset(have[leader.name])
            for image in images:
                if (leader.name, image) not in resolutions:
                    continue
                resolution = resolutions[(leader.name, image)]
                plan = None
                problem = resolution.problem
                status: Status = "ok"
                if resolution.selected is None:
                    status = "no-image"
                else:
                    if problem:
                        status = "will-not-run"
                    if plans:
                        spec = spec_of[(leader.name, image)]
                        plan = shared.plan(spec, resolution, present_here, extra[leader.name])
                answers[(leader.name, image)] = (status, resolution, plan, problem)

        pairs = []
        for host in hosts:
            for image in images:
                if only is not None and (host.name, image) not in only:
                    continue
                status, resolution, plan, problem = answers[(leader_of[host.name], image)]
                if status != "ok" and (host.name, image) in allow:
                    status = "allowed"
                pairs.append(PairResult(host, image, status, resolution, plan, problem))
        return FleetReport(
            tuple(images), tuple(hosts), tuple(pairs), sources.stats, pools, unavailable
        )
    finally:
        sources.close()
