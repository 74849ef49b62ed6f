"""``kubectl get nodes -o json`` (or ``-o yaml``) as hosts: a List or NodeList of Nodes, or one Node.

Per node:

* ``name``: ``metadata.name``;
* platform: ``kubernetes.io/os`` and ``kubernetes.io/arch`` labels, else
  ``status.nodeInfo.operatingSystem`` and ``.architecture`` (the kubelet's GOOS
  and GOARCH: no variant, as containerd's own default has none);
* Windows build (``os.version``): the ``node.kubernetes.io/windows-build`` label
  (``10.0.20348``) and ``status.nodeInfo.kernelVersion`` (``10.0.20348.2849`` on
  Windows), the more precise of the two; they must agree. Windows nodes run
  process isolation (Kubernetes has no other);
* rules: ``status.nodeInfo.containerRuntimeVersion``, ``RUNTIME://VERSION`` with
  RUNTIME ``containerd``, ``cri-o`` or ``docker`` (dockershim and cri-dockerd:
  Docker's classic image store) and the release read by
  :func:`planner.hosts.records.release_number`;
* ``labels``: every label of ``metadata.labels``; ``taints``: every taint of
  ``spec.taints`` (key, value, effect; ``timeAdded`` is dropped).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.hosts.records import (
    TAINT_EFFECTS,
    FormatChecker,
    HostProfile,
    InvalidInventory,
    PlacedHost,
    Taint,
    agreed_build,
    lacks_windows_build,
    rules_at,
)
from planner.model.platform import Platform
from planner.model.windows import WindowsVersion
from planner.model.yamlfile import MarkedList, MarkedMap, describe
from planner.policy.ruleset import RuleSet

__all__ = ["FORMAT", "RUNTIMES", "read_nodes"]

FORMAT = "kubectl get nodes output"

RUNTIMES = {"containerd": "containerd", "cri-o": "cri-o", "docker": "docker"}
"""containerRuntimeVersion's RUNTIME -> rule family."""

OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
BUILD_LABEL = "node.kubernetes.io/windows-build"
UNSCHEDULABLE = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+", re.ASCII)


def _what(value: Any) -> str:
    return repr(value) if isinstance(value, str) else describe(value)


def read_nodes(path: Path, data: Any) -> list[PlacedHost]:
    """Every node of a parsed ``kubectl get nodes`` document, in its order."""
    return _Nodes(path).read(data)


class _Nodes:
    def __init__(self, path: Path) -> None:
        self.check = FormatChecker(path, InvalidInventory, FORMAT)
        self.rules: dict[str, RuleSet] = {}

    def read(self, data: Any) -> list[PlacedHost]:
        top = self.check.table(data, "(top level)")
        kind = top.get("kind")
        if kind == "Node":
            return [self.node(top, "")]
        if kind not in ("List", "NodeList"):
            raise self.check.fail(
                top,
                "kind",
                "kind",
                f"{_what(kind)} is not Node, NodeList or List: give the output of kubectl get nodes",
            )
        items = top.get("items")
        if not isinstance(items, MarkedList):
            raise self.check.fail(top, "items", "items", "must be a list of Nodes")
        if not items:
            raise self.check.fail(top, "items", "items", "has no nodes")
        out = []
        for i, item in enumerate(items):
            node = self.check.table(item, f"items[{i}]", parent=items, key=i)
            item_kind = node.get("kind", "Node" if kind == "NodeList" else None)
            if item_kind != "Node":
                raise self.check.fail(
                    node,
                    "kind" if "kind" in node else None,
                    f"items[{i}].kind",
                    f"{_what(item_kind)} is not a Node: give the output of kubectl get nodes",
                )
            out.append(self.node(node, f"items[{i}]"))
        return out

    def section(self, node: MarkedMap, key: str, where: str) -> MarkedMap:
        if key not in node:
            raise self.check.fail(node, None, where, f"missing {key!r}")
        return self.check.table(node[key], f"{where}.{key}", parent=node, key=key)

    def node(self, node: MarkedMap, prefix: str) -> PlacedHost:
        check = self.check
        meta = self.section(node, "metadata", prefix or "(top level)")
        dotted = f"{prefix}." if prefix else ""
        name = check.string(meta, "name", f"{dotted}metadata.name", non_empty=True)
        who = f"{prefix} ({name})" if prefix else f"node {name}"
        place = check.place(meta, "name", f"{who}: metadata.name")
        labels: dict[str, str] = {}
        if "labels" in meta:
            labels = check.str_map(
                meta["labels"], f"{who}: metadata.labels", parent=meta, key="labels"
            )
        spec = self.section(node, "spec", who) if "spec" in node else MarkedMap()
        status = self.section(node, "status", who)
        info = self.section(status, "nodeInfo", f"{who}: status")
        at = f"{who}: status.nodeInfo"

        def field(key: str, label: str) -> tuple[str, Any, Any]:
            if label in labels:
                return labels[label], meta["labels"], label
            return check.string(info, key, f"{at}.{key}", non_empty=True), info, key

        os_name, os_node, os_key = field("operatingSystem", OS_LABEL)
        arch, arch_node, arch_key = field("architecture", ARCH_LABEL)
        for value, node_of, key_of in ((os_name, os_node, os_key), (arch, arch_node, arch_key)):
            if not _COMPONENT.fullmatch(value):
                raise check.fail(
                    node_of,
                    key_of,
                    f"{who}: {key_of}",
                    f"{value!r} is not an OS or architecture name such as linux, amd64",
                )
        platform = Platform(os=os_name, architecture=arch)
        rules = self.runtime(info, at)
        windows = platform.os.lower() == "windows"
        if windows:
            platform = self.windows_build(platform, labels, meta, info, who)
        if lacks_windows_build(platform, rules):
            raise check.fail(
                status,
                "nodeInfo",
                at,
                f"a Windows node needs its build: neither the label {BUILD_LABEL} nor"
                f" kernelVersion gives one (rules {rules.name} choose Windows images by build)",
            )
        host = HostProfile(
            name=name,
            platform=platform,
            rules=rules,
            isolation="process" if windows else None,
            labels=MappingProxyType(labels),
            taints=self.taints(spec, who),
        )
        return PlacedHost(host, place)

    def runtime(self, info: MarkedMap, at: str) -> RuleSet:
        where = f"{at}.containerRuntimeVersion"
        text = self.check.string(info, "containerRuntimeVersion", where, non_empty=True)
        engine, sep, version = text.partition("://")
        if not sep:
            raise self.check.fail(
                info,
                "containerRuntimeVersion",
                where,
                f"{text!r} is not RUNTIME://VERSION, such as 'containerd://1.7.20'",
            )
        family = RUNTIMES.get(engine)
        if family is None:
            raise self.check.fail(
                info,
                "containerRuntimeVersion",
                where,
                f"{text!r}: no rules for runtime {engine!r}; known runtimes: {', '.join(RUNTIMES)}",
            )
        return rules_at(
            self.check,
            info,
            "containerRuntimeVersion",
            where,
            family,
            version,
            shown=text,
            cache=self.rules,
        )

    def windows_build(
        self,
        platform: Platform,
        labels: dict[str, str],
        meta: MarkedMap,
        info: MarkedMap,
        who: str,
    ) -> Platform:
        readings: list[str] = []
        if BUILD_LABEL in labels:
            label = labels[BUILD_LABEL]
            if WindowsVersion.parse(label) is None:
                raise self.check.fail(
                    meta["labels"],
                    BUILD_LABEL,
                    f"{who}: metadata.labels.{BUILD_LABEL}",
                    f"{label!r} is not a Windows build such as 10.0.20348",
                )
            readings.append(label)
        kernel = info.get("kernelVersion")
        if isinstance(kernel, str) and WindowsVersion.parse(kernel) is not None:
            readings.append(kernel)
        build, conflict = agreed_build(readings)
        if conflict is not None:
            raise self.check.fail(
                info,
                "kernelVersion",
                f"{who}: status.nodeInfo.kernelVersion",
                f"{kernel!r} is not the build of the label {BUILD_LABEL} {labels[BUILD_LABEL]!r}",
            )
        return platform.with_fields(os_version=build) if build else platform

    def taints(self, spec: MarkedMap, who: str) -> tuple[Taint, ...]:
        """``spec.taints``; a cordoned node (``spec.unschedulable``) also has the
        ``node.kubernetes.io/unschedulable:NoSchedule`` taint, as the scheduler's
        NodeUnschedulable filter treats it (the node controller adds that taint too)."""
        cordoned = (UNSCHEDULABLE,) if spec.get("unschedulable") is True else ()
        if spec.get("taints") is None:
            return cordoned
        items = spec["taints"]
        if not isinstance(items, MarkedList):
            raise self.check.fail(spec, "taints", f"{who}: spec.taints", "must be a list of taints")
        out = []
        for i, item in enumerate(items):
            where = f"{who}: spec.taints[{i}]"
            table = self.check.table(item, where, parent=items, key=i)
            key = self.check.string(table, "key", f"{where}.key", non_empty=True)
            value = self.check.string(table, "value", f"{where}.value", default="")
            effect = self.check.string(table, "effect", f"{where}.effect")
            if effect not in TAINT_EFFECTS:
                raise self.check.fail(
                    table,
                    "effect",
                    f"{where}.effect",
                    f"{effect!r} is not one of: {', '.join(TAINT_EFFECTS)}",
                )
            out.append(Taint(key, value, effect))
        return tuple(out) + tuple(t for t in cordoned if t not in out)
