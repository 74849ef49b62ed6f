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

import dataclasses
import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from planner.model.stats import RateLimit, Stats
from planner.sources import check_registry
from planner.workloads.model import (
    NodePool,
    NodeResult,
    PoolResult,
    Skipped,
    Workload,
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
    nodes: tuple[NodeResult, ...]
    """The eligible nodes' results, in host order."""
    ineligible: tuple[tuple[Unfit, tuple[str, ...]], ...]
    """Each reason a node is not eligible, with the nodes it keeps off."""
    suggestion: Suggestion | None = None
    allowed: bool = False
    """With no eligible node: a known gap (an allowance of the workload on every node)."""
    pools: tuple[PoolResult, ...] = ()
    """One per node pool of the report (:attr:`WorkloadReport.pools`), in its order: the
    same node results, by pool."""

    @functools.cached_property
    def status(self) -> Literal["ok", "failed", "unschedulable"]:
        if not self.nodes:
            return "unschedulable"
        return "ok" if all(n.ok for n in self.nodes) else "failed"

    @property
    def failed(self) -> bool:
        return self.status == "failed" or (self.status == "unschedulable" and not self.allowed)

    @property
    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if not n.ok]

    def to_dict(self) -> dict[str, Any]:
        suggestion = self.suggestion
        return {
            **self.workload.to_dict(),
            "place": self.workload.place,
            "status": self.status,
            "allowed": self.allowed,
            "replicas": self.workload.replicas,
            "nodes": [n.to_dict() for n in self.nodes],
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
                egresses = Counter(n.host.egress for n in pool.nodes if n.pulls)
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
        return dataclasses.replace(self, rollout=cost if cost.rows else None)

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
        return {
            "workloads": [r.to_dict() for r in self.results],
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
    labels = {h.name: node_labels(h) for h in hosts}
    alike = _alike(hosts, labels)
    pools = node_pools(hosts)
    pool_of = {h.name: i for i, pool in enumerate(pools) for h in pool.hosts}
    placed = [_eligible(workload, hosts, alike, labels) for workload in workloads]

    # what each node pulls, for each platform it pulls for (its own, a Compose platform:)
    needs: dict[tuple[str, Platform | None], dict[str, None]] = {}
    for workload, (fits, refused, _) in zip(workloads, placed, strict=True):
        for node in fits:
            if node.name in refused:
                continue  # refused before any pull
            for container in workload.containers:
                key = (node.name, container.platform)
                needs.setdefault(key, {})[container.reference] = None
    pull_host: dict[tuple[int, Platform | None], PullHost] = {}
    by_name = {h.name: h for h in hosts}
    for name, platform in needs:
        if (pool_of[name], platform) not in pull_host:
            pull_host[(pool_of[name], platform)] = PullHost.of(by_name[name], platform)
    needed = {image for images in needs.values() for image in images}
    images = list(dict.fromkeys(c.reference for w in workloads for c in w.containers))
    images = [image for image in images if image in needed]
    only = {
        (image, pull_host[(pool_of[name], platform)])
        for (name, platform), wanted in needs.items()
        for image in wanted
    }
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
    for workload, (fits, refused, unfit) in zip(workloads, placed, strict=True):
        members: list[list[HostProfile]] = [[] for _ in pools]
        for node in fits:
            members[pool_of[node.name]].append(node)
        of_node: dict[str, NodeResult] = {}
        by_pool = []
        for index, (pool, nodes) in enumerate(zip(pools, members, strict=True)):
            result = on_pool(workload, pool, nodes, refused, allow, pulls, pull_host, index)
            of_node.update((n.host.name, n) for n in result.nodes)
            by_pool.append(result)
        outcome = WorkloadResult(
            workload,
            tuple(of_node[node.name] for node in fits),
            unfit,
            allowed=(workload.id, "*") in allow,
            pools=tuple(by_pool),
        )
        if outcome.failed:
            suggestion = suggest(workload, outcome.nodes, labels)
            outcome = dataclasses.replace(outcome, suggestion=suggestion)
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


def _alike(
    hosts: Sequence[HostProfile], labels: Mapping[str, Mapping[str, str]]
) -> list[list[HostProfile]]:
    """Nodes that differ in nothing a placement can look at but their name, grouped."""
    groups: dict[tuple[object, ...], list[HostProfile]] = {}
    for host in hosts:
        named = {k: v for k, v in labels[host.name].items() if k != HOSTNAME_LABEL}
        key = (frozenset(named.items()), host.taints, host.platform.os)
        groups.setdefault(key, []).append(host)
    return list(groups.values())


def _eligible(
    workload: Workload,
    hosts: Sequence[HostProfile],
    alike: list[list[HostProfile]],
    labels: Mapping[str, Mapping[str, str]],
) -> tuple[list[HostProfile], dict[str, Unfit], tuple[tuple[Unfit, tuple[str, ...]], ...]]:
    """The nodes the workload may land on (in ``hosts`` order), those of them whose
    kubelet refuses it (``spec.os.name``: the scheduler does not look at it), and
    why each other node is not eligible.

    Nodes alike (:func:`_alike`) share one verdict, unless the placement names
    nodes (``nodeName``, ``matchFields``, the hostname label): then each has its own.
    """
    placement = workload.placement
    named = placement.by_name or HOSTNAME_LABEL in placement.label_keys()
    groups = [[h] for h in hosts] if named else alike
    verdict_of: dict[str, Unfit | None] = {}
    number_of: dict[str, int] = {}
    # equal verdicts (of different groups) are one entry: numbered by value, one hash a group
    distinct: dict[Unfit, int] = {}
    for group in groups:
        verdict = placement.unfit(group[0], labels[group[0].name])
        number = -1 if verdict is None else distinct.setdefault(verdict, len(distinct))
        for host in group:
            verdict_of[host.name] = verdict
            number_of[host.name] = number
    fits: list[HostProfile] = []
    refused: dict[str, Unfit] = {}
    names: dict[int, list[str]] = {}
    for host in hosts:
        verdict = verdict_of[host.name]
        if verdict is None:
            fits.append(host)
        elif verdict.code is UnfitCode.OS:
            fits.append(host)  # the scheduler binds it; the kubelet then refuses it
            refused[host.name] = verdict
        else:
            names.setdefault(number_of[host.name], []).append(host.name)
    verdicts = list(distinct)
    unfit = tuple((verdicts[number], tuple(listed)) for number, listed in names.items())
    return fits, refused, unfit
