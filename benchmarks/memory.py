"""Benchmark: peak memory and time of big inputs, each read in a process of its own.

    python benchmarks/memory.py [--scale 1.0] [--json FILE]

Scenarios (at ``--scale 1``):

* ``kubectl get nodes -o yaml`` of 20,000 nodes (11.8 MiB) read by
  ``load_inventory``, and by ``yaml.load(CSafeLoader)`` for comparison;
* the same of 100,000 nodes (59 MiB, under the 64 MiB inventory cap);
* a multi-document manifest stream of 64 MiB (about 147,000 workloads of
  ``benchmarks/workloads.py``) read by ``read_manifests`` (what ``check -f``
  reads before any registry is asked);
* an index of 18,700 entries (4 MiB, the cap) against 200 distinct Windows
  hosts under crane's rules (every host an answer of its own):
  ``check --no-plan --format json``.

Each runs in a child process and reports its own peak RSS (``VmHWM`` on
Linux: ``ru_maxrss`` would keep this process's peak across the exec) and
wall time; ratios to ``yaml.load`` come from the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import fleetgen  # noqa: E402
import inventory  # noqa: E402
import workloads  # noqa: E402

CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
{setup}
start = time.perf_counter()
{code}
seconds = time.perf_counter() - start
try:  # VmHWM starts afresh at exec; ru_maxrss keeps the forking parent's peak
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, peak)
"""


def child(setup: str, code: str) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``code`` run after ``setup`` in a fresh process."""
    program = CHILD.format(root=str(ROOT), setup=setup, code=code)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT
    )
    seconds, kib = done.stdout.split()[-2:]
    return float(seconds), int(kib) / 1024


def yaml_text(value: object) -> str:
    import yaml

    return str(yaml.safe_dump(value, sort_keys=False))


def nodes_yaml(path: Path, count: int) -> Path:
    items = [inventory.node(i, inventory.KINDS[i % len(inventory.KINDS)]) for i in range(count)]
    path.write_text(yaml_text({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def stream(path: Path, size: int) -> Path:
    rng = random.Random(1)
    refs = [f"registry.example:5000/team/img{n}:1.{n}" for n in range(50)]
    with path.open("w") as out:
        written, n = 0, 0
        while True:
            doc = yaml_text(workloads.workload(n, refs, rng)) + "---\n"
            if written + len(doc) > size:
                break
            out.write(doc)
            written, n = written + len(doc), n + 1
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--skip", action="append", default=[], help="a scenario not to run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pp-memory-"))
    figures: dict[str, Any] = {}

    def run(name: str, setup: str, code: str, size: int) -> None:
        if name in args.skip:
            return
        seconds, mib = child(setup, code)
        figures[name] = {"seconds": seconds, "peak_mib": mib, "input_mib": size / (1 << 20)}
        print(
            f"{name:28} {seconds:7.2f} s {mib:8.0f} MiB peak  input {size / (1 << 20):5.1f} MiB"
            f"  ({mib * (1 << 20) / size:.1f}x)",
            flush=True,
        )

    for count in (int(20_000 * args.scale), int(100_000 * args.scale)):
        path = nodes_yaml(work / f"nodes-{count}.yaml", count)
        size = path.stat().st_size
        run(
            f"yaml.load {count} nodes",
            "import yaml",
            f"yaml.load(open({str(path)!r}).read(), Loader=yaml.CSafeLoader)",
            size,
        )
        run(
            f"load_inventory {count} nodes",
            "from planner.hosts.inventory import load_inventory",
            f"load_inventory({str(path)!r})",
            size,
        )
        mine, theirs = (
            figures.get(f"load_inventory {count} nodes"),
            figures.get(f"yaml.load {count} nodes"),
        )
        if mine and theirs:
            print(f"  ratio to yaml.load: {mine['seconds'] / theirs['seconds']:.2f}x time")
    path = stream(work / "stream.yaml", int((64 << 20) * args.scale) - 4096)
    run(
        "read_manifests 64 MiB",
        "from planner.workloads.files import read_manifests",
        f"read_manifests({str(path)!r})",
        path.stat().st_size,
    )
    fleetgen.write_index(work, int(18_700 * args.scale))
    hosts = fleetgen.write_hosts(work, int(200 * args.scale), rules="crane")
    argv = ["check", str(work / "index.json"), "--hosts", str(hosts), "--no-plan"]
    run(
        "index x crane hosts",
        "from planner.cli.main import main\nimport contextlib, io",
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main({[*argv, '--format', 'json']!r})",
        (work / "index.json").stat().st_size,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
