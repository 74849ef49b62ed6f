"""The HTML report of ``check -f``: the example chart on the example cluster, in chromium.

The page's cells are compared with ``--format json`` through the DOM, as for
image checks (tests/test_html.py): every workload x node with the status and
download of ``workloads[].nodes[]``, no cell where the workload is not
scheduled, the gate and the totals.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.browser import Browser, DomCells, dump_dom
from tests.helpers import require_tool
from tests.shop import Shop
from tests.test_workloads import check, helm_template

UNSCHEDULABLE = """
---
apiVersion: batch/v1
kind: Job
metadata: {name: nowhere, namespace: shop}
spec:
  template:
    spec:
      nodeSelector: {kubernetes.io/arch: s390x}
      containers: [{name: main, image: %s/shop/report:1.0}]
"""


def test_the_workload_page_shows_what_json_says(shop: Shop, tmp_path: Path) -> None:
    chromium = require_tool("chromium", "chromium")
    manifests = helm_template(shop) + UNSCHEDULABLE % shop.registry.host
    page = tmp_path / "workloads.html"
    code, out, err = check(manifests, tmp_path, "--format", "json", "--html", str(page))
    assert code == 1, err
    report = json.loads(out)
    elements = DomCells(dump_dom(chromium, page.as_uri())).elements
    rows, members, current = [], {}, ""
    for tag, a in elements:
        if tag == "tr" and "hosts" in a:
            rows.append(a)
            current = a["host"]
            members[current] = []
        elif tag == "li" and "host" in a:
            members[current].append(a["host"])
    members = {first: names or [first] for first, names in members.items()}
    assert sorted(h for names in members.values() for h in names) == sorted(
        h["name"] for h in report["hosts"]
    )
    shown: dict[tuple[str, str], tuple[str, int] | None] = {}
    for tag, a in elements:
        if tag == "td" and "workload" in a:
            cell = (a["status"], int(a["bytes"])) if "status" in a else None
            for host in members[a["host"]]:
                shown[(a["workload"], host)] = cell
    expected: dict[tuple[str, str], tuple[str, int] | None] = {}
    for w in report["workloads"]:
        key = f"{w['kind']}/{w['namespace']}/{w['name']}"
        for host in report["hosts"]:
            expected[(key, host["name"])] = None
        for node in w["nodes"]:
            expected[(key, node["host"])] = (node["status"], node["download_bytes"])
    assert shown == expected
    assert {c for c in shown.values() if c} and None in shown.values()
    figures = {a["id"]: a for _, a in elements if a["id"].startswith(("total-", "gate"))}
    assert int(figures["gate"]["failures"]) == report["failures"] >= 2
    assert int(figures["gate"]["checks"]) == len(report["workloads"])
    assert int(figures["total-fleet"]["bytes"]) == report["fleet"]["total_bytes"]
    assert int(figures["total-mirror"]["bytes"]) == report["fleet"]["unique_bytes"]
    downloads = [int(a["bytes"]) for tag, a in elements if tag == "td" and "dl" in a["class"]]
    assert downloads == [report["fleet"]["nodes"][r["host"]] for r in rows]
    with Browser(chromium) as b:  # a failing cell's details: one section per container
        b.open(page.as_uri())
        b.evaluate(
            "document.querySelector('td.s-will-not-run button, td.s-no-image button').click()"
        )
        text = b.evaluate("document.getElementById('detail').innerText")
        assert "init container" in text and "Candidates" in text
        header = b.evaluate(
            "document.querySelector('th[data-workload=\"Job/shop/nowhere\"]').innerText"
        )
        assert "FAILS" in header
        assert "no eligible node" in b.evaluate("document.querySelector('.problems').innerText")
        assert b.messages() == []
