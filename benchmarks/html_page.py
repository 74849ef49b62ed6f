"""Benchmark: the HTML report of 1,000 hosts x 50 images opens in headless chromium in well under 2 s.

    python benchmarks/html_page.py [--nodes 1000] [--images 50] [--runs 5]

Writes, into a temporary directory, an OCI layout of ``--images`` tags made
from the platforms of the bundled example's saved index
(``examples/webapp``, tag 2.1: four Linux platforms, two Windows builds and an
attestation), each tag leaving out some of them so that some hosts fail, and
a ``kubectl get nodes -o json`` inventory of ``--nodes`` nodes of 6 kinds
(``benchmarks/inventory.py``). Runs ``pull-planner check … --html`` once with
node pools (the default: one row per kind) and once with ``--expand`` (one
row per node: 50,000 cells), and loads each page from its file in Debian's
chromium (``tests/browser.py``: the DevTools protocol over a pipe) on a fresh
profile, ``--runs`` times, printing medians: navigation to the load event,
the page's own figures (``domContentLoaded``, ``load``), opening a cell's
details and sorting the rows. Browser start-up is reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.inventory import KINDS, node  # noqa: E402
from examples.build_webapp_layout import OCI_INDEX, Layout, fake_layer  # noqa: E402
from tests.browser import Browser, find_chromium  # noqa: E402


def saved_platforms() -> list[dict[str, Any]]:
    """The platforms of the bundled example's tag 2.1, from its saved index."""
    layout = ROOT / "examples" / "webapp"
    top = json.loads((layout / "index.json").read_text())
    entry = next(
        m
        for m in top["manifests"]
        if m["annotations"]["org.opencontainers.image.ref.name"] == "2.1"
    )
    index = json.loads((layout / "blobs" / "sha256" / entry["digest"][7:]).read_text())
    return [m["platform"] for m in index["manifests"] if "attestation" not in str(m)]


def write_layout(root: Path, images: int) -> list[str]:
    """``images`` tags; tag i leaves out platform i % 7 (so a kind of host fails there)."""
    layout = Layout(root)
    platforms = saved_platforms()
    tags = []
    for i in range(images):
        entries = []
        for p, platform in enumerate(platforms):
            if i % 7 == p and i % 2:  # every other tag misses one platform
                continue
            name = "-".join(str(v) for v in platform.values())
            base = 1_600_000_000 if platform["os"] == "windows" else 29_000_000
            layers = [
                fake_layer(f"base {name}", base + p),  # shared by every tag
                fake_layer(f"runtime {i % 5} {name}", 12_000_000 + 1000 * (i % 5)),
                fake_layer(f"app {i} {name}", 3_000_000 + 10_007 * i),
            ]
            entries.append(layout.image(platform, layers, f"{i}"))
        descriptor = layout.index(entries)
        tags.append({**descriptor, "annotations": {"org.opencontainers.image.ref.name": f"t{i}"}})
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": tags})
    )
    return [f"oci:{root}:t{i}" for i in range(images)]


PAGE_FIGURES = """
(() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd,
          ready: document.documentElement.dataset.ready === "1",
          cells: document.querySelectorAll("td.c").length,
          rows: document.querySelectorAll("#matrix tbody tr").length};
})()
"""
CLICK = """
(() => {
  const t = performance.now();
  document.querySelector("td.s-no-image button, td.c button").click();
  const text = document.getElementById("detail").innerText;
  return [performance.now() - t, text.length];
})()
"""
SHOW_ALL = """
(() => {
  const t = performance.now(), more = document.getElementById("show-all");
  if (more) more.click();
  return [performance.now() - t, document.querySelectorAll("td.c").length];
})()
"""
SORT = """
(() => {
  const t = performance.now(), s = document.getElementById("sort");
  s.value = "failures"; s.dispatchEvent(new Event("change"));
  s.value = "listed"; s.dispatchEvent(new Event("change"));
  return (performance.now() - t) / 2;
})()
"""


def measure(chromium: str, page: Path, runs: int) -> dict[str, Any]:
    opened, dom, load, click, sort, start, every = [], [], [], [], [], [], []
    figures: dict[str, Any] = {}
    drawn = [0.0, 0]
    for _ in range(runs):
        began = time.perf_counter()
        with Browser(chromium) as browser:
            start.append(time.perf_counter() - began)
            opened.append(browser.open(page.as_uri()))
            figures = browser.evaluate(PAGE_FIGURES)
            assert figures["ready"], "the page's script did not run"
            dom.append(figures["dom"] / 1000)
            load.append(figures["load"] / 1000)
            click.append(browser.evaluate(CLICK)[0] / 1000)
            drawn = browser.evaluate(SHOW_ALL)
            every.append(drawn[0] / 1000)
            sort.append(browser.evaluate(SORT) / 1000)
    return {
        "bytes": page.stat().st_size,
        "rows": figures["rows"],
        "cells": figures["cells"],
        "browser start": statistics.median(start),
        "open (navigate to load event)": statistics.median(opened),
        "max open": max(opened),
        "domContentLoaded": statistics.median(dom),
        "load": statistics.median(load),
        "details on click": statistics.median(click),
        "draw every row (Show all)": statistics.median(every),
        "cells then": drawn[1],
        "sort rows": statistics.median(sort),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="pull-planner-html-") as temp:
        work = Path(temp)
        refs = write_layout(work / "layout", args.images)
        nodes = work / "nodes.json"
        items = [node(i, KINDS[i % len(KINDS)]) for i in range(args.nodes)]
        nodes.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        print(
            f"{args.nodes} nodes of {len(KINDS)} kinds x {args.images} images, medians of {args.runs}"
        )
        for label, extra in (("node pools", []), ("--expand", ["--expand"])):
            page = work / "report.html"
            began = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "planner",
                    "check",
                    *refs,
                    "--hosts",
                    str(nodes),
                    "--html",
                    str(page),
                    *extra,
                ],
                capture_output=True,
                check=False,
                cwd=ROOT,
            )
            check = time.perf_counter() - began
            if done.returncode not in (0, 1):
                raise SystemExit(done.stderr.decode())
            result = measure(chromium, page, args.runs)
            print(f"\n{label}: check --html {check:.2f} s (whole run)")
            for key, value in result.items():
                if key == "bytes":
                    print(f"  {'page size':32} {value / 2**20:.2f} MiB")
                elif isinstance(value, float):
                    print(f"  {key:32} {value * 1000:.0f} ms")
                else:
                    print(f"  {key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
