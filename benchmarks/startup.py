"""Start-up and big-inventory figures as ratios, each pair of commands run in turn in one run.

    python benchmarks/startup.py [--runs 21] [--nodes 5000]

Rows (issue 23): ``pull-planner --version`` and ``pull-planner resolve FILE``
against ``python3 -c pass``; reading a ``kubectl get nodes -o yaml`` inventory
of ``--nodes`` nodes (``load_inventory``) against ``yaml.load`` with PyYAML's
C loader of the same file, in time, and its peak memory per MB of file. Each
command is a process of its own, A and B alternate (A B A B ...), and the
ratio is the median of the per-pair ratios (CPU seconds, user + system, from
the OS's accounting of each child): the machine's speed may drift, a pair's
ratio does not. Compile the package first (``python -m compileall planner``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import inventory  # noqa: E402

PY = sys.executable
CLI = str(Path(PY).with_name("pull-planner"))
DOTNET = str(ROOT / "examples" / "dotnet-core-runtime-3.0.json")


def child(command: list[str]) -> tuple[float, float, int]:
    """(wall s, cpu s, peak RSS in KiB) of one run of ``command``."""
    start = time.perf_counter()
    pid = os.spawnv(os.P_NOWAIT, command[0], command)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)}: exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def paired(a: list[str], b: list[str], runs: int) -> dict[str, float]:
    child(a), child(b)  # warm-up: files in the page cache
    pairs = [(child(a), child(b)) for _ in range(runs)]
    return {
        "cpu_ratio": statistics.median(x[1] / y[1] for x, y in pairs),
        "wall_ratio": statistics.median(x[0] / y[0] for x, y in pairs),
        "a_wall": statistics.median(x[0] for x, _ in pairs),
        "b_wall": statistics.median(y[0] for _, y in pairs),
        "a_peak_kib": statistics.median(x[2] for x, _ in pairs),
        "b_peak_kib": statistics.median(y[2] for _, y in pairs),
    }


def nodes_yaml(path: Path, nodes: int) -> None:
    import yaml

    items = [inventory.node(i, inventory.KINDS[i % len(inventory.KINDS)]) for i in range(nodes)]
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--nodes", type=int, default=5000)
    args = parser.parse_args()
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set: .pyc files may be stale", file=sys.stderr)
    bare = ["/usr/bin/env", "python3", "-c", "pass"]
    rows = []
    version = paired([CLI, "--version"], bare, args.runs)
    rows.append(("`--version` vs `python3 -c pass`", version))
    resolve = paired([CLI, "resolve", DOTNET, "--platform", "linux/amd64"], bare, args.runs)
    rows.append(("`resolve FILE` vs `python3 -c pass`", resolve))
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "nodes.yaml"
        nodes_yaml(path, args.nodes)
        size_mb = path.stat().st_size / 1e6
        read = [
            PY,
            "-c",
            f"from planner.hosts.inventory import load_inventory; load_inventory({str(path)!r})",
        ]
        c_loader = [
            PY,
            "-c",
            f"import yaml; yaml.load(open({str(path)!r}).read(), Loader=yaml.CSafeLoader)",
        ]
        inv = paired(read, c_loader, max(3, args.runs // 4))
        rows.append(
            (f"nodes YAML ({args.nodes} nodes, {size_mb:.1f} MB) vs `yaml.load(CSafeLoader)`", inv)
        )
    print("| row | CPU ratio (median of pairs) | wall ratio | A wall | B wall |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['cpu_ratio']:.2f}x | {r['wall_ratio']:.2f}x"
            f" | {1000 * r['a_wall']:.0f} ms | {1000 * r['b_wall']:.0f} ms |"
        )
    peak_mb = inv["a_peak_kib"] * 1024 / 1e6
    print(
        f"\nnodes YAML peak memory: {peak_mb:.0f} MB for {size_mb:.1f} MB of file:"
        f" {peak_mb / size_mb:.1f}x the file (yaml.load(CSafeLoader):"
        f" {inv['b_peak_kib'] * 1024 / 1e6 / size_mb:.1f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
