"""Benchmark: 200 workloads x 50 images x 1,000 nodes (10 node kinds) in one ``check -f``.

    python benchmarks/workloads.py [--workloads 200] [--images 50] [--nodes 1000] [--runs 3]
    python benchmarks/workloads.py --workloads 400 --images 20 --nodes 2000 --kinds 4 --versus 4


Sets up, on 127.0.0.1, the CNCF distribution registry (``docker-registry``)
holding ``--images`` multi-platform images (Linux amd64, amd64/v3, arm64,
arm/v7; every third also Windows Server 2022 and 2019), writes a ``kubectl get
nodes -o json`` inventory of ``--nodes`` nodes of 10 kinds (containerd 1.6, 1.7
and 2.0, CRI-O, Docker; amd64, arm64, Windows; two of them tainted), each node
with its own name and labels, and a multi-document manifest of ``--workloads``
workloads (Deployments with init containers and sidecars, DaemonSets tolerating
every taint, CronJobs pinned to arm64, StatefulSets on Windows, Jobs on
amd64) of 1 to 4 containers each. It runs ``pull-planner check -f`` with a cold
and a warm cache and prints wall time, peak memory and the registry requests,
counted from the registry's own access log: manifest GETs of tags (one per
image) and of digests (one per distinct chosen manifest).

``--versus N`` then checks the same workloads against an inventory of ``N``
nodes of the same kinds (``--kinds K``: the first K of the 10), warm, the two
runs alternating, and prints the ratio of the big inventory's time to the
small one's per output format (issue 23: the cost should follow distinct
answers, not nodes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import inventory  # noqa: E402
from benchmarks.inventory import scratch_registry  # noqa: E402
from benchmarks.lab import PLANNER  # noqa: E402
from tests.registry import Registry  # noqa: E402

LINUX = [
    {"os": "linux", "architecture": "amd64"},
    {"os": "linux", "architecture": "amd64", "variant": "v3"},
    {"os": "linux", "architecture": "arm64", "variant": "v8"},
    {"os": "linux", "architecture": "arm", "variant": "v7"},
]
WINDOWS = [
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2849"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.6054"},
]
# the 6 kinds of benchmarks/inventory.py, and 4 more: (arch, os, runtime, kernel, build, taint)
KINDS = [(*kind, None) for kind in inventory.KINDS] + [
    ("amd64", "linux", "containerd://1.6.36", "5.15.0-1071-azure", None, None),
    ("amd64", "linux", "containerd://1.7.22", "6.1.115", None, "nvidia.com/gpu=present"),
    ("arm64", "linux", "containerd://2.0.4", "6.1.112-124.190.amzn2023.aarch64", None, "spot=true"),
    ("amd64", "windows", "containerd://1.7.20", "10.0.17763.6054", "10.0.17763", None),
]
ACTIVE_KINDS = KINDS


def push_images(registry: Registry, count: int) -> list[str]:
    refs = []
    base = b"shared base layer " * 2000
    for i in range(count):
        repo = f"bench/img{i}"
        entries = []
        platforms = LINUX + (WINDOWS if i % 3 == 0 else [])
        for j, platform in enumerate(platforms):
            layers = [base, f"{repo} layer {j} ".encode() * (100 + 50 * j + i)]
            image = registry.push_image(repo, platform, layers)
            entries.append(image.descriptor(platform=platform))
        registry.push_index(repo, "1.0", entries)
        refs.append(f"{registry.host}/{repo}:1.0")
    return refs


def node(i: int) -> dict[str, Any]:
    """A node of kind ``i % 10`` (benchmarks/inventory.py's), Windows nodes tainted."""
    kind = i % len(ACTIVE_KINDS)
    *base, taint = ACTIVE_KINDS[kind]
    out = inventory.node(i, tuple(base), group=kind)
    out["metadata"]["name"] = f"k{kind}-{out['metadata']['name']}"
    out["metadata"]["labels"]["kubernetes.io/hostname"] = out["metadata"]["name"]
    if base[1] == "windows":
        taint = "os=windows"
    if taint:
        key, value = taint.split("=")
        out["spec"]["taints"] = [{"key": key, "value": value, "effect": "NoSchedule"}]
    return out


def workload(i: int, refs: list[str], rng: random.Random) -> dict[str, Any]:
    shape = i % 5
    linux = [r for n, r in enumerate(refs) if n % 3 != 0]
    windows = [r for n, r in enumerate(refs) if n % 3 == 0]
    pool = windows if shape == 3 else refs if shape == 1 else linux
    images = rng.sample(pool, min(len(pool), 1 + i % 4))
    containers = [{"name": f"c{n}", "image": image} for n, image in enumerate(images)]
    pod: dict[str, Any] = {"containers": containers[:1]}
    if len(containers) > 1:
        pod["initContainers"] = containers[1:]
    meta = {"name": f"w{i}", "namespace": f"team-{i % 7}"}
    if shape == 0:  # a Deployment on any Linux node
        pod["nodeSelector"] = {"kubernetes.io/os": "linux"}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {"replicas": 3, "template": {"spec": pod}},
        }
    if shape == 1:  # a DaemonSet tolerating every taint
        pod["tolerations"] = [{"operator": "Exists"}]
        return {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta,
            "spec": {"template": {"spec": pod}},
        }
    if shape == 2:  # a CronJob pinned to arm64
        pod["nodeSelector"] = {"kubernetes.io/arch": "arm64"}
        return {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta,
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": pod}}}},
        }
    if shape == 3:  # a StatefulSet on Windows Server 2022
        pod["nodeSelector"] = {
            "kubernetes.io/os": "windows",
            "node.kubernetes.io/windows-build": "10.0.20348",
        }
        pod["tolerations"] = [{"key": "os", "value": "windows", "effect": "NoSchedule"}]
        return {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": meta,
            "spec": {"replicas": 1, "template": {"spec": pod}},
        }
    pod["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                        ]
                    }
                ]
            }
        }
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {"template": {"spec": pod}},
    }


def run(command: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB of this child alone, exit status)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if child.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)}: exit {child.returncode}: {stderr.decode()}")
    return elapsed, usage.ru_maxrss, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", type=int, default=200)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", type=int, default=len(KINDS), help="node kinds used (1-10)")
    parser.add_argument("--versus", type=int, default=0, help="also run on this many nodes")
    args = parser.parse_args()
    global ACTIVE_KINDS
    ACTIVE_KINDS = KINDS[: max(1, min(args.kinds, len(KINDS)))]
    with scratch_registry("pull-planner-workloads-") as (work, registry):
        started = time.perf_counter()
        refs = push_images(registry, args.images)
        print(f"pushed {args.images} images in {time.perf_counter() - started:.1f} s")
        nodes = work / "nodes.json"
        items = [node(i) for i in range(args.nodes)]
        nodes.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        rng = random.Random(13)
        manifests = work / "workloads.yaml"
        import yaml

        manifests.write_text(
            yaml.safe_dump_all([workload(i, refs, rng) for i in range(args.workloads)])
        )
        print(
            f"{args.workloads} workloads x {args.images} images x {args.nodes} nodes"
            f" ({len(ACTIVE_KINDS)} kinds); manifests {manifests.stat().st_size / 1024:.0f} KiB,"
            f" nodes {nodes.stat().st_size / 2**20:.1f} MiB"
        )
        print(
            f"{'run':<6} {'format':<6} {'median s':>9} {'min':>7} {'max':>7} {'peak MiB':>9}"
            f" {'tag GET':>8} {'digest GET':>11} {'HEAD':>5} {'repeats':>8}"
        )
        cache = work / "cache"
        for label in ("cold", "warm"):
            for fmt in ("text", "json"):
                times, peak, tags, digests, heads, repeats = [], 0, 0, 0, 0, 0
                for _ in range(args.runs):
                    if label == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    mark = registry.mark()
                    command = [
                        PLANNER,
                        "check",
                        "-f",
                        str(manifests),
                        "--hosts",
                        str(nodes),
                        "--format",
                        fmt,
                        "--cache-dir",
                        str(cache),
                    ]
                    elapsed, rss, _ = run(command)
                    times.append(elapsed)
                    peak = max(peak, rss)
                    reqs = [r for r in registry.since(mark) if "/manifests/" in r["path"]]
                    gets = [r for r in reqs if r["method"] == "GET"]
                    tags = sum("sha256:" not in r["path"] for r in gets)
                    digests = len(gets) - tags
                    heads = len(reqs) - len(gets)
                    repeats = len(gets) - len({r["path"] for r in gets})
                print(
                    f"{label:<6} {fmt:<6} {statistics.median(times):>9.3f} {min(times):>7.3f}"
                    f" {max(times):>7.3f} {peak / 1024:>9.1f} {tags:>8} {digests:>11}"
                    f" {heads:>5} {repeats:>8}"
                )
        if args.versus:
            versus(args, manifests, nodes, work, cache)
    return 0


def versus(args: argparse.Namespace, manifests: Path, nodes: Path, work: Path, cache: Path) -> None:
    """The same check on ``--nodes`` and on ``--versus`` nodes, warm, alternating."""
    small = work / "small.json"
    items = [node(i) for i in range(args.versus)]
    small.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    print(f"{args.nodes} nodes vs {args.versus} nodes ({len(ACTIVE_KINDS)} kinds), warm:")
    for fmt in ("text", "json"):
        pairs = []
        for _ in range(args.runs):
            one = []
            for inventory_file in (nodes, small):
                command = [PLANNER, "check", "-f", str(manifests), "--hosts", str(inventory_file)]
                command += ["--format", fmt, "--cache-dir", str(cache)]
                one.append(run(command))
            pairs.append(one)
        big = statistics.median(p[0][0] for p in pairs)
        little = statistics.median(p[1][0] for p in pairs)
        ratio = statistics.median(p[0][0] / p[1][0] for p in pairs)
        peak = max(p[0][1] for p in pairs) / 1024
        print(
            f"  {fmt:<5} {big:.2f} s vs {little:.2f} s: {ratio:.1f}x"
            f" (peak {peak:.0f} MiB on {args.nodes} nodes)"
        )


if __name__ == "__main__":
    sys.exit(main())
