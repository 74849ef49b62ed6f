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
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from planner.app.plan import Plan, build_plan, present_from
from planner.app.profiles import HostProfile
from planner.app.resolve import Resolution, resolve_source
from planner.model.stats import Stats
from planner.select.verdicts import Notice
from planner.sources.sourceset import SourceSet

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = ["FleetReport", "PairResult", "Status", "pool_key", "pools_of", "run_fleet"]

Status = Literal["ok", "no-image", "will-not-run", "allowed"]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
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
            "warnings": list(self.plan.warnings if self.plan else r.warnings),
        }
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

    @functools.cached_property
    def _by_key(self) -> dict[tuple[str, str], PairResult]:
        return {(p.host.name, p.image): p for p in self.pairs}

    def pair(self, host: str, image: str) -> PairResult:
        return self._by_key[(host, image)]

    @property
    def failures(self) -> list[PairResult]:
        return [p for p in self.pairs if not p.ok]

    @functools.cached_property
    def _host_bytes(self) -> dict[str, int]:
        """Every host's download bytes, from one pass over the pairs."""
        blobs: dict[str, dict[str, int]] = {h.name: {} for h in self.hosts}
        for pair in self.pairs:
            if pair.plan is not None:
                sizes = blobs[pair.host.name]
                for blob in pair.plan.blobs:
                    if not blob.present:
                        sizes[blob.descriptor.digest] = blob.descriptor.size
        return {name: sum(sizes.values()) for name, sizes in blobs.items()}

    def host_bytes(self, host: str) -> int:
        """What one host downloads for all images (each distinct blob once)."""
        return self._host_bytes[host]

    def image_bytes(self, image: str) -> tuple[int, int]:
        """(total over hosts, unique across hosts) download bytes for one image."""
        pairs = [p for p in self.pairs if p.image == image]
        total = sum(_distinct_size([p]) for p in pairs)
        return total, _distinct_size(pairs)

    @property
    def total_bytes(self) -> int:
        """Sum over hosts of what each downloads."""
        return sum(self.host_bytes(h.name) for h in self.hosts)

    @property
    def unique_bytes(self) -> int:
        """Distinct blobs some host downloads: what a pull-through mirror fetches once."""
        return _distinct_size(self.pairs)

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


def _distinct_size(pairs: Iterable[PairResult]) -> int:
    """Bytes of the distinct blobs these pairs download (present blobs excluded)."""
    sizes: dict[str, int] = {}
    for pair in pairs:
        if pair.plan is None:
            continue
        for blob in pair.plan.blobs:
            if not blob.present:
                sizes[blob.descriptor.digest] = blob.descriptor.size
    return sum(sizes.values())


def pool_key(host: HostProfile) -> tuple[object, ...]:
    """What decides a host's answers: hosts with the same key get the same ones."""
    return (host.platform, id(host.rules), host.isolation, host.have)


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
) -> FleetReport:
    """Resolve (and plan) every image for every host.

    Hosts that give the same answers (same platform, rule set, isolation and
    ``have``: a node pool) are resolved and planned once, for the first of them.
    ``allow`` lists (host, image) pairs that may fail; ``present`` blob digests
    every host has (besides its profile's ``have``); ``locations`` and
    ``bandwidth`` as for :func:`planner.plan`. ``only``: just these (host name,
    image) pairs (a workload's eligible nodes): no other pair is resolved, planned
    or reported, so no manifest is read for it.
    """
    allow = allow or set()
    report = progress or (lambda stage, done, total: None)
    pools = pools_of(hosts)
    leaders = [pool[0] for pool in pools]
    leader_of = {host.name: pool[0].name for pool in pools for host in pool}
    needed = None if only is None else {(leader_of[name], image) for name, image in only}
    sources = SourceSet(registry)
    try:
        report("reading indexes", 0, len(images))
        sources.tops(images)
        resolutions: dict[tuple[str, str], Resolution] = {}
        total = len(images) * len(leaders) if needed is None else len(needed)
        for image in images:
            source = sources.get(image)
            for host in leaders:
                if needed is not None and (host.name, image) not in needed:
                    continue
                resolutions[(host.name, image)] = resolve_source(
                    source, host.platform, host.rules, isolation=host.isolation
                )
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
                (sources.get(image), r.selected)
                for (_, image), r in resolutions.items()
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

        answers: dict[tuple[str, str], tuple[Status, Resolution, Plan | None, str]] = {}
        for leader in leaders:
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
                        plan = build_plan(
                            sources.get(image),
                            resolution,
                            present=have[leader.name],
                            locations=locations,
                            bandwidth=bandwidth,
                            extra_notices=extra[leader.name],
                        )
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
        return FleetReport(tuple(images), tuple(hosts), tuple(pairs), sources.stats, pools)
    finally:
        sources.close()
