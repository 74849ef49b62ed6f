"""A workload's pods on node pools: what a pod pulls on a pool's nodes, what fails there,
and what the nodes download (:func:`planner.workloads.check.check_workloads`).

The nodes of a pool (:func:`~planner.workloads.model.node_pools`) have one
:class:`~planner.app.pulls.PullHost` for each platform a container pulls (the
node's, or a Compose ``platform:``), so a pod gets the same answers on each of
them: one :class:`~planner.workloads.model.PoolResult` per workload and pool,
whose pulls are keyed by value, (image, pull host), in every memo here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from planner.app.pulls import Pull, PullHost, Pulls, Status, union_size
from planner.hosts.records import HostProfile
from planner.model.platform import Platform
from planner.model.record import replace
from planner.select import explain
from planner.select.runs import requested_verdict
from planner.workloads.model import (
    ContainerProblem,
    NodeGroup,
    NodePool,
    Part,
    PoolResult,
    Workload,
    egress_counts,
)
from planner.workloads.scheduling import Unfit, unfit_reason

__all__ = ["node_figures", "on_pool", "pull_order", "refusal"]


def pull_order(
    needs: Mapping[tuple[str, Platform | None], Mapping[str, None]],
    images: Sequence[str],
    pulls: Pulls,
    pull_host: Mapping[tuple[int, Platform | None], PullHost],
    pool_of: Mapping[str, int],
) -> tuple[Pull, ...]:
    """Each pull once, in the order nodes first pull it: nodes (and the platforms they pull
    for) in the order workloads first land there, each one's images in ``images`` order."""
    rank = {image: i for i, image in enumerate(images)}
    ordered: dict[tuple[str, PullHost], Pull] = {}
    seen: set[tuple[int, Platform | None, tuple[str, ...]]] = set()
    for (name, platform), wanted in needs.items():
        pool = pool_of[name]
        listed = tuple(sorted(wanted, key=rank.__getitem__))
        if (pool, platform, listed) in seen:
            continue  # a node of the same pool that pulls the same images
        seen.add((pool, platform, listed))
        host = pull_host[(pool, platform)]
        for image in listed:
            pull = pulls.by_key.get((image, host))
            if pull is not None:  # else the registry lacks the image
                ordered.setdefault(pull.key, pull)
    return tuple(ordered.values())


def refusal(unfit: Unfit) -> str:
    return f"refused by the kubelet (PodOSNotSupported): {unfit_reason(unfit)}"


def on_pool(
    workload: Workload,
    pool: NodePool,
    parts: Sequence[tuple[Part, Unfit | None]],
    allowed: Collection[str],
    pulls: Pulls,
    pull_host: Mapping[tuple[int, Platform | None], PullHost],
    index: int,
) -> PoolResult:
    """The workload on the pool's eligible nodes (the pool is at ``index``), given as
    ``parts``: (nodes alike, the kubelet's refusal of the pod there or None). One pull per
    container for the pool's pull host, the same for each node the kubelet does not
    refuse the pod on; nodes named in ``allowed`` (the workload's allowances) may fail.
    Each part's result is made once, however many nodes it has."""
    pod: PoolResult | None = None
    groups: list[NodeGroup] = []
    for part, refused in parts:
        if refused is not None:
            problem = ContainerProblem(None, "will-not-run", refusal(refused))
            size = 0 if pulls.planned else None
            groups += _split(part, (problem,), size, (), allowed)
            continue
        if pod is None:
            pod = _pod(workload, pool, part.hosts[0], pulls, pull_host, index)
        size = pod.download_bytes if pulls.planned else None
        groups += _split(part, pod.problems, size, pod.pulls, allowed)
    return replace(pod or PoolResult(pool, ()), groups=tuple(groups))


def _split(
    part: Part,
    problems: tuple[ContainerProblem, ...],
    download_bytes: int | None,
    pulls: tuple[Pull, ...],
    allowed: Collection[str],
) -> list[NodeGroup]:
    """The group of ``part``'s nodes with this result: failing, the nodes in ``allowed``
    apart."""
    if not problems:
        return [NodeGroup(part.hosts, "ok", problems, download_bytes, pulls, part.egresses)]
    statuses = {p.status for p in problems}
    worst: Status = next(s for s in ("no-image", "broken", "will-not-run") if s in statuses)
    kept = tuple(h for h in part.hosts if h.name in allowed) if allowed else ()
    if not kept:
        return [NodeGroup(part.hosts, worst, problems, download_bytes, pulls, part.egresses)]
    rest = tuple(h for h in part.hosts if h.name not in allowed)
    groups = [NodeGroup(kept, "allowed", problems, download_bytes, pulls, egress_counts(kept))]
    if rest:
        groups.append(NodeGroup(rest, worst, problems, download_bytes, pulls, egress_counts(rest)))
    return groups


def _pod(
    workload: Workload,
    pool: NodePool,
    node: HostProfile,
    pulls: Pulls,
    pull_host: Mapping[tuple[int, Platform | None], PullHost],
    index: int,
) -> PoolResult:
    """What a pod pulls on ``node`` of the pool and what fails: a Compose ``platform:``
    pulls that platform, then must run on the node (:func:`requested_verdict`)."""
    pulled = []
    problems = []
    for container in workload.containers:
        if container.reference in pulls.unavailable:  # ErrImagePull: manifest unknown
            reason = f"the registry has no such image: {pulls.unavailable[container.reference]}"
            problems.append(ContainerProblem(container, "no-image", reason))
            continue
        pull = pulls.get(container.reference, pull_host[(index, container.platform)])
        pulled.append(pull)
        state, reason = pull.status, pull.problem
        broken = state == "broken"
        if container.platform is not None and pull.resolution.selected is not None and not broken:
            runs = requested_verdict(
                pull.resolution.platform,
                container.platform,
                node.platform,
                node.rules,
                isolation=node.isolation,
            )
            reason = explain.problem(runs)
            state = "will-not-run" if reason else "ok"
        if state == "no-image" or state == "will-not-run" or state == "broken":
            problems.append(ContainerProblem(container, state, reason))
    download = union_size(p.plan.downloads() for p in pulled if p.plan is not None)
    return PoolResult(pool, (), tuple(problems), download, tuple(pulled))


def node_figures(
    results: Sequence[Sequence[PoolResult]],
    hosts: Sequence[HostProfile],
    pool_of: Mapping[str, int],
) -> tuple[dict[str, int], int]:
    """Per-node download bytes over every workload eligible there (``results``: each
    workload's :class:`PoolResult` per pool), and the mirror's unique bytes.

    A node pulls, for each workload it runs, its pool's pulls (:attr:`PoolResult.pulls`):
    the nodes of a pool that run the same workloads share one sum, and each pull's
    downloads (by its (image, pull host) key) are listed once.
    """
    # the workloads each node runs (those that pull there), by number; a workload on
    # every node of a pool is listed once for the pool, not once per node
    whole: list[list[int]] = [[] for _ in range(len(set(pool_of.values())))]
    runs: dict[str, list[int]] = {}
    for number, pools in enumerate(results):
        for index, pool in enumerate(pools):
            pulling = [g for g in pool.groups if g.pulls]
            if not pulling:
                continue
            if sum(len(g.hosts) for g in pulling) == len(pool.pool.hosts):
                whole[index].append(number)
                continue
            for group in pulling:
                for host in group.hosts:
                    runs.setdefault(host.name, []).append(number)
    sums: dict[tuple[int, tuple[int, ...]], int] = {}
    downloads: dict[tuple[str, PullHost], dict[str, int]] = {}
    node_bytes: dict[str, int] = {}
    for host in hosts:
        index = pool_of[host.name]
        own = runs.get(host.name)
        key = (index, tuple(sorted(whole[index] + own)) if own else tuple(whole[index]))
        if key not in sums:
            mine: dict[tuple[str, PullHost], dict[str, int]] = {}
            for number in key[1]:
                for pull in results[number][index].pulls:
                    if pull.plan is not None and pull.key not in mine:
                        if pull.key not in downloads:
                            downloads[pull.key] = pull.plan.downloads()
                        mine[pull.key] = downloads[pull.key]
            sums[key] = union_size(mine.values())
        node_bytes[host.name] = sums[key]
    return node_bytes, union_size(downloads.values())
