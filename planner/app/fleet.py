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
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from planner.app.plan import Plan
from planner.app.pulls import Progress, Pull, PullHost, Status, run_pulls, union_size
from planner.app.requests import PullRequests
from planner.app.resolve import Resolution
from planner.app.rollout import PullCost, Rollout, rollout_cost
from planner.app.verify import Verification, unverified
from planner.hosts.profiles import HostProfile
from planner.model.arguments import bandwidth_argument, items_argument
from planner.model.record import dataclass, field, replace
from planner.sources import check_registry
from planner.transport.stats import RateLimit, Stats

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = [
    "FleetReport",
    "PairResult",
    "Progress",
    "Status",
    "pool_key",
    "pools_of",
    "run_fleet",
    "union_size",
]


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
    requests: PullRequests | None = None
    """The registry requests the host's pull makes (its rules' ``requests``)."""
    verifications: tuple[Verification, ...] = ()
    """Each manifest and blob its pull fetches, as asked for (``verify``; empty without it)."""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "allowed")

    @property
    def warnings(self) -> tuple[str, ...]:
        """The plan's warnings (they include the resolution's), else the resolution's; and
        each manifest or blob that could not be verified."""
        own = self.plan.warnings if self.plan is not None else self.resolution.warnings
        return (*own, *unverified(self.verifications))

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
        # no plan (none made, or no image): sizes unknown, not absent
        out["totals"] = self.plan.totals.to_dict() if self.plan is not None else None
        out["pull_requests"] = self.requests.to_dict() if self.requests else None
        if self.verifications:
            out["verification"] = [v.to_dict() for v in self.verifications]
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
    planned: bool = True
    """Download plans were made; without them every size is unknown (None in
    :meth:`fleet_dict`), not zero: nothing was read past the indexes."""
    verified: bool = False
    """Every pair's manifests and blobs were asked for (``verify``)."""
    rollout: Rollout | None = None
    """The requests each registry receives per egress (:meth:`with_rollout`)."""

    @property
    def gate_closed(self) -> bool:
        """The release gate: closed when a check fails or a rate limit refuses part of
        the rollout's requests (:attr:`rollout`)."""
        return bool(self.failures) or (self.rollout is not None and bool(self.rollout.failures))

    def with_rollout(self, limits: Sequence[RateLimit] = ()) -> FleetReport:
        """This report with its rollout cost: each pair pulled once, judged by ``limits``
        and by the ratelimit headers the registries sent."""
        costs = []
        unknown = 0
        for pair in self.pairs:
            requests = pair.requests
            if pair.resolution.selected is None or not pair.resolution.endpoint:
                continue  # nothing pulled, or a file or layout: no registry asked
            if requests is None:
                unknown += 1
                continue
            costs.append(PullCost(pair.host.egress, pair.resolution.endpoint, requests))
        cost = rollout_cost(costs, limits, self.stats.rate_limits, unknown=unknown)
        return replace(self, rollout=cost if cost.rows else None)

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
        return _Figures.of(self.hosts, self.images, self.pairs, self.pools or pools_of(self.hosts))

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
        """Download bytes per host, per image (total, unique) and for the fleet; every
        figure None when no plans were made."""
        if not self.planned:
            return {
                "hosts": {h.name: None for h in self.hosts},
                "images": {i: {"total_bytes": None, "unique_bytes": None} for i in self.images},
                "total_bytes": None,
                "unique_bytes": None,
            }
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
        return self.document([p.to_dict() for p in self.pairs])

    def document(self, pairs: object) -> dict[str, Any]:
        """:meth:`to_dict` with ``pairs`` in place of its pairs' list (the JSON writer
        puts a marker there and writes the pairs one at a time)."""
        return {
            "images": list(self.images),
            "hosts": [h.to_dict() for h in self.hosts],
            "pools": [[h.name for h in pool] for pool in self.pools],
            "pairs": pairs,
            "fleet": self.fleet_dict(),
            "failures": len(self.failures),
            **({"rollout": self.rollout.to_dict()} if self.rollout is not None else {}),
            **({"verified": True} if self.verified else {}),
            "stats": self.stats.to_dict(),
        }


@dataclass(frozen=True)
class _Figures:
    """Every fleet figure, from one pass over the pairs.

    The hosts of a pool share each image's plan (:func:`run_fleet` resolves and
    plans it once per pool), so each (image, pool) pair's downloads are listed
    once, and hosts of one pool with the same images get the same sum without a
    second union.
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
        pools: Sequence[Sequence[HostProfile]],
    ) -> _Figures:
        pool_of = {host.name: i for i, pool in enumerate(pools) for host in pool}
        downloads: dict[tuple[str, int], dict[str, int]] = {}
        per_host: dict[str, list[tuple[str, int]]] = {h.name: [] for h in hosts}
        per_image: dict[str, dict[int, dict[str, int]]] = {image: {} for image in images}
        totals: dict[str, int] = dict.fromkeys(images, 0)
        for pair in pairs:
            plan = pair.plan
            if plan is None:
                continue
            key = (pair.image, pool_of[pair.host.name])  # the plan's name: its image and pool
            sizes = downloads.get(key)
            if sizes is None:
                sizes = downloads[key] = plan.downloads()
            per_host[pair.host.name].append(key)
            per_image[pair.image][key[1]] = sizes
            totals[pair.image] += sum(sizes.values())
        by_plans: dict[tuple[tuple[str, int], ...], int] = {}
        host_bytes: dict[str, int] = {}
        for name, keys in per_host.items():
            plans = tuple(keys)  # one pool's plans, in image order
            if plans not in by_plans:
                by_plans[plans] = union_size(downloads[key] for key in plans)
            host_bytes[name] = by_plans[plans]
        image_bytes = {
            image: (totals[image], union_size(plans.values())) for image, plans in per_image.items()
        }
        return cls(host_bytes, image_bytes, union_size(downloads.values()))


def pool_key(host: HostProfile) -> PullHost:
    """What decides a host's answers: hosts with the same key get the same ones."""
    return PullHost.of(host)


def pools_of(hosts: Sequence[HostProfile]) -> tuple[tuple[HostProfile, ...], ...]:
    """Hosts grouped by :func:`pool_key`, each pool in host order, pools by first host."""
    pools: dict[PullHost, list[HostProfile]] = {}
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
    verify: bool = False,
) -> FleetReport:
    """Resolve (and plan) every image for every host.

    Hosts that give the same answers (same platform, rule set, isolation, ``have``
    and registry configuration: a node pool, one :class:`PullHost`) are resolved and planned once
    (:func:`run_pulls`). ``allow`` lists (host, image) pairs that may fail;
    ``present`` blob digests every host has (besides its profile's ``have``);
    ``locations`` and ``bandwidth`` as for :func:`planner.plan`. ``only``: just
    these (host name, image) pairs: no other pair is resolved, planned or
    reported, so no manifest is read for it. ``missing_ok``: an image the
    registry does not have (a tag or digest it does not know) is left out and
    listed in :attr:`FleetReport.unavailable` instead of failing the run. ``upstream``: a
    host whose mirror answers also asks upstream (:func:`planner.app.route.resolve_routed`).
    ``verify``: each manifest and blob a pair's pull fetches is asked for at the endpoint
    that serves it, once per distinct (endpoint, repository, digest), without downloading
    it (:mod:`planner.app.verify`); a pair whose pull needs a missing or mismatched one is
    ``broken``. It needs ``plans``.
    """
    images = items_argument(images, str, "images", "image SOURCE strings")
    hosts = items_argument(hosts, HostProfile, "hosts", "HostProfiles")
    check_registry(registry)
    bandwidth = bandwidth_argument(bandwidth)
    allow = allow or set()
    pools = pools_of(hosts)
    views = [pool_key(pool[0]) for pool in pools]
    pool_of = {host.name: i for i, pool in enumerate(pools) for host in pool}
    needed = None
    if only is not None:
        needed = {(image, views[pool_of[name]]) for name, image in only}
    pulls = run_pulls(
        images,
        views,
        only=needed,
        registry=registry,
        plans=plans,
        present=present,
        locations=locations,
        bandwidth=bandwidth,
        progress=progress,
        missing_ok=missing_ok,
        upstream=upstream,
        verify=verify,
    )
    position = {view: i for i, view in enumerate(views)}
    answers: list[dict[str, tuple[Pull, PullRequests | None]]] = [{} for _ in views]
    for (image, view), pull in pulls.by_key.items():  # requests worked out once per pull
        answers[position[view]][image] = (pull, pull.requests)
    pairs = []
    for host in hosts:
        answered = answers[pool_of[host.name]]
        for image in pulls.images:
            if only is not None and (host.name, image) not in only:
                continue
            pull, requests = answered[image]
            status = pull.status
            if status != "ok" and (host.name, image) in allow:
                status = "allowed"
            pairs.append(
                PairResult(
                    host,
                    image,
                    status,
                    pull.resolution,
                    pull.plan,
                    pull.problem,
                    requests,
                    pull.verifications,
                )
            )
    return FleetReport(
        pulls.images,
        tuple(hosts),
        tuple(pairs),
        pulls.stats,
        pools,
        pulls.unavailable,
        pulls.planned,
        pulls.verified,
    ).with_rollout()
