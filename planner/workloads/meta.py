"""What an object says about its rollout besides its pod spec: replicas, owner, Helm hooks."""

from __future__ import annotations

from planner.model.yamlfile import MarkedList, MarkedMap

__all__ = ["helm_test", "owner", "replicas"]


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
