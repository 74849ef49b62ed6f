"""Workloads from Kubernetes manifests: what ``kubectl apply -f`` would create, as data.

A file (or standard input: ``helm template``, ``kustomize build``, ``kubectl get
… -o yaml``) holds YAML documents separated by ``---``, or JSON; a ``List`` (or
any ``…List`` kind) holds ``items``. Each document with a pod template is a
:class:`Workload`:

==========================================================  ====================================
kind                                                        pod spec at
==========================================================  ====================================
Pod                                                         ``spec``
Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,        ``spec.template.spec``
ReplicationController
CronJob                                                     ``spec.jobTemplate.spec.template.spec``
any other kind with a pod template (Argo Rollout,           ``spec.template.spec`` (when it has
OpenKruise CloneSet, …)                                     ``containers``)
==========================================================  ====================================

Every other document (Service, ConfigMap, a PodTemplate, a CRD, …) is listed as
:class:`Skipped`, with the reason, and is not an error. In a pod spec:
``containers``, ``initContainers`` (``restartPolicy: Always`` makes one a sidecar)
and ``ephemeralContainers``, each with its ``image``; and what decides where the
pod may run (:class:`~planner.workloads.scheduling.Placement`). A workload whose
metadata has no namespace is in ``default``, as ``kubectl apply`` puts it with
the default context.

Every problem is one line, ``file:line:column: KIND NAMESPACE/NAME: key.path: problem``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from planner.model.errors import InvalidReference
from planner.model.record import dataclass
from planner.model.reference import Reference
from planner.model.yamlfile import Checker, MarkedList, MarkedMap, describe
from planner.workloads.model import (
    PULL_POLICIES,
    Container,
    Skipped,
    Workload,
    WorkloadError,
    default_pull_policy,
)
from planner.workloads.scheduling import (
    OPERATORS,
    Placement,
    Requirement,
    Term,
    Toleration,
    label_key_problem,
    label_value_problem,
)

__all__ = ["POD_SPEC_AT", "read_kubernetes"]

_TEMPLATE = ("spec", "template", "spec")
POD_SPEC_AT: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": _TEMPLATE,
    "ReplicaSet": _TEMPLATE,
    "StatefulSet": _TEMPLATE,
    "DaemonSet": _TEMPLATE,
    "Job": _TEMPLATE,
    "ReplicationController": _TEMPLATE,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
"""Where each built-in workload kind keeps its pod spec (custom kinds: ``spec.template.spec``)."""

_CONTAINER_LISTS = (
    ("containers", False, False),
    ("initContainers", True, False),
    ("ephemeralContainers", False, True),
)


@dataclass
class _Document:
    """One Kubernetes object being read, for messages."""

    check: Checker
    node: MarkedMap
    kind: str
    who: str

    def fail(self, node: Any, key: Any, where: str, problem: str) -> WorkloadError:
        error = self.check.fail(node, key, f"{self.who}: {where}", problem)
        assert isinstance(error, WorkloadError)
        return error

    def strings(self, node: Any, where: str, *, parent: Any, key: Any) -> tuple[str, ...]:
        if not isinstance(node, list) or not all(isinstance(v, str) for v in node):
            raise self.fail(parent, key, where, f"must be a list of strings, not {describe(node)}")
        return tuple(node)

    def mapping(self, node: Any, where: str, *, parent: Any, key: Any) -> MarkedMap:
        if not isinstance(node, MarkedMap):
            raise self.fail(parent, key, where, f"must be a mapping, not {describe(node)}")
        return node

    def items(self, node: Any, where: str, *, parent: Any, key: Any) -> MarkedList:
        if node is None:
            return MarkedList()
        if not isinstance(node, MarkedList):
            raise self.fail(parent, key, where, f"must be a list, not {describe(node)}")
        return node


def read_kubernetes(path: Path, documents: Iterable[Any]) -> tuple[list[Workload], list[Skipped]]:
    """The workloads and the skipped documents of one parsed stream, in order."""
    check = Checker(path, WorkloadError)
    workloads: list[Workload] = []
    skipped: list[Skipped] = []
    for index, document in enumerate(documents, 1):
        _read_object(check, document, f"document {index}", workloads, skipped)
    return workloads, skipped


def _place(check: Checker, node: Any) -> str:
    line, column = check.position(node, None)
    return f"{check.path}:{line}:{column}"


def _read_object(
    check: Checker, node: Any, where: str, workloads: list[Workload], skipped: list[Skipped]
) -> None:
    if node is None:
        return  # an empty document: '---' twice, or only comments
    if not isinstance(node, MarkedMap):
        skipped.append(Skipped(where, _place(check, node), f"{describe(node)}, not an object"))
        return
    kind = node.get("kind")
    if not isinstance(kind, str) or not kind:
        skipped.append(Skipped(where, _place(check, node), "no kind: not a Kubernetes object"))
        return
    if kind == "List" or (kind.endswith("List") and "items" in node):
        items = node.get("items")
        if items is None:  # `kind: List` with no items: nothing to apply
            return
        if not isinstance(items, MarkedList):
            raise check.fail(node, "items", f"{where}: {kind}.items", "must be a list")
        for i, item in enumerate(items):
            _read_object(check, item, f"{where}: {kind}.items[{i}]", workloads, skipped)
        return
    meta = node.get("metadata")
    meta = meta if isinstance(meta, MarkedMap) else MarkedMap()
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        name = meta.get("generateName") if isinstance(meta.get("generateName"), str) else ""
    given = meta.get("namespace")
    namespace = given if isinstance(given, str) and given else "default"
    who = f"{kind} {namespace}/{name or '(no name)'}"
    at = POD_SPEC_AT.get(kind, _TEMPLATE)
    spec: Any = node
    for step in at:
        spec = spec.get(step) if isinstance(spec, MarkedMap) else None
    custom = kind not in POD_SPEC_AT
    if custom and not (isinstance(spec, MarkedMap) and "containers" in spec):
        reason = f"{kind} has no pod template"
        if kind == "PodTemplate":
            reason = "a PodTemplate starts no pod by itself"
        skipped.append(Skipped(who, _place(check, node), reason))
        return
    hook = helm_test(meta)
    if hook:
        skipped.append(Skipped(who, _place(check, node), hook))
        return
    doc = _Document(check, node, kind, who)
    if not name:
        problem = "missing: every object has a name"
        if "name" in meta:
            problem = f"must be a non-empty string, not {describe(meta['name'])}"
        raise doc.fail(
            meta if "name" in meta else node,
            "name" if "name" in meta else "metadata",
            "metadata.name",
            problem,
        )
    if not isinstance(spec, MarkedMap):
        raise doc.fail(node, None, ".".join(at), "missing: a workload has a pod spec here")
    where = ".".join(at)
    containers = _containers(doc, spec, where)
    workloads.append(
        Workload(
            kind=kind,
            namespace=namespace,
            name=name,
            containers=tuple(containers),
            placement=_placement(doc, spec, where),
            place=_place(check, node),
            pod_spec=where,
            replicas=replicas(node, kind),
            owner=owner(meta, namespace),
        )
    )


def _containers(doc: _Document, spec: MarkedMap, where: str) -> list[Container]:
    out: list[Container] = []
    seen: set[str] = set()
    for key, init, ephemeral in _CONTAINER_LISTS:
        if key not in spec:
            continue
        items = doc.items(spec[key], f"{where}.{key}", parent=spec, key=key)
        for i, item in enumerate(items):
            at = f"{where}.{key}[{i}]"
            entry = doc.mapping(item, at, parent=items, key=i)
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                raise doc.fail(entry, "name" if "name" in entry else None, f"{at}.name", "missing")
            if name in seen:  # ValidatePodSpec: container names are unique across the lists
                raise doc.fail(entry, "name", f"{at}.name", f"duplicate container name {name!r}")
            seen.add(name)
            image = entry.get("image")
            if not isinstance(image, str) or not image.strip():
                problem = "missing" if image is None else f"must be a string, not {describe(image)}"
                raise doc.fail(entry, "image" if "image" in entry else None, f"{at}.image", problem)
            reference = _reference(doc, entry, f"{at}.image", image.strip())
            sidecar = init and entry.get("restartPolicy") == "Always"
            policy = entry.get("imagePullPolicy", default_pull_policy(image.strip()))
            if policy not in PULL_POLICIES:
                raise doc.fail(
                    entry,
                    "imagePullPolicy",
                    f"{at}.imagePullPolicy",
                    f"{policy!r} is not one of: {', '.join(PULL_POLICIES)}",
                )
            out.append(
                Container(
                    name=name,
                    image=image.strip(),
                    reference=reference,
                    init=init,
                    sidecar=sidecar,
                    ephemeral=ephemeral,
                    place=_place(doc.check, entry),
                    pull_policy=policy,
                )
            )
    if not any(not c.init and not c.ephemeral for c in out):
        raise doc.fail(
            spec, None, f"{where}.containers", "missing: a pod has at least one container"
        )
    return out


def _reference(doc: _Document, node: MarkedMap, where: str, image: str) -> str:
    """The image as the registry reference the kubelet pulls (Docker's normalization)."""
    try:
        return Reference.parse(image).pulled()
    except InvalidReference as exc:
        raise doc.fail(
            node, "image", where, f"{image!r} is not a valid image reference: {exc}"
        ) from None


def _placement(doc: _Document, spec: MarkedMap, where: str) -> Placement:
    selector: dict[str, str] = {}
    if spec.get("nodeSelector") is not None:
        table = doc.mapping(
            spec["nodeSelector"], f"{where}.nodeSelector", parent=spec, key="nodeSelector"
        )
        for key, value in table.items():
            at = f"{where}.nodeSelector.{key}"
            if not isinstance(key, str) or not isinstance(value, str):
                raise doc.fail(table, key, at, "labels and values must be strings (quote numbers)")
            _check_label(doc, table, key, at, key, value)
            selector[key] = value
    node_name = spec.get("nodeName")
    if node_name is not None and not isinstance(node_name, str):
        raise doc.fail(
            spec, "nodeName", f"{where}.nodeName", f"must be a string, not {describe(node_name)}"
        )
    os_name = None
    if spec.get("os") is not None:  # validation.validateOS: a name, linux or windows
        table = doc.mapping(spec["os"], f"{where}.os", parent=spec, key="os")
        os_name = table.get("name")
        if os_name not in ("linux", "windows"):
            problem = "missing" if os_name is None else f"{os_name!r} is not one of: linux, windows"
            raise doc.fail(table, "name" if "name" in table else None, f"{where}.os.name", problem)
    return Placement(
        node_selector=selector,
        terms=_terms(doc, spec, where),
        tolerations=_tolerations(doc, spec, where),
        node_name=node_name or None,
        os_name=os_name,
        daemon=doc.kind == "DaemonSet",
        host_network=spec.get("hostNetwork") is True,
    )


def _terms(doc: _Document, spec: MarkedMap, where: str) -> tuple[Term, ...] | None:
    """``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms``."""
    node: Any = spec
    at = where
    for key in ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"):
        if not isinstance(node, MarkedMap) or node.get(key) is None:
            return None
        node, at = doc.mapping(node[key], f"{at}.{key}", parent=node, key=key), f"{at}.{key}"
    items = node.get("nodeSelectorTerms")
    at = f"{at}.nodeSelectorTerms"
    if not isinstance(items, MarkedList) or not items:
        raise doc.fail(node, "nodeSelectorTerms", at, "must be a non-empty list of terms")
    terms = []
    for i, item in enumerate(items):
        term = doc.mapping(item, f"{at}[{i}]", parent=items, key=i)
        expressions = _requirements(doc, term, "matchExpressions", f"{at}[{i}]")
        fields = _requirements(doc, term, "matchFields", f"{at}[{i}]")
        for j, field in enumerate(fields):  # ValidateNodeFieldSelectorRequirement
            if field.key != "metadata.name" or field.operator not in ("In", "NotIn"):
                raise doc.fail(
                    term["matchFields"],
                    j,
                    f"{at}[{i}].matchFields[{j}]",
                    "only metadata.name with In or NotIn is supported by Kubernetes",
                )
            if len(field.values) != 1:
                raise doc.fail(
                    term["matchFields"][j],
                    "values",
                    f"{at}[{i}].matchFields[{j}].values",
                    f"must be exactly one node name, not {len(field.values)}"
                    " (one term per node to allow several)",
                )
        terms.append(Term(expressions, fields))
    return tuple(terms)


def _requirements(doc: _Document, term: MarkedMap, key: str, where: str) -> tuple[Requirement, ...]:
    out = []
    items = doc.items(term.get(key), f"{where}.{key}", parent=term, key=key)
    for j, item in enumerate(items):
        at = f"{where}.{key}[{j}]"
        entry = doc.mapping(item, at, parent=items, key=j)
        label, operator = entry.get("key"), entry.get("operator")
        if not isinstance(label, str) or not label:
            raise doc.fail(entry, "key" if "key" in entry else None, f"{at}.key", "missing")
        if key == "matchExpressions":
            _check_label(doc, entry, "key", f"{at}.key", label, None)
        if operator not in OPERATORS:
            raise doc.fail(
                entry,
                "operator",
                f"{at}.operator",
                f"{operator!r} is not one of: {', '.join(OPERATORS)}",
            )
        values = doc.strings(
            entry.get("values", []) or [], f"{at}.values", parent=entry, key="values"
        )
        if operator in ("In", "NotIn") and not values:
            raise doc.fail(entry, "values", f"{at}.values", f"{operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            raise doc.fail(entry, "values", f"{at}.values", f"{operator} takes no values")
        if operator in ("Gt", "Lt") and len(values) != 1:
            raise doc.fail(
                entry, "values", f"{at}.values", f"{operator} takes exactly one integer value"
            )
        out.append(Requirement(label, operator, values))
    return tuple(out)


def _check_label(
    doc: _Document, node: Any, key: Any, where: str, label: str | None, value: str | None
) -> None:
    """A label key and value as the API server validates them (``ValidateLabels``)."""
    problem = None if label is None else label_key_problem(label)
    if problem is not None:
        raise doc.fail(node, key, where, f"{label!r} is not a label key: {problem}")
    problem = None if value is None else label_value_problem(value)
    if problem is not None:
        raise doc.fail(node, key, where, f"{value!r} is not a label value: {problem}")


def _tolerations(doc: _Document, spec: MarkedMap, where: str) -> tuple[Toleration, ...]:
    out = []
    items = doc.items(
        spec.get("tolerations"), f"{where}.tolerations", parent=spec, key="tolerations"
    )
    for i, item in enumerate(items):
        at = f"{where}.tolerations[{i}]"
        entry = doc.mapping(item, at, parent=items, key=i)
        got = {}
        for name in ("key", "operator", "value", "effect"):
            got[name] = "" if entry.get(name) is None else entry[name]
            if not isinstance(got[name], str):
                raise doc.fail(
                    entry, name, f"{at}.{name}", f"must be a string, not {describe(got[name])}"
                )
        key, value, effect = got["key"], got["value"], got["effect"]
        operator = got["operator"] or "Equal"
        if operator not in ("Equal", "Exists"):
            raise doc.fail(
                entry, "operator", f"{at}.operator", f"{operator!r} is not one of: Equal, Exists"
            )
        if effect not in ("", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise doc.fail(
                entry,
                "effect",
                f"{at}.effect",
                f"{effect!r} is not one of: NoSchedule, PreferNoSchedule, NoExecute",
            )
        if not key and operator != "Exists":
            raise doc.fail(
                entry, None, at, "an empty key needs operator: Exists (it tolerates every taint)"
            )
        if operator == "Exists" and value:
            raise doc.fail(entry, "value", f"{at}.value", "operator Exists takes no value")
        if key:  # ValidateTolerations: a label key, and an Equal value a label value
            _check_label(doc, entry, "key", f"{at}.key", key, None)
        if value:
            _check_label(doc, entry, "value", f"{at}.value", None, value)
        out.append(Toleration(key, "Exists" if operator == "Exists" else "Equal", value, effect))
    return tuple(out)


# --------------------------------------------------------------------------- rollout metadata
# What an object says about its rollout besides its pod spec: replicas, owner, Helm hooks.


def replicas(node: MarkedMap, kind: str) -> int | None:
    """How many pods run at once: ``spec.replicas`` (default 1), None for a DaemonSet."""
    if kind == "DaemonSet":
        return None
    spec = node.get("spec")
    value = spec.get("replicas", 1) if isinstance(spec, MarkedMap) and kind != "Pod" else 1
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def helm_test(meta: MarkedMap) -> str:
    """Why a Helm test hook is not part of a rollout ('' for anything else).

    ``helm template`` prints the chart's test hooks (annotation ``helm.sh/hook:
    test``, or ``test-success`` before Helm 3) with the rest; they run only on
    ``helm test``.
    """
    annotations = meta.get("annotations")
    hook = annotations.get("helm.sh/hook") if isinstance(annotations, MarkedMap) else None
    if not isinstance(hook, str):
        return ""
    if {h.strip() for h in hook.split(",")} & {"test", "test-success"}:
        return "a Helm test hook: it runs on helm test, not in a rollout"
    return ""


def owner(meta: MarkedMap, namespace: str) -> str | None:
    """``KIND/NAMESPACE/NAME`` of the controller that owns the object (``ownerReferences``
    with ``controller: true``: a Deployment's ReplicaSet, a ReplicaSet's Pod), or None."""
    owners = meta.get("ownerReferences")
    for owner in owners if isinstance(owners, MarkedList) else ():
        if isinstance(owner, MarkedMap) and owner.get("controller") is True:
            kind, name = owner.get("kind"), owner.get("name")
            if isinstance(kind, str) and isinstance(name, str):
                return f"{kind}/{namespace}/{name}"
    return None
