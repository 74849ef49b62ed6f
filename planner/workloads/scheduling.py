"""Where Kubernetes may put a pod: the parts of scheduling that decide which nodes can run it.

A node is *eligible* for a pod when every one of these holds (the scheduler's
filter plugins, ``pkg/scheduler/framework/plugins``, and the kubelet's admission,
``pkg/kubelet/lifecycle/predicate.go``; Kubernetes 1.32):

* ``spec.nodeName``, when set, names the node. Such a pod is bound without the
  scheduler, so NoSchedule taints do not keep it off; the kubelet still admits it
  only if node selector and affinity match, and the taint manager evicts it from
  a NoExecute taint it does not tolerate.
* ``spec.nodeSelector``: every key is a label of the node with that value
  (``NodeAffinity`` plugin).
* ``requiredDuringSchedulingIgnoredDuringExecution`` node affinity: the node
  matches one of the ``nodeSelectorTerms`` (ORed); a term matches when all its
  ``matchExpressions`` (labels) and ``matchFields`` (``metadata.name`` only) do;
  an empty term matches nothing (``core/v1`` ``NodeSelectorTerm``). Operators:
  ``In`` (label present, value listed), ``NotIn`` (label absent, or value not
  listed), ``Exists``, ``DoesNotExist``, ``Gt``/``Lt`` (both values integers,
  compared; anything else does not match: ``labels.Requirement.Matches``). A
  term with a value that is not a valid label value (``NotIn [arm/v7]``), or a
  ``Gt``/``Lt`` value that is not an integer, does not parse
  (``labels.NewRequirement``) and matches no node, whatever its other
  expressions; the other terms still can (``LazyErrorNodeSelector.Match``,
  ``component-helpers/scheduling/corev1/nodeaffinity``).
* taints: every ``NoSchedule`` and ``NoExecute`` taint of the node is tolerated
  (``TaintToleration`` plugin; ``PreferNoSchedule`` only scores). A toleration
  tolerates a taint when its effect is empty or the same, its key is empty or
  the same, and ``operator: Exists``, or ``Equal`` (the default) with the same
  value (``core/v1`` ``Toleration.ToleratesTaint``).
* ``spec.os.name``, when set, is the node's OS: the kubelet rejects a pod for
  another OS (``PodOSNotSupported``). The scheduler does not look at it (the
  Pod OS section of the Kubernetes docs, through 1.36): without a
  ``kubernetes.io/os`` selector such a pod can be bound to a node of the other
  OS and fail there. :meth:`Placement.unfit` checks it last, as
  :class:`UnfitCode` ``OS``, so that a caller can count such a node as one the
  pod lands on and fails on (:mod:`planner.workloads.check` does).

Tolerations Kubernetes adds by itself: every pod tolerates
``node.kubernetes.io/not-ready`` and ``…/unreachable`` (``NoExecute``, for 300 s:
the ``DefaultTolerationSeconds`` admission plugin, which adds each one only when
no toleration of the pod has that key or an empty key with effect ``NoExecute``
or an empty effect, ``plugin/pkg/admission/defaulttolerationseconds``); a
DaemonSet's pods also
tolerate ``…/disk-pressure``, ``…/memory-pressure``, ``…/pid-pressure``,
``…/unschedulable`` (``NoSchedule``) and, with ``hostNetwork``,
``…/network-unavailable`` (``pkg/controller/daemon/util/daemonset_util.go``
``AddOrUpdateDaemonPodTolerations``).

Verdicts are data (:class:`Unfit`: a code and its values); :func:`unfit_reason`
is the one place they become prose.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from planner.hosts.records import HostProfile, Taint
from planner.model.record import dataclass, field
from planner.model.text import go_int

__all__ = [
    "ARCH_LABEL",
    "BUILD_LABEL",
    "DAEMON_TOLERATIONS",
    "DEFAULT_TOLERATIONS",
    "HOSTNAME_LABEL",
    "LEGACY_ARCH_LABEL",
    "LEGACY_OS_LABEL",
    "OPERATORS",
    "OS_LABEL",
    "POOL_LABELS",
    "Placement",
    "Requirement",
    "Term",
    "Toleration",
    "Unfit",
    "UnfitCode",
    "label_key_problem",
    "label_value_problem",
    "node_labels",
    "unfit_reason",
]

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
OPERATORS: tuple[Operator, ...] = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")

POOL_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
)
"""Node labels that name a node pool (EKS, Karpenter, GKE, AKS), first found wins."""

OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
LEGACY_OS_LABEL = "beta.kubernetes.io/os"
LEGACY_ARCH_LABEL = "beta.kubernetes.io/arch"
"""Deprecated since 1.14, still set by every kubelet, still in older charts' nodeSelectors."""
HOSTNAME_LABEL = "kubernetes.io/hostname"
BUILD_LABEL = "node.kubernetes.io/windows-build"


_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is not a label value (``validation.IsValidLabelValue``), or None.

    At most 63 characters: alphanumerics, ``-``, ``_`` and ``.``, beginning and
    ending with an alphanumeric; the empty string is valid.
    """
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not value.isascii() or _LABEL_VALUE.fullmatch(value) is None:
        return "must be alphanumerics, '-', '_' or '.', beginning and ending with an alphanumeric"
    return None


def label_key_problem(key: str) -> str | None:
    """Why ``key`` is not a label key (``validation.IsQualifiedName``), or None.

    ``[prefix/]name``: the name as a label value but not empty; the prefix a
    DNS subdomain (lower case, at most 253 characters).
    """
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or _DNS_SUBDOMAIN.fullmatch(prefix) is None):
        return "its prefix (before '/') must be a DNS subdomain such as example.com"
    if not name:
        return "its name (after any '/') must not be empty"
    problem = label_value_problem(name)
    return None if problem is None else f"its name (after any '/') {problem}"


_integer = go_int
"""Go's ``strconv.ParseInt(text, 10, 64)``: a decimal int64, or None (5,000 digits too)."""


@dataclass(frozen=True)
class Requirement:
    """One ``matchExpressions`` (or ``matchFields``) entry: ``key operator values``."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    @property
    def parses(self) -> bool:
        """Whether ``labels.NewRequirement`` accepts it: every value a label value,
        a ``Gt``/``Lt`` value an integer (else the term holding it matches nothing)."""
        if any(label_value_problem(v) is not None for v in self.values):
            return False
        if self.operator in ("Gt", "Lt"):
            return len(self.values) == 1 and _integer(self.values[0]) is not None
        return True

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if not present or len(self.values) != 1:
            return False
        have, want = _integer(labels[self.key]), _integer(self.values[0])
        if have is None or want is None:
            return False
        return have > want if self.operator == "Gt" else have < want

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "operator": self.operator}
        if self.values:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True)
class Term:
    """One ``nodeSelectorTerms`` entry: its requirements are ANDed; an empty term matches nothing."""

    expressions: tuple[Requirement, ...] = ()
    fields: tuple[Requirement, ...] = ()
    """``matchFields``: the only field is ``metadata.name``."""

    def matches(self, labels: Mapping[str, str], name: str) -> bool:
        if not self.expressions and not self.fields:
            return False
        if not all(r.parses for r in self.expressions):
            return False
        fields = {"metadata.name": name}
        return all(r.matches(labels) for r in self.expressions) and all(
            r.matches(fields) for r in self.fields
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.expressions:
            out["matchExpressions"] = [r.to_dict() for r in self.expressions]
        if self.fields:
            out["matchFields"] = [r.to_dict() for r in self.fields]
        return out


@dataclass(frozen=True)
class Toleration:
    """One entry of ``spec.tolerations``."""

    key: str = ""
    operator: Literal["Equal", "Exists"] = "Equal"
    value: str = ""
    effect: str = ""
    """'' (every effect), ``NoSchedule``, ``PreferNoSchedule`` or ``NoExecute``."""

    def tolerates(self, taint: Taint) -> bool:
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        return self.operator == "Exists" or self.value == taint.value


def _exists(key: str, effect: str) -> Toleration:
    return Toleration(f"node.kubernetes.io/{key}", "Exists", "", effect)


DEFAULT_TOLERATIONS = (_exists("not-ready", "NoExecute"), _exists("unreachable", "NoExecute"))
"""What the ``DefaultTolerationSeconds`` admission plugin adds to a pod (300 s), each
unless the pod has a toleration of its own for that key and ``NoExecute``."""


def _admission_defaults(own: tuple[Toleration, ...]) -> tuple[Toleration, ...]:
    """The :data:`DEFAULT_TOLERATIONS` the admission plugin adds to a pod with ``own``:
    one whose key is the default's (or empty) and whose effect is ``NoExecute`` (or
    empty) stands in for it, whatever its operator and value."""
    return tuple(
        default
        for default in DEFAULT_TOLERATIONS
        if not any(t.key in ("", default.key) and t.effect in ("", "NoExecute") for t in own)
    )


DAEMON_TOLERATIONS = (
    _exists("disk-pressure", "NoSchedule"),
    _exists("memory-pressure", "NoSchedule"),
    _exists("pid-pressure", "NoSchedule"),
    _exists("unschedulable", "NoSchedule"),
)
"""What the DaemonSet controller adds to its pods (besides :data:`DEFAULT_TOLERATIONS`)."""

HOST_NETWORK_DAEMON_TOLERATION = _exists("network-unavailable", "NoSchedule")


class UnfitCode(enum.Enum):
    """Why a node is not eligible for a pod."""

    NODE_NAME = "node-name"
    """``spec.nodeName`` names another node (value: ``name``)."""
    NODE_SELECTOR = "node-selector"
    """A ``nodeSelector`` label is missing or has another value (``key``, ``want``, ``have``)."""
    AFFINITY = "node-affinity"
    """No required node affinity term matches (``terms``: how many)."""
    TAINT = "taint"
    """A taint the pod does not tolerate (``taint``)."""
    OS = "os"
    """``spec.os.name`` is not the node's OS (``want``, ``have``)."""


@dataclass(frozen=True)
class Unfit:
    """Why a node is not eligible: a code and its values (hashable: nodes are grouped by it)."""

    code: UnfitCode
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: UnfitCode, **args: Any) -> Unfit:
        return cls(code, tuple(args.items()))

    def __getitem__(self, key: str) -> Any:
        return dict(self.args)[key]


def unfit_reason(unfit: Unfit) -> str:
    """The one-line reason a node is not eligible."""
    a = unfit
    if unfit.code is UnfitCode.NODE_NAME:
        return f"spec.nodeName is {a['name']!r}"
    if unfit.code is UnfitCode.NODE_SELECTOR:
        have = "not set" if a["have"] is None else repr(a["have"])
        return f"nodeSelector {a['key']}={a['want']!r}: the node's label is {have}"
    if unfit.code is UnfitCode.AFFINITY:
        return "no required node affinity term matches the node's labels"
    if unfit.code is UnfitCode.TAINT:
        return f"taint {a['taint']} is not tolerated"
    return f"spec.os.name is {a['want']!r}, the node runs {a['have']!r}"


@dataclass(frozen=True)
class Placement:
    """What in a pod spec decides where it may run (see the module docstring)."""

    node_selector: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    terms: tuple[Term, ...] | None = None
    """Required node affinity terms (ORed); None when the pod has none."""
    tolerations: tuple[Toleration, ...] = ()
    """As written in the pod spec (the ones Kubernetes adds are in :meth:`tolerated`)."""
    node_name: str | None = None
    os_name: str | None = None
    daemon: bool = False
    """A DaemonSet's pod: it runs on every eligible node, with the DaemonSet tolerations."""
    host_network: bool = False

    @property
    def all_tolerations(self) -> tuple[Toleration, ...]:
        added: tuple[Toleration, ...]
        if self.daemon:  # AddOrUpdateDaemonPodTolerations: always, unconditionally
            added = DEFAULT_TOLERATIONS + DAEMON_TOLERATIONS
            if self.host_network:
                added += (HOST_NETWORK_DAEMON_TOLERATION,)
        else:
            added = _admission_defaults(self.tolerations)
        return self.tolerations + added

    def unfit(self, node: HostProfile, labels: Mapping[str, str]) -> Unfit | None:
        """Why ``node`` (with ``labels``: :func:`node_labels`) cannot run the pod; None if it can."""
        if self.node_name is not None and self.node_name != node.name:
            return Unfit.of(UnfitCode.NODE_NAME, name=self.node_name)
        for key, want in self.node_selector.items():
            if labels.get(key) != want:
                return Unfit.of(UnfitCode.NODE_SELECTOR, key=key, want=want, have=labels.get(key))
        if self.terms is not None and not any(t.matches(labels, node.name) for t in self.terms):
            return Unfit.of(UnfitCode.AFFINITY, terms=len(self.terms))
        tolerations = self.all_tolerations
        bound = self.node_name is not None  # no scheduler: only NoExecute matters
        for taint in node.taints:
            if taint.effect == "PreferNoSchedule" or (bound and taint.effect != "NoExecute"):
                continue
            if not any(t.tolerates(taint) for t in tolerations):
                return Unfit.of(UnfitCode.TAINT, taint=str(taint))
        if self.os_name is not None:
            have = labels.get(OS_LABEL, node.platform.os.lower())
            if have != self.os_name:
                return Unfit.of(UnfitCode.OS, want=self.os_name, have=have)
        return None

    def label_keys(self) -> frozenset[str]:
        """The node labels the verdict can depend on (for sharing it between nodes)."""
        keys = set(self.node_selector)
        for term in self.terms or ():
            keys.update(r.key for r in term.expressions)
        if self.os_name is not None:
            keys.add(OS_LABEL)
        return frozenset(keys)

    @property
    def by_name(self) -> bool:
        """Whether the verdict depends on the node's name (``nodeName``, ``matchFields``)."""
        return self.node_name is not None or any(t.fields for t in self.terms or ())


def node_labels(node: HostProfile) -> Mapping[str, str]:
    """The node's labels, with the well-known ones the kubelet sets filled in when missing.

    A kubelet labels its node ``kubernetes.io/os`` and ``kubernetes.io/arch`` (GOOS
    and GOARCH; also as the deprecated ``beta.kubernetes.io/os`` and
    ``beta.kubernetes.io/arch``), ``kubernetes.io/hostname`` and, on Windows,
    ``node.kubernetes.io/windows-build`` (``major.minor.build``); a host profile
    written by hand usually has none of them, so they come from its platform
    (the architecture as its rule set normalizes it: ``aarch64`` is ``arm64``;
    ``Kubelet.initialNode``, ``pkg/kubelet/kubelet_node_status.go``, and
    ``getOSSpecificLabels`` in ``kubelet_node_status_windows.go``).
    """
    labels = dict(node.labels)
    platform = node.rules.host_normalizer(node.platform)
    labels.setdefault(OS_LABEL, platform.os.lower())
    labels.setdefault(ARCH_LABEL, platform.architecture.lower())
    labels.setdefault(LEGACY_OS_LABEL, labels[OS_LABEL])
    labels.setdefault(LEGACY_ARCH_LABEL, labels[ARCH_LABEL])
    labels.setdefault(HOSTNAME_LABEL, node.name)
    if node.is_windows and node.platform.os_version:
        build = ".".join(node.platform.os_version.split(".")[:3])
        labels.setdefault(BUILD_LABEL, build)
    return MappingProxyType(labels)
