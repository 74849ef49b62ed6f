"""A fix for a failing workload: where it can run, or what must be built.

:func:`suggest` looks at the workload's eligible nodes: those where every
container has an image that runs (*good*) and the others (*bad*). When some
node is good, it returns the required node affinity under which only good
nodes stay eligible, built as the Multiarch Tuning Operator builds its
``kubernetes.io/arch`` term, but from the pick each node's engine release makes
(variants, Windows builds): one ``In`` expression per label that keeps a bad
node off, taken in this order:

1. ``kubernetes.io/os``, ``kubernetes.io/arch``, ``node.kubernetes.io/windows-build``;
2. another label every good node has (a node pool label, a CPU feature label),
   the one that keeps the most bad nodes off (``arm/v6`` and ``arm/v7`` nodes
   share ``kubernetes.io/arch=arm``);
3. ``kubernetes.io/hostname``, the good nodes' hostname labels (which need not be
   their names), when nothing else separates them.

The expressions are added to each of the workload's own terms (terms are
ORed, so each must keep bad nodes off), or make one term when it has none.
Whatever the affinity, it lists for each failing container the platforms its
image lacks (the bad nodes' platforms): what must be built for the workload
to run there too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.hosts.records import HostProfile
from planner.model.record import dataclass
from planner.workloads.model import NodeGroup, Workload
from planner.workloads.scheduling import (
    ARCH_LABEL,
    BUILD_LABEL,
    HOSTNAME_LABEL,
    OS_LABEL,
    POOL_LABELS,
    Requirement,
    Term,
)

__all__ = ["Build", "Suggestion", "suggest"]

_WELL_KNOWN = (OS_LABEL, ARCH_LABEL, BUILD_LABEL)


@dataclass(frozen=True)
class Build:
    """An image that needs more platforms for its container to run on every eligible node."""

    container: str
    image: str
    platforms: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"container": self.container, "image": self.image, "platforms": list(self.platforms)}


@dataclass(frozen=True)
class Suggestion:
    """The affinity that keeps the workload on nodes where it runs, and the builds it lacks."""

    terms: tuple[Term, ...] | None
    """The new required node affinity terms; None when no eligible node runs it."""
    keeps: tuple[str, ...]
    """The nodes that stay eligible under :attr:`terms`."""
    builds: tuple[Build, ...]

    def affinity(self) -> dict[str, Any] | None:
        """The pod spec's ``affinity`` with the new terms (the rest of it unchanged)."""
        if self.terms is None:
            return None
        required = {"nodeSelectorTerms": [t.to_dict() for t in self.terms]}
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}

    def patch(self, pod_spec: str) -> dict[str, Any] | None:
        """A strategic merge patch (for ``kubectl patch``) setting the affinity at
        ``pod_spec`` (``spec.template.spec``); ``nodeSelectorTerms`` is replaced whole."""
        affinity = self.affinity()
        if affinity is None:
            return None
        patch: dict[str, Any] = {"affinity": affinity}
        for key in reversed(pod_spec.split(".")):
            patch = {key: patch}
        return patch


def _platform(host: HostProfile) -> str:
    return host.rules.host_normalizer(host.platform).describe()


def _separating(
    good: Sequence[HostProfile],
    bad: Sequence[HostProfile],
    labels: Mapping[str, Mapping[str, str]],
) -> tuple[Requirement, ...]:
    """``In`` expressions that every good node meets and each bad node fails one of."""
    remaining = [h.name for h in bad]
    expressions: list[Requirement] = []

    def keeps_off(key: str) -> tuple[tuple[str, ...], set[str]]:
        values = tuple(sorted({labels[h.name][key] for h in good}))
        return values, {name for name in remaining if labels[name].get(key) not in values}

    for key in _WELL_KNOWN:
        if remaining and all(key in labels[h.name] for h in good):
            values, off = keeps_off(key)
            if off:
                expressions.append(Requirement(key, "In", values))
                remaining = [name for name in remaining if name not in off]
    common_labels = set.intersection(*(set(labels[h.name]) for h in good))
    while remaining:
        common = set(common_labels)
        common -= {HOSTNAME_LABEL, *_WELL_KNOWN, *(e.key for e in expressions)}
        scored = []
        for key in sorted(common):
            values, off = keeps_off(key)
            if off:
                pool = key in POOL_LABELS
                scored.append((-len(off), not pool, len(values), key, values, off))
        if not scored:  # the kubelet's hostname label (--hostname-override), else the name
            names = tuple(sorted({labels[h.name].get(HOSTNAME_LABEL, h.name) for h in good}))
            expressions.append(Requirement(HOSTNAME_LABEL, "In", names))
            break
        _, _, _, key, values, off = min(scored)
        expressions.append(Requirement(key, "In", values))
        remaining = [name for name in remaining if name not in off]
    return tuple(expressions)


def suggest(
    workload: Workload,
    eligible: Sequence[HostProfile],
    groups: Sequence[NodeGroup],
    labels: Mapping[str, Mapping[str, str]],
) -> Suggestion:
    """The :class:`Suggestion` for a failing workload, from its ``eligible`` nodes (in host
    order) and their results (``groups``; see the module docstring)."""
    group_of = {h.name: (number, g) for number, g in enumerate(groups) for h in g.hosts}
    good = [h for h in eligible if group_of[h.name][1].ok]
    bad = [h for h in eligible if not group_of[h.name][1].ok]
    builds: dict[tuple[str, str], dict[str, None]] = {}
    seen: set[tuple[int, str]] = set()
    for host in eligible:
        (number, group), platform = group_of[host.name], _platform(host)
        if (number, platform) in seen:
            continue  # a node like one before it: the same problems on the same platform
        seen.add((number, platform))
        for problem in group.problems:
            if problem.container is None:
                continue  # the kubelet refuses the pod: no image to build
            key = (problem.container.name, problem.container.image)
            builds.setdefault(key, {})[platform] = None
    listed = tuple(
        Build(name, image, tuple(platforms)) for (name, image), platforms in builds.items()
    )
    if not good or not bad or workload.compose:
        return Suggestion(None, tuple(h.name for h in good), listed)
    expressions = _separating(good, bad, labels)
    own = workload.placement.terms
    terms = (
        tuple(Term(t.expressions + expressions, t.fields) for t in own)
        if own
        else (Term(expressions),)
    )
    return Suggestion(terms, tuple(h.name for h in good), listed)
