"""A workload's pods on node pools: what a pod pulls on a pool's nodes, what fails there,
and what the nodes download (:func:`planner.workloads.check.check_workloads`).

The nodes of a pool (:func:`~planner.workloads.model.node_pools`) have one
:class:`~planner.app.pulls.PullHost` for each platform a container pulls (the
node's, or a Compose ``platform:``), so a pod gets the same answers on each of
them: one :class:`~planner.workloads.model.PoolResult` per workload and pool,
whose pulls are keyed by value, (image, pull host), in every memo here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from planner.app.pulls import Pull, PullHost, Pulls, Status, union_size
from planner.hosts.records import HostProfile
from planner.model.platform import Platform
from planner.select import explain
from planner.select.runs import requested_verdict
from planner.workloads.model import ContainerProblem, NodePool, NodeResult, PoolResult, Workload
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
    nodes: Sequence[HostProfile],
    refused: Mapping[str, Unfit],
    allow: set[tuple[str, str]],
    pulls: Pulls,
    pull_host: Mapping[tuple[int, Platform | None], PullHost],
    index: int,
) -> PoolResult:
    """The workload on the pool's eligible ``nodes`` (the pool is at ``index``): one pull
    per container for the pool's pull host, the same for each node the kubelet does not
    refuse the pod on; a node's result differs only by its allowance."""
    pod: PoolResult | None = None
    node_results = []
    for node in nodes:
        allowed = (workload.id, node.name) in allow
        if node.name in refused:
            problem = ContainerProblem(None, "will-not-run", refusal(refused[node.name]))
            node_results.append(_node(node, (problem,), 0 if pulls.planned else None, (), allowed))
            continue
        if pod is None:
            pod = _pod(workload, pool, node, pulls, pull_host, index)
        size = pod.download_bytes if pulls.planned else None
        node_results.append(_node(node, pod.problems, size, pod.pulls, allowed))
    return dataclasses.replace(pod or PoolResult(pool, ()), nodes=tuple(node_results))


def _node(
    host: HostProfile,
    problems: tuple[ContainerProblem, ...],
    download_bytes: int | None,
    pulls: tuple[Pull, ...],
    allowed: bool,
) -> NodeResult:
    status: Status = "ok"
    if problems:
        statuses = {p.status for p in problems}
        worst = next(s for s in ("no-image", "broken", "will-not-run") if s in statuses)
        status = "allowed" if allowed else worst
    return NodeResult(host, status, problems, download_bytes, pulls)


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
    runs: dict[str, list[int]] = {h.name: [] for h in hosts}
    for number, pools in enumerate(results):
        for pool in pools:
            for node in pool.nodes:
                if node.pulls:
                    runs[node.host.name].append(number)
    sums: dict[tuple[int, tuple[int, ...]], int] = {}
    downloads: dict[tuple[str, PullHost], dict[str, int]] = {}
    node_bytes: dict[str, int] = {}
    for host in hosts:
        index = pool_of[host.name]
        key = (index, tuple(runs[host.name]))
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
