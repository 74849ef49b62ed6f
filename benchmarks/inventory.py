"""Benchmark: a 5,000-node cluster inventory costs its distinct node kinds' work plus parsing.

    python benchmarks/inventory.py [--nodes 5000] [--runs 3]

Sets up, on 127.0.0.1, the CNCF distribution registry (``docker-registry``)
holding the 5 multi-platform images of ``benchmarks/run.py``, then writes two
``kubectl get nodes -o json`` inventories: ``--nodes`` nodes of 6 kinds (amd64
and arm64 on containerd 1.7.20, amd64 on containerd 2.0.4, arm64 on CRI-O
1.30.4, amd64 on Docker 24.0.7, Windows Server 2022 on containerd 1.7.20),
every node with its own name and labels, and the same 6 kinds as 6 nodes. It
runs ``pull-planner check`` on all 5 images for each (cold cache) and prints
wall time, peak memory and the registry requests, counted from the registry's
own access log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lab import IMAGES, PLANNER, count, push_content  # noqa: E402
from tests.registry import Registry  # noqa: E402

# (architecture, os, containerRuntimeVersion, kernelVersion / Windows build)
KINDS = [
    ("amd64", "linux", "containerd://1.7.20", "5.10.223-212.873.amzn2.x86_64", None),
    ("arm64", "linux", "containerd://1.7.20", "5.10.223-212.873.amzn2.aarch64", None),
    ("amd64", "linux", "containerd://2.0.4", "6.1.112-124.190.amzn2023.x86_64", None),
    ("arm64", "linux", "cri-o://1.30.4", "5.14.0-427.37.1.el9_4.aarch64", None),
    ("amd64", "linux", "docker://24.0.7", "5.15.0-1071-azure", None),
    ("amd64", "windows", "containerd://1.7.20", "10.0.20348.2700", "10.0.20348"),
]


def node(
    i: int, kind: tuple[str, str, str, str, str | None], group: int | None = None
) -> dict[str, Any]:
    """Node ``i`` of ``kind``, in node group ``group`` (default: the kind's place in KINDS)."""
    arch, os_name, runtime, kernel, build = kind
    labels = {
        "kubernetes.io/arch": arch,
        "kubernetes.io/os": os_name,
        "kubernetes.io/hostname": f"ip-10-0-{i // 250}-{i % 250}",
        "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i % 3]}",
        "eks.amazonaws.com/nodegroup": f"ng-{KINDS.index(kind) if group is None else group}",
    }
    if build:
        labels["node.kubernetes.io/windows-build"] = build
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": f"ip-10-0-{i // 250}-{i % 250}.eu-west-1.compute.internal",
            "labels": labels,
        },
        "spec": {"providerID": f"aws:///eu-west-1a/i-{i:017x}"},
        "status": {
            "nodeInfo": {
                "architecture": arch,
                "operatingSystem": os_name,
                "containerRuntimeVersion": runtime,
                "kernelVersion": kernel,
                "kubeletVersion": "v1.30.4-eks-a737599",
                "osImage": "Amazon Linux 2"
                if os_name == "linux"
                else "Windows Server 2022 Datacenter",
            }
        },
    }


@contextlib.contextmanager
def scratch_registry(prefix: str) -> Iterator[tuple[Path, Registry]]:
    """A scratch directory with a real registry in it, both gone afterwards."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    (work / "registry").mkdir()
    registry = Registry(work / "registry").start()
    try:
        yield work, registry
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


def inventory(path: Path, nodes: int) -> None:
    items = [node(i, KINDS[i % len(KINDS)]) for i in range(nodes)]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4))


def run(command: list[str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB of the child, exit status)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.decode()}")
    return (
        elapsed,
        max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
        done.returncode,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_registry("pull-planner-inventory-") as (work, registry):
        push_content(registry)
        refs = [f"127.0.0.1:{registry.port}/{name}:1.0" for name in IMAGES]
        print(
            f"{'inventory':<22} {'nodes':>6} {'median s':>9} {'min':>7} {'max':>7}"
            f" {'peak MiB':>9} {'reqs':>5} {'mGET':>5} {'mHEAD':>5} {'blob':>5}"
        )
        for label, nodes in (
            ("6 kinds as 6 nodes", len(KINDS)),
            (f"6 kinds, {args.nodes} nodes", args.nodes),
        ):
            path = work / f"nodes-{nodes}.json"
            inventory(path, nodes)
            times, peak, requests = [], 0, {}
            for _ in range(args.runs):
                cache = work / "cache"
                shutil.rmtree(cache, ignore_errors=True)
                mark = registry.mark()
                command = [
                    PLANNER,
                    "check",
                    *refs,
                    "--hosts",
                    str(path),
                    "--format",
                    "json",
                    "--cache-dir",
                    str(cache),
                ]
                elapsed, rss, _ = run(command)
                times.append(elapsed)
                peak = max(peak, rss)
                requests = count(registry.since(mark))
            print(
                f"{label:<22} {nodes:>6} {statistics.median(times):>9.3f} {min(times):>7.3f}"
                f" {max(times):>7.3f} {peak / 1024:>9.1f} {requests['total']:>5}"
                f" {requests['manifest GET']:>5} {requests['manifest HEAD']:>5} {requests['blob']:>5}"
            )
        size = (work / f"nodes-{args.nodes}.json").stat().st_size
        print(f"\n{args.nodes}-node inventory: {size / 2**20:.1f} MiB of kubectl JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
