"""Workloads as data: what runs, which images, and where it may be scheduled."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Sequence
from typing import Any, Literal

from planner.app.fleet import Status, pool_key
from planner.app.pulls import Pull
from planner.hosts.records import HostProfile
from planner.model.errors import InvalidInput
from planner.model.platform import Platform
from planner.model.record import dataclass
from planner.workloads.scheduling import POOL_LABELS, Placement

__all__ = [
    "Container",
    "ContainerProblem",
    "NodeGroup",
    "NodePool",
    "NodeResult",
    "Part",
    "PoolResult",
    "Skipped",
    "Workload",
    "WorkloadError",
    "egress_counts",
    "node_pools",
    "workload_allowances",
]


class WorkloadError(InvalidInput):
    """A manifest or compose file that is not what Kubernetes or Compose would accept."""


PullPolicy = Literal["Always", "IfNotPresent", "Never"]
PULL_POLICIES: tuple[PullPolicy, ...] = ("Always", "IfNotPresent", "Never")


def default_pull_policy(image: str) -> PullPolicy:
    """Kubernetes' default (``SetDefaults_Container``): ``Always`` for ``:latest`` or no tag
    (and no digest), else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


@dataclass(frozen=True)
class Container:
    """One container of a workload and the image it pulls."""

    name: str
    image: str
    """As written in the manifest (``nginx:1.27``)."""
    reference: str
    """The registry reference it means (``docker.io/library/nginx:1.27``)."""
    init: bool = False
    sidecar: bool = False
    """An init container with ``restartPolicy: Always`` (a Kubernetes sidecar)."""
    ephemeral: bool = False
    platform: Platform | None = None
    """Compose ``platform:``: the platform pulled, whatever the host's."""
    place: str = ""
    pull_policy: PullPolicy = "IfNotPresent"
    """``imagePullPolicy`` as written, else Kubernetes' default by tag (:func:`default_pull_policy`)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "reference": self.reference,
            "init": self.init,
        }
        if self.sidecar:
            out["sidecar"] = True
        if self.ephemeral:
            out["ephemeral"] = True
        if self.platform is not None:
            out["platform"] = str(self.platform)
        out["imagePullPolicy"] = self.pull_policy
        return out


@dataclass(frozen=True)
class Workload:
    """A Kubernetes object with a pod template, or a Compose service."""

    kind: str
    namespace: str
    """The Kubernetes namespace; for Compose, the project name."""
    name: str
    containers: tuple[Container, ...]
    placement: Placement
    place: str
    """``file:line:column`` of the object."""
    pod_spec: str = "spec"
    """Where the pod spec is (``spec.template.spec``): the suggested patch goes there."""
    replicas: int | None = 1
    """Pods at once (``spec.replicas``); None for a DaemonSet (one per eligible node)."""
    compose: bool = False
    owner: str | None = None
    """The id of the controller that owns it (``ownerReferences``), if any."""

    @property
    def id(self) -> str:
        """``KIND/NAMESPACE/NAME``: how reports and allowances name it."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "containers": [c.to_dict() for c in self.containers],
        }


@dataclass(frozen=True)
class Skipped:
    """A document that is not a workload, and why."""

    what: str
    place: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"what": self.what, "place": self.place, "reason": self.reason}


@dataclass(frozen=True)
class ContainerProblem:
    """Why one container (or, with no container, the whole pod) fails on one node."""

    container: Container | None
    status: Literal["no-image", "will-not-run", "broken"]
    reason: str

    @property
    def subject(self) -> str:
        """``container web (nginx:1.27)``, ``init container migrate (…)`` or ``the pod``."""
        c = self.container
        if c is None:
            return "the pod"
        return f"{'init container' if c.init else 'container'} {c.name} ({c.image})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": self.container.name if self.container else None,
            "image": self.container.image if self.container else None,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class NodeResult:
    """One workload on one eligible node."""

    host: HostProfile
    status: Status
    problems: tuple[ContainerProblem, ...]
    download_bytes: int | None
    """What the node downloads for the pod; None when no plans were made (unknown, not 0)."""
    pulls: tuple[Pull, ...]
    """One per container whose image was read, in the workload's order (those of the
    node's pool, :attr:`PoolResult.pulls`); none where the kubelet refuses the pod."""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "allowed")

    def to_dict(self) -> dict[str, Any]:
        body = _node_body(self.status, self.problems, self.download_bytes, self.pulls)
        return {"host": self.host.name, **body}


def _node_body(
    status: Status,
    problems: tuple[ContainerProblem, ...],
    download_bytes: int | None,
    pulls: tuple[Pull, ...],
) -> dict[str, Any]:
    """A node result's ``to_dict()`` but its host."""
    return {
        "status": status,
        "problems": [p.to_dict() for p in problems],
        "download_bytes": download_bytes,
        "endpoints": {p.image: p.resolution.endpoint or None for p in pulls},
        "pull_requests": {
            p.image: requests.to_dict() if (requests := p.requests) else None for p in pulls
        },
    }


def _names(workload: Workload) -> tuple[str, ...]:
    return (workload.id, f"{workload.namespace}/{workload.name}", workload.name)


def workload_allowances(
    values: Sequence[str], workloads: Sequence[Workload], hosts: Sequence[HostProfile]
) -> set[tuple[str, str]]:
    """``WORKLOAD:NODE`` patterns as (workload id, node name) pairs.

    WORKLOAD is ``KIND/NAMESPACE/NAME``, ``NAMESPACE/NAME`` or ``NAME``, NODE a
    node name; either may hold shell wildcards (``*``, ``?``, ``[…]``). A pattern
    that matches no workload or no node is an error (a typo would hide nothing).
    NODE ``*`` also accepts a workload that no node may run: ``(id, "*")``.
    """
    allowed: set[tuple[str, str]] = set()
    for value in values:
        pattern, sep, node = value.rpartition(":")
        if not sep or not pattern or not node:
            raise InvalidInput(f"{value!r}: expected WORKLOAD:NODE (either may be a * pattern)")
        chosen = [w for w in workloads if any(fnmatch.fnmatchcase(n, pattern) for n in _names(w))]
        if not chosen:
            raise InvalidInput(f"{value!r}: no workload matches {pattern!r}")
        nodes = [h.name for h in hosts if fnmatch.fnmatchcase(h.name, node)]
        if not nodes:
            raise InvalidInput(f"{value!r}: no node matches {node!r}")
        allowed |= {(w.id, n) for w in chosen for n in nodes}
        if node == "*":
            allowed |= {(w.id, "*") for w in chosen}
    return allowed


@dataclass(frozen=True)
class NodePool:
    """Nodes that get the same answers and schedule alike: one column of the matrix."""

    name: str
    hosts: tuple[HostProfile, ...]


def _pool_name(members: list[HostProfile]) -> str:
    labels = {label: members[0].labels.get(label) for label in POOL_LABELS}
    for label, value in labels.items():
        if value and all(h.labels.get(label) == value for h in members):
            return value
    return members[0].name + (f" (+{len(members) - 1})" if len(members) > 1 else "")


@dataclass(frozen=True)
class NodeGroup:
    """Eligible nodes of one pool with one result for a workload: every node of the
    group would get this :class:`NodeResult` (the kubelet's verdict on the pod and the
    allowances are what can tell the nodes of a pool apart)."""

    hosts: tuple[HostProfile, ...]
    """In host order."""
    status: Status
    problems: tuple[ContainerProblem, ...]
    download_bytes: int | None
    pulls: tuple[Pull, ...]
    egresses: tuple[tuple[str, int], ...]
    """(egress, nodes) over :attr:`hosts` (:func:`egress_counts`, counted once per run for
    the nodes of a :class:`Part`): what the rollout cost counts."""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "allowed")

    def result(self, host: HostProfile) -> NodeResult:
        """The result of one of its nodes."""
        return NodeResult(host, self.status, self.problems, self.download_bytes, self.pulls)

    def node_dict(self, host: HostProfile) -> dict[str, Any]:
        """``self.result(host).to_dict()``, its values shared by the group's nodes (made
        once: a report of every node writes them once per node, not per node and pull)."""
        return {"host": host.name, **self.node_body}

    @functools.cached_property
    def node_body(self) -> dict[str, Any]:
        """A node's ``to_dict()`` without its host: the same for each node of the group."""
        return _node_body(self.status, self.problems, self.download_bytes, self.pulls)


def egress_counts(hosts: Sequence[HostProfile]) -> tuple[tuple[str, int], ...]:
    """(egress, nodes) over ``hosts``, egresses in order of first appearance."""
    counts: dict[str, int] = {}
    for host in hosts:
        counts[host.egress] = counts.get(host.egress, 0) + 1
    return tuple(counts.items())


@dataclass(frozen=True, eq=False)
class Part:
    """Nodes of one pool that a placement cannot tell apart (in host order): a workload
    lands on all of them or none, so they are counted once per run, not per workload."""

    hosts: tuple[HostProfile, ...]
    egresses: tuple[tuple[str, int], ...]
    """(egress, nodes) over :attr:`hosts` (:func:`egress_counts`)."""


@dataclass(frozen=True)
class PoolResult:
    """One workload on one node pool: what a pod pulls on the pool's nodes, and the
    eligible nodes' results, a :class:`NodeGroup` per result.

    The nodes of a pool have one :class:`~planner.app.fleet.PullHost` (``pool_key``),
    so a pod gets the same answers on each of them: one pull per container, for
    the node's platform or the container's own (Compose ``platform:``), resolved
    once whatever the number of nodes (:func:`planner.workloads.check.check_workloads`).
    """

    pool: NodePool
    groups: tuple[NodeGroup, ...]
    """The pool's nodes the workload may land on, by result (none: it lands on none)."""
    problems: tuple[ContainerProblem, ...] = ()
    """The containers that fail on the pool's nodes the kubelet does not refuse the pod."""
    download_bytes: int = 0
    """What a node of the pool downloads for the pod: its containers' distinct blobs."""
    pulls: tuple[Pull, ...] = ()
    """One per container whose image was read, in the workload's order; none when
    no node of the pool runs the pod's containers (none eligible, or the kubelet refuses)."""

    @property
    def eligible(self) -> int:
        """How many of the pool's nodes the workload may land on."""
        return sum(len(g.hosts) for g in self.groups)

    @property
    def nodes(self) -> tuple[NodeResult, ...]:
        """Each eligible node's result, in host order (made on demand: a report that
        lists nodes asks for them)."""
        if len(self.groups) == 1:
            group = self.groups[0]
            return tuple(map(group.result, group.hosts))
        rank = {h.name: i for i, h in enumerate(self.pool.hosts)}
        pairs = sorted(
            ((h, g) for g in self.groups for h in g.hosts), key=lambda p: rank[p[0].name]
        )
        return tuple(g.result(h) for h, g in pairs)


def node_pools(hosts: Sequence[HostProfile]) -> tuple[NodePool, ...]:
    """Nodes grouped by pool label (:data:`POOL_LABELS`), answers (``pool_key``) and taints.

    Two groups of one pool label (a node of it tainted) are told apart by their
    first node's name.
    """
    groups: dict[tuple[object, ...], list[HostProfile]] = {}
    for host in hosts:
        label = next((host.labels[k] for k in POOL_LABELS if k in host.labels), None)
        groups.setdefault((label, pool_key(host), host.taints), []).append(host)
    names = [_pool_name(members) for members in groups.values()]
    return tuple(
        NodePool(name if names.count(name) == 1 else f"{name} ({members[0].name})", tuple(members))
        for name, members in zip(names, groups.values(), strict=True)
    )
