"""A workload check holds one result per group of nodes alike, not one per node
(issue 23: the cost follows distinct answers), and every report that lists nodes
gets each node's result as before.

The example cluster's 6 nodes, each copied 40 times (its own name and hostname
label), on the real registry of the example images (tests/shop.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

import planner
from planner.report.formats import render_pieces
from tests.shop import Shop
from tests.test_workloads import NODES

COPIES = 40


def _nodes(path: Path) -> list[str]:
    """The example cluster, each node ``COPIES`` times, in turn (a, b, c, a, b, c, ...)."""
    items = json.loads(NODES.read_text())["items"]
    out = []
    for copy_number in range(COPIES):
        for item in items:
            node = copy.deepcopy(item)
            name = f"{item['metadata']['name']}-{copy_number}"
            node["metadata"]["name"] = name
            node["metadata"]["labels"]["kubernetes.io/hostname"] = name
            out.append(node)
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": out}))
    return [n["metadata"]["name"] for n in out]


def _workloads(shop: Shop, named: str) -> str:
    def pod(name: str, image: str, **spec: Any) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": shop.ref(image)}], **spec},
        }

    return yaml.safe_dump_all(
        [
            pod("web", "shop/web:1.0", tolerations=[{"operator": "Exists"}]),
            pod("migrate", "shop/migrate:1.0", nodeSelector={"kubernetes.io/os": "linux"}),
            pod("ledger", "shop/ledger-win:2022", os={"name": "windows"}),
            pod("pinned", "shop/report:1.0", nodeName=named),
            pod("agent", "shop/log-agent:2.1", tolerations=[{"operator": "Exists"}]),
        ]
    )


def test_results_are_per_group_and_expand_to_every_node(shop: Shop, tmp_path: Path) -> None:
    names = _nodes(tmp_path / "nodes.json")
    (tmp_path / "w.yaml").write_text(_workloads(shop, names[7]))
    hosts = planner.load_inventory(tmp_path / "nodes.json")
    manifests = planner.read_manifests([tmp_path / "w.yaml"])
    allowed = {("Pod/shop/migrate", n) for n in names[2:60]}  # some failing nodes, some not
    report = planner.check_workloads(
        manifests.workloads,
        hosts,
        registry=planner.RegistryOptions(cache_dir=tmp_path / "cache"),
        allow=allowed,
    )
    # the text report reads groups only: no node's result is made for it
    planner.render(report, "text")
    assert all("nodes" not in vars(r) for r in report.results)
    for result in report.results:
        for pool in result.pools:
            # a group per example node in the pool (its 40 copies are alike), at most 2
            # where allowances split it: not one per copy
            originals = {h.name.rsplit("-", 1)[0] for h in pool.pool.hosts}
            assert len(pool.groups) <= 2 * len(originals), (result.workload.id, pool.pool.name)
            assert pool.eligible == sum(len(g.hosts) for g in pool.groups)
    by_id = {r.workload.id: r for r in report.results}
    assert {g.status for p in by_id["Pod/shop/migrate"].pools for g in p.groups} == {
        "ok",
        "allowed",
        "will-not-run",
    }
    assert [n.host.name for n in by_id["Pod/shop/pinned"].nodes] == [names[7]]
    # refused by the kubelet (spec.os.name) on every Linux node, in host order
    ledger = by_id["Pod/shop/ledger"]
    assert [n.host.name for n in ledger.nodes] == [h.name for h in ledger.eligible]
    assert {n.status for n in ledger.nodes if n.host.platform.os == "linux"} == {"will-not-run"}

    for result in report.results:
        nodes = result.nodes  # each node's result, in host order
        assert [n.host.name for n in nodes] == [h.name for h in result.eligible]
        members = {h.name: g for p in result.pools for g in p.groups for h in g.hosts}
        assert all(members[n.host.name].result(n.host) == n for n in nodes)
        assert result.to_dict()["nodes"] == [n.to_dict() for n in nodes]
        assert [n for p in result.pools for n in p.nodes] == sorted(
            nodes, key=lambda n: [p.pool.name for p in result.pools].index(_pool(result, n))
        )
    # JSON written a workload at a time is the json module's document
    assert "".join(render_pieces(report, "json")) == json.dumps(report.to_dict(), indent=2) + "\n"
    # YAML writes what nodes share at each node: no anchors or aliases
    text = planner.render(report, "yaml")
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load(text) == json.loads(json.dumps(report.to_dict()))


def _pool(result: planner.WorkloadResult, node: Any) -> str:
    return next(p.pool.name for p in result.pools if node.host in p.pool.hosts)
