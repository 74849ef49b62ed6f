"""Workload checks: every container of every workload on every node it may land on.

For each workload (:mod:`planner.workloads.kubernetes`, :mod:`planner.workloads.compose`):

1. the *eligible* nodes, as Kubernetes schedules (:mod:`planner.workloads.scheduling`;
   Compose: every host). A DaemonSet runs on each of them; any other workload
   may land on any of them, so each must run every container. A workload with
   no eligible node fails on its own (it stays Pending);
2. on each eligible node, the image each container pulls under the node's own
   engine release, as ``check`` does for a fleet: per workload and node pool
   (:mod:`planner.workloads.pools`), each (image, pull host) resolved and planned once
   (:func:`planner.app.pulls.run_pulls`):
   ``ok``, ``no-image`` (the pull fails: ImagePullBackOff), ``will-not-run`` (a
   single-platform image for another platform, or a Windows build the node does
   not run: pulled, then "exec format error"), ``broken`` (with ``verify``: the
   registry lacks a manifest or blob the pull needs), or ``allowed`` (a failure that
   ``allow`` accepts);
3. what the node downloads for it: the distinct blobs of its containers (a
   layer shared by two containers once), without what the node already has.

Node figures add every workload eligible there (an upper bound: a Deployment
with fewer replicas than eligible nodes lands on fewer), per node pool and for
the cluster; the mirror figure is the distinct blobs some node downloads, what a
pull-through mirror fetches once.

Cost: each distinct image reference is read once per run and each chosen
manifest once, whatever the number of workloads and nodes; a pair no workload
needs (an image on a node none of its workloads may use) is not resolved at all.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from planner.app.pulls import (
    Progress,
    Pull,
    PullHost,
    run_pulls,
)
from planner.app.requests import PullRequests
from planner.app.rollout import PullCost, Rollout, rollout_cost
from planner.hosts.records import HostProfile
from planner.model.arguments import items_argument
from planner.model.platform import Platform
from planner.model.record import dataclass, replace
from planner.sources import check_registry
from planner.transport.stats import RateLimit, Stats
from planner.workloads.model import (
    NodeGroup,
    NodePool,
    NodeResult,
    Part,
    PoolResult,
    Skipped,
    Workload,
    egress_counts,
    node_pools,
)
from planner.workloads.pools import node_figures, on_pool, pull_order
from planner.workloads.scheduling import (
    HOSTNAME_LABEL,
    Unfit,
    UnfitCode,
    node_labels,
    unfit_reason,
)
from planner.workloads.suggest import Suggestion, suggest

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

_STRENGTH = {"Never": 0, "IfNotPresent": 1, "Always": 2}

__all__ = [
    "WorkloadReport",
    "WorkloadResult",
    "check_workloads",
]


@dataclass(frozen=True)
class WorkloadResult:
    """One workload: its eligible nodes' results, why the others are not eligible, a fix."""

    workload: Workload
    eligible: tuple[HostProfile, ...]
    """The nodes it may land on, in host order (with those whose kubelet refuses the pod)."""
    ineligible: tuple[tuple[Unfit, tuple[str, ...]], ...]
    """Each reason a node is not eligible, with the nodes it keeps off."""
    suggestion: Suggestion | None = None
    allowed: bool = False
    """With no eligible node: a known gap (an allowance of the workload on every node)."""
    pools: tuple[PoolResult, ...] = ()
    """One per node pool of the report (:attr:`WorkloadReport.pools`), in its order: the
    eligible nodes' results, by pool and by result (:class:`NodeGroup`)."""

    @functools.cached_property
    def nodes(self) -> tuple[NodeResult, ...]:
        """The eligible nodes' results, in host order (made when a report lists nodes)."""
        return tuple(g.result(h) for h, g in self.placed())

    @functools.cached_property
    def status(self) -> Literal["ok", "failed", "unschedulable"]:
        if not self.eligible:
            return "unschedulable"
        return "ok" if all(g.ok for p in self.pools for g in p.groups) else "failed"

    @property
    def failed(self) -> bool:
        return self.status == "failed" or (self.status == "unschedulable" and not self.allowed)

    @property
    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if not n.ok]

    def placed(self) -> list[tuple[HostProfile, NodeGroup]]:
        """Each eligible node with its group, in host order (without making its result)."""
        group_of = {h.name: g for pool in self.pools for g in pool.groups for h in g.hosts}
        return [(h, group_of[h.name]) for h in self.eligible]

    def to_dict(self) -> dict[str, Any]:
        return self.document([g.node_dict(h) for h, g in self.placed()])

    def document(self, nodes: object) -> dict[str, Any]:
        """:meth:`to_dict` with ``nodes`` in place of its nodes' list (the JSON writer puts
        a marker there and writes each node's entry from its group's)."""
        suggestion = self.suggestion
        return {
            **self.workload.to_dict(),
            "place": self.workload.place,
            "status": self.status,
            "allowed": self.allowed,
            "replicas": self.workload.replicas,
            "nodes": nodes,
            "not_eligible": [
                {"reason": unfit_reason(unfit), "hosts": list(names)}
                for unfit, names in self.ineligible
            ],
            "suggested_affinity": suggestion.affinity() if suggestion else None,
            "needs_builds": [b.to_dict() for b in suggestion.builds] if suggestion else [],
        }


@dataclass(frozen=True)
class WorkloadReport:
    """Every workload's results, and the cluster's download figures."""

    results: tuple[WorkloadResult, ...]
    hosts: tuple[HostProfile, ...]
    pools: tuple[NodePool, ...]
    node_bytes: Mapping[str, int]
    unique_bytes: int
    skipped: tuple[Skipped, ...]
    pulls: tuple[Pull, ...]
    """Each (image, pull host) pull once, in the order the nodes first pull them (nodes in
    the order workloads first land there, each node's images in workload order)."""
    stats: Stats
    warnings: tuple[str, ...] = ()
    planned: bool = True
    """Download plans were made; without them every size is unknown (None), not zero."""
    rollout: Rollout | None = None
    """The requests each registry receives per egress (:meth:`with_rollout`)."""

    @property
    def gate_closed(self) -> bool:
        """The release gate: closed when a check fails or a rate limit refuses part of
        the rollout's requests (:attr:`rollout`)."""
        return bool(self.failures) or (self.rollout is not None and bool(self.rollout.failures))

    def with_rollout(self, limits: Sequence[RateLimit] = ()) -> WorkloadReport:
        """This report with its rollout cost: each container's image on each eligible node,
        as its ``imagePullPolicy`` says, judged by ``limits`` and the registries' headers."""
        costs = []
        unknown = 0
        counted: dict[tuple[str, PullHost], tuple[PullRequests, PullRequests | None] | None] = {}
        for result in self.results:
            policies: dict[str, str] = {}
            for c in result.workload.containers:
                known = policies.get(c.reference)
                if known is None or _STRENGTH[c.pull_policy] > _STRENGTH[known]:
                    policies[c.reference] = c.pull_policy
            for pool in result.pools:
                # the pool's nodes share its pulls (a node the kubelet refuses pulls none);
                # counted per egress, each pull's requests worked out once
                egresses: Counter[str] = Counter()
                for group in pool.groups:
                    if group.pulls:
                        egresses.update(dict(group.egresses))
                # one pull per image per pod start: a second container with it finds it there
                for pull in {p.image: p for p in pool.pulls}.values():
                    resolution = pull.resolution
                    if resolution.selected is None or not resolution.endpoint:
                        continue
                    if pull.key not in counted:
                        first = pull.requests
                        counted[pull.key] = (
                            None
                            if first is None
                            else (
                                first,
                                resolution.requests(held=resolution.children(), blob_get=0),
                            )
                        )
                    requests = counted[pull.key]
                    if requests is None:
                        unknown += sum(egresses.values())
                        continue
                    policy = policies.get(pull.image, "IfNotPresent")
                    for egress, times in egresses.items():
                        costs.append(
                            PullCost(egress, resolution.endpoint, *requests, policy, times)
                        )
        cost = rollout_cost(costs, limits, self.stats.rate_limits, unknown=unknown)
        return replace(self, rollout=cost if cost.rows else None)

    @property
    def failures(self) -> list[WorkloadResult]:
        return [r for r in self.results if r.failed]

    @property
    def total_bytes(self) -> int:
        return sum(self.node_bytes.values())

    def pool_bytes(self, pool: NodePool) -> int:
        return sum(self.node_bytes[h.name] for h in pool.hosts)

    def fleet_dict(self) -> dict[str, Any]:
        """Download bytes per node, per pool and for the cluster; None without plans."""
        if not self.planned:
            return {
                "nodes": dict.fromkeys(self.node_bytes),
                "pools": [
                    {"name": p.name, "hosts": [h.name for h in p.hosts], "download_bytes": None}
                    for p in self.pools
                ],
                "total_bytes": None,
                "unique_bytes": None,
            }
        return {
            "nodes": dict(self.node_bytes),
            "pools": [
                {
                    "name": pool.name,
                    "hosts": [h.name for h in pool.hosts],
                    "download_bytes": self.pool_bytes(pool),
                }
                for pool in self.pools
            ],
            "total_bytes": self.total_bytes,
            "unique_bytes": self.unique_bytes,
        }

    def to_dict(self) -> dict[str, Any]:
        return self.document([r.to_dict() for r in self.results])

    def document(self, workloads: object) -> dict[str, Any]:
        """:meth:`to_dict` with ``workloads`` in place of its workloads' list (the JSON
        writer puts a marker there and writes them a workload at a time)."""
        return {
            "workloads": workloads,
            "hosts": [h.to_dict() for h in self.hosts],
            "fleet": self.fleet_dict(),
            "skipped": [s.to_dict() for s in self.skipped],
            "failures": len(self.failures),
            "warnings": list(self.warnings),
            **({"rollout": self.rollout.to_dict()} if self.rollout is not None else {}),
            "stats": self.stats.to_dict(),
        }


def check_workloads(
    workloads: Sequence[Workload],
    hosts: Sequence[HostProfile],
    *,
    skipped: Sequence[Skipped] = (),
    registry: RegistryOptions | None = None,
    allow: set[tuple[str, str]] | None = None,
    plans: bool = True,
    present: set[str] | None = None,
    progress: Progress | None = None,
    warnings: Sequence[str] = (),
    verify: bool = False,
    upstream: bool = False,
) -> WorkloadReport:
    """Check every workload on its eligible nodes (see the module docstring).

    ``allow`` holds (workload id, node name) pairs that may fail (see
    :func:`~planner.workloads.model.workload_allowances`); ``present`` blob digests every node has.

    A pod gets the same answers on every node of a pool (:class:`PoolResult`): its
    images are resolved and planned per (image, :class:`~planner.app.pulls.PullHost`)
    by :func:`~planner.app.pulls.run_pulls`, only for the pools some workload may use.
    ``verify``: each manifest and blob those pulls fetch is asked for without downloading
    it (:mod:`planner.app.verify`); a container whose pull needs a missing one is ``broken``. ``upstream``: a
    node whose mirror answers also asks upstream (:func:`planner.app.route.resolve_routed`).
    """
    workloads = items_argument(workloads, Workload, "workloads", "Workloads")
    hosts = items_argument(hosts, HostProfile, "hosts", "HostProfiles")
    check_registry(registry)
    allow = allow or set()
    allowed_on: dict[str, set[str]] = {}
    for workload_id, name in allow:
        allowed_on.setdefault(workload_id, set()).add(name)
    labels = {h.name: node_labels(h) for h in hosts}
    pools = node_pools(hosts)
    pool_of = {h.name: i for i, pool in enumerate(pools) for h in pool.hosts}
    merged = _Merged(hosts)
    alike = _alike(hosts, labels, pool_of)
    singles: list[_Alike] = []  # one per node, for placements that name nodes
    placed = []
    for workload in workloads:
        placement = workload.placement
        if placement.by_name or HOSTNAME_LABEL in placement.label_keys():
            start = len(alike)
            singles = singles or [_Alike.of(start + i, [h], pool_of) for i, h in enumerate(hosts)]
            placed.append(_eligible(workload, singles, labels, merged))
        else:
            placed.append(_eligible(workload, alike, labels, merged))

    # what each node pulls, for each platform it pulls for (its own, a Compose platform:)
    needs = _needs(workloads, placed, merged.rank)
    pull_host: dict[tuple[int, Platform | None], PullHost] = {}
    by_name = {h.name: h for h in hosts}
    for name, platform in needs:
        if (pool_of[name], platform) not in pull_host:
            pull_host[(pool_of[name], platform)] = PullHost.of(by_name[name], platform)
    needed = {image for images in needs.values() for image in images}
    images = list(dict.fromkeys(c.reference for w in workloads for c in w.containers))
    images = [image for image in images if image in needed]
    wanted_on: dict[tuple[int, Platform | None], set[str]] = {}
    for (name, platform), wanted in needs.items():
        wanted_on.setdefault((pool_of[name], platform), set()).update(wanted)
    only = {(image, pull_host[key]) for key, wanted in wanted_on.items() for image in wanted}
    pulls = run_pulls(
        images,
        [pull_host[(pool_of[name], platform)] for name, platform in needs],
        only=only,
        registry=registry,
        plans=plans,
        present=present,
        progress=progress,
        missing_ok=True,
        verify=verify,
        upstream=upstream,
    )

    results = []
    for workload, place in zip(workloads, placed, strict=True):
        mine = allowed_on.get(workload.id, set())
        by_pool = [
            on_pool(workload, pool, place.parts.get(index, ()), mine, pulls, pull_host, index)
            for index, pool in enumerate(pools)
        ]
        outcome = WorkloadResult(
            workload,
            place.eligible,
            place.ineligible,
            allowed=(workload.id, "*") in allow,
            pools=tuple(by_pool),
        )
        if outcome.failed:
            groups = [g for pool in by_pool for g in pool.groups]
            suggestion = suggest(workload, outcome.eligible, groups, labels)
            outcome = replace(outcome, suggestion=suggestion)
        results.append(outcome)
    node_bytes, unique = node_figures([r.pools for r in results], hosts, pool_of)
    return WorkloadReport(
        tuple(results),
        tuple(hosts),
        pools,
        node_bytes,
        unique,
        tuple(skipped),
        pull_order(needs, images, pulls, pull_host, pool_of),
        pulls.stats,
        tuple(warnings),
        pulls.planned,
    ).with_rollout()


@dataclass(frozen=True, eq=False)
class _Alike:
    """Nodes that differ in nothing a placement can look at but their name (in host
    order), and their parts in each node pool: a workload lands on all of them or none."""

    number: int
    """Its place among the run's groups (a key of :class:`_Merged`)."""
    hosts: tuple[HostProfile, ...]
    cells: tuple[tuple[int, Part], ...]
    """(pool index, the nodes in that pool), pools in order of their first node here."""

    @classmethod
    def of(cls, number: int, hosts: Sequence[HostProfile], pool_of: Mapping[str, int]) -> _Alike:
        cells: dict[int, list[HostProfile]] = {}
        for host in hosts:
            cells.setdefault(pool_of[host.name], []).append(host)
        parts = tuple((i, Part(tuple(m), egress_counts(m))) for i, m in cells.items())
        return cls(number, tuple(hosts), parts)


class _Merged:
    """The nodes of several groups in host order, merged once per run for each set of
    groups (workloads alike in placement land on the same groups)."""

    def __init__(self, hosts: Sequence[HostProfile]) -> None:
        self.rank = {h.name: i for i, h in enumerate(hosts)}
        self.known: dict[tuple[int, ...], tuple[HostProfile, ...]] = {}
        self.named: dict[tuple[int, ...], tuple[str, ...]] = {}

    def __call__(self, groups: Sequence[_Alike]) -> tuple[HostProfile, ...]:
        if len(groups) == 1:
            return groups[0].hosts
        key = tuple(g.number for g in groups)
        found = self.known.get(key)
        if found is None:
            members = (h for g in groups for h in g.hosts)
            found = tuple(sorted(members, key=lambda h: self.rank[h.name]))
            self.known[key] = found
        return found

    def names(self, groups: Sequence[_Alike]) -> tuple[str, ...]:
        """The names of :meth:`__call__`'s nodes."""
        key = tuple(g.number for g in groups)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = tuple(h.name for h in self(groups))
        return found


@dataclass(frozen=True, eq=False)
class _Placed:
    """Where one workload may land (:func:`_eligible`)."""

    eligible: tuple[HostProfile, ...]
    """In host order, with the nodes whose kubelet refuses the pod."""
    ineligible: tuple[tuple[Unfit, tuple[str, ...]], ...]
    parts: dict[int, list[tuple[Part, Unfit | None]]]
    """Per pool index: (eligible nodes alike, the kubelet's refusal there or None)."""
    landed: tuple[tuple[_Alike, bool], ...]
    """The groups of :attr:`parts`, in host order of their first node, each with whether
    the kubelet refuses the pod there."""


def _alike(
    hosts: Sequence[HostProfile],
    labels: Mapping[str, Mapping[str, str]],
    pool_of: Mapping[str, int],
) -> list[_Alike]:
    """Nodes that differ in nothing a placement can look at but their name, grouped."""
    groups: dict[tuple[object, ...], list[HostProfile]] = {}
    for host in hosts:
        named = {k: v for k, v in labels[host.name].items() if k != HOSTNAME_LABEL}
        key = (frozenset(named.items()), host.taints, host.platform.os)
        groups.setdefault(key, []).append(host)
    return [_Alike.of(i, members, pool_of) for i, members in enumerate(groups.values())]


def _eligible(
    workload: Workload,
    groups: Sequence[_Alike],
    labels: Mapping[str, Mapping[str, str]],
    merged: _Merged,
) -> _Placed:
    """The nodes the workload may land on (in host order), by pool and part, those of them
    whose kubelet refuses it (``spec.os.name``: the scheduler does not look at it), and
    why each other node is not eligible.

    Nodes alike (:func:`_alike`) share one verdict (``groups``: one per node when the
    placement names nodes: ``nodeName``, ``matchFields``, the hostname label).
    """
    placement = workload.placement
    # equal verdicts (of different groups) are one entry, in order of their first node
    distinct: dict[Unfit, list[_Alike]] = {}
    landed: list[tuple[_Alike, bool]] = []
    parts: dict[int, list[tuple[Part, Unfit | None]]] = {}
    for group in groups:
        first = group.hosts[0]
        verdict = placement.unfit(first, labels[first.name])
        if verdict is not None and verdict.code is not UnfitCode.OS:
            distinct.setdefault(verdict, []).append(group)
            continue
        # an OS verdict: the scheduler binds the pod; the kubelet then refuses it
        landed.append((group, verdict is not None))
        for index, part in group.cells:
            parts.setdefault(index, []).append((part, verdict))
    for listed in parts.values():
        if len(listed) > 1:  # parts of a pool in host order
            listed.sort(key=lambda item: merged.rank[item[0].hosts[0].name])
    eligible = merged([group for group, _ in landed]) if landed else ()
    unfit = tuple((verdict, merged.names(members)) for verdict, members in distinct.items())
    return _Placed(eligible, unfit, parts, tuple(landed))


def _needs(
    workloads: Sequence[Workload], placed: Sequence[_Placed], rank: Mapping[str, int]
) -> dict[tuple[str, Platform | None], dict[str, None]]:
    """What each node pulls for each platform it pulls for (its own, a Compose
    ``platform:``), keyed in the order the nodes first pull for it: by the first workload
    landing there with a container of that platform, then host order, then container
    order. Worked out per group of nodes alike, then per node once."""
    first: dict[tuple[_Alike, Platform | None], tuple[int, int]] = {}
    wanted: dict[tuple[_Alike, Platform | None], dict[str, None]] = {}
    for number, (workload, place) in enumerate(zip(workloads, placed, strict=True)):
        for group, refused in place.landed:
            if refused:
                continue  # refused before any pull
            for position, container in enumerate(workload.containers):
                key = (group, container.platform)
                if key not in first:
                    first[key] = (number, position)
                wanted.setdefault(key, {})[container.reference] = None
    per_node: dict[tuple[str, Platform | None], tuple[tuple[int, int, int], dict[str, None]]] = {}
    for (group, platform), at in first.items():
        for host in group.hosts:
            order = (at[0], rank[host.name], at[1])
            known = per_node.get((host.name, platform))
            if known is None:
                per_node[(host.name, platform)] = (order, dict(wanted[(group, platform)]))
            else:  # also in a group of its own (a placement naming it)
                known[1].update(wanted[(group, platform)])
                per_node[(host.name, platform)] = (min(known[0], order), known[1])
    ordered = sorted(per_node.items(), key=lambda item: item[1][0])
    return {key: images for key, (_, images) in ordered}
