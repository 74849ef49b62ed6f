"""Workload checks: every container of every workload on every node it may land on.

For each workload (:mod:`planner.workloads.kubernetes`, :mod:`planner.workloads.compose`):

1. the *eligible* nodes, as Kubernetes schedules (:mod:`planner.workloads.scheduling`;
   Compose: every host). A DaemonSet runs on each of them; any other workload
   may land on any of them, so each must run every container. A workload with
   no eligible node fails on its own (it stays Pending);
2. on each eligible node, the image each container pulls under the node's own
   engine release, as ``check`` does for a fleet (:func:`planner.app.fleet.run_fleet`):
   ``ok``, ``no-image`` (the pull fails: ImagePullBackOff), ``will-not-run`` (a
   single-platform image for another platform, or a Windows build the node does
   not run: pulled, then "exec format error"), or ``allowed`` (a failure that
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from planner.app.fleet import (
    FleetReport,
    PairResult,
    Progress,
    Status,
    pool_key,
    run_fleet,
    union_size,
)
from planner.app.plan import Plan
from planner.hosts.records import HostProfile
from planner.model.arguments import items_argument
from planner.select import explain
from planner.select.runs import requested_verdict
from planner.sources import check_registry
from planner.workloads.model import (
    Container,
    ContainerProblem,
    NodePool,
    NodeResult,
    Skipped,
    Workload,
    node_pools,
)
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
    ineligible: tuple[tuple[Unfit, tuple[str, ...]], ...]
    """Each reason a node is not eligible, with the nodes it keeps off."""
    suggestion: Suggestion | None = None
    allowed: bool = False
    """With no eligible node: a known gap (an allowance of the workload on every node)."""

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
    fleet: FleetReport
    warnings: tuple[str, ...] = ()

    @property
    def failures(self) -> list[WorkloadResult]:
        return [r for r in self.results if r.failed]

    @functools.cached_property
    def pool_index(self) -> dict[str, int]:
        """Each node's position in :attr:`pools`."""
        return {h.name: i for i, pool in enumerate(self.pools) for h in pool.hosts}

    @property
    def total_bytes(self) -> int:
        return sum(self.node_bytes.values())

    def pool_bytes(self, pool: NodePool) -> int:
        return sum(self.node_bytes[h.name] for h in pool.hosts)

    def fleet_dict(self) -> dict[str, Any]:
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
            "stats": self.fleet.stats.to_dict(),
        }


def _pull_host(node: HostProfile, container: Container) -> HostProfile:
    """The host the image is resolved for: Compose ``platform:`` replaces the node's own."""
    if container.platform is None:
        return node
    return dataclasses.replace(
        node, name=f"{node.name}\0{container.platform}", platform=container.platform
    )


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
) -> WorkloadReport:
    """Check every workload on its eligible nodes (see the module docstring).

    ``allow`` holds (workload id, node name) pairs that may fail (see
    :func:`~planner.workloads.model.workload_allowances`); ``present`` blob digests every node has.
    """
    workloads = items_argument(workloads, Workload, "workloads", "Workloads")
    hosts = items_argument(hosts, HostProfile, "hosts", "HostProfiles")
    check_registry(registry)
    allow = allow or set()
    labels = {h.name: node_labels(h) for h in hosts}
    alike = _alike(hosts, labels)
    eligible: list[list[HostProfile]] = []
    refusals: list[dict[str, Unfit]] = []
    ineligible: list[tuple[tuple[Unfit, tuple[str, ...]], ...]] = []
    for workload in workloads:
        fits, refused, unfit = _eligible(workload, hosts, alike, labels)
        eligible.append(fits)
        refusals.append(refused)
        ineligible.append(unfit)

    pull_hosts: dict[str, HostProfile] = {}
    only: set[tuple[str, str]] = set()
    for workload, nodes, refused in zip(workloads, eligible, refusals, strict=True):
        for node in nodes:
            if node.name in refused:
                continue  # refused before any pull
            for container in workload.containers:
                pulled = _pull_host(node, container)
                pull_hosts.setdefault(pulled.name, pulled)
                only.add((pulled.name, container.reference))
    needed = {image for _, image in only}
    images = [c.reference for w in workloads for c in w.containers if c.reference in needed]
    fleet = run_fleet(
        list(dict.fromkeys(images)),
        list(pull_hosts.values()),
        registry=registry,
        plans=plans,
        present=present,
        progress=progress,
        only=only,
        missing_ok=True,
    )
    results = []
    answers_of = {h.name: pool_key(h) for h in hosts}
    for workload, nodes, refused, unfit in zip(
        workloads, eligible, refusals, ineligible, strict=True
    ):
        answers: dict[tuple[object, ...], _Answer] = {}
        node_results = []
        for node in nodes:
            allowed = (workload.id, node.name) in allow
            if node.name in refused:
                problem = ContainerProblem(None, "will-not-run", _refusal(refused[node.name]))
                node_results.append(_Answer((problem,), 0, ()).on(node, allowed))
                continue
            key = answers_of[node.name]
            if key not in answers:
                answers[key] = _answer(workload, node, fleet)
            node_results.append(answers[key].on(node, allowed))
        result = WorkloadResult(
            workload, tuple(node_results), unfit, allowed=(workload.id, "*") in allow
        )
        if result.failed:
            suggestion = suggest(workload, result.nodes, labels)
            result = dataclasses.replace(result, suggestion=suggestion)
        results.append(result)
    node_bytes, unique = _figures(results, hosts)
    return WorkloadReport(
        tuple(results),
        tuple(hosts),
        node_pools(hosts),
        node_bytes,
        unique,
        tuple(skipped),
        fleet,
        tuple(warnings),
    )


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


def _refusal(unfit: Unfit) -> str:
    return f"refused by the kubelet (PodOSNotSupported): {unfit_reason(unfit)}"


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
    for group in groups:
        verdict = placement.unfit(group[0], labels[group[0].name])
        for host in group:
            verdict_of[host.name] = verdict
    # one verdict object per group; equal verdicts of different groups share one entry
    distinct = {id(v): v for v in verdict_of.values() if v is not None}
    canonical: dict[Unfit, int] = {}
    entry = {key: canonical.setdefault(v, key) for key, v in distinct.items()}
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
            names.setdefault(entry[id(verdict)], []).append(host.name)
    unfit = tuple((distinct[key], tuple(listed)) for key, listed in names.items())
    return fits, refused, unfit


@dataclass(frozen=True)
class _Answer:
    """A workload's containers on one node, shared by the nodes with the same answers."""

    problems: tuple[ContainerProblem, ...]
    download_bytes: int
    pairs: tuple[PairResult, ...]

    def on(self, node: HostProfile, allowed: bool) -> NodeResult:
        status: Status = "ok"
        if self.problems:
            failed = any(p.status == "no-image" for p in self.problems)
            status = "allowed" if allowed else "no-image" if failed else "will-not-run"
        return NodeResult(node, status, self.problems, self.download_bytes, self.pairs)


def _answer(workload: Workload, node: HostProfile, fleet: FleetReport) -> _Answer:
    pairs = []
    problems = []
    for container in workload.containers:
        if container.reference in fleet.unavailable:  # ErrImagePull: manifest unknown
            reason = f"the registry has no such image: {fleet.unavailable[container.reference]}"
            problems.append(ContainerProblem(container, "no-image", reason))
            continue
        pair = fleet.pair(_pull_host(node, container).name, container.reference)
        pairs.append(pair)
        state, reason = pair.status, pair.problem
        if container.platform is not None and pair.resolution.selected is not None:
            runs = requested_verdict(
                pair.resolution.platform,
                container.platform,
                node.platform,
                node.rules,
                isolation=node.isolation,
            )
            reason = explain.problem(runs)
            state = "will-not-run" if reason else "ok"
        if state == "no-image" or state == "will-not-run":
            problems.append(ContainerProblem(container, state, reason))
    download = union_size(p.plan.downloads() for p in pairs if p.plan is not None)
    return _Answer(tuple(problems), download, tuple(pairs))


def _figures(
    results: Sequence[WorkloadResult], hosts: Sequence[HostProfile]
) -> tuple[dict[str, int], int]:
    """Per-node download bytes over every workload eligible there, and the mirror's unique bytes.

    Nodes whose pairs are the same plans share one sum.
    """
    plans_of: dict[str, dict[int, Plan]] = {h.name: {} for h in hosts}
    for result in results:
        for node in result.nodes:
            plans_of[node.host.name].update((id(p.plan), p.plan) for p in node.pairs if p.plan)
    memo: dict[frozenset[int], int] = {}
    every: dict[int, Plan] = {}
    node_bytes: dict[str, int] = {}
    for name, plans in plans_of.items():
        key = frozenset(plans)
        if key not in memo:
            memo[key] = union_size(plan.downloads() for plan in plans.values())
            every.update(plans)
        node_bytes[name] = memo[key]
    return node_bytes, union_size(plan.downloads() for plan in every.values())
