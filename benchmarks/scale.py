"""Scale benchmarks (issue 15): distinct hosts, many images, memory, and one cold pull at 25 ms.

    python benchmarks/scale.py [--quick] [--json PATH]

Also run by ``benchmarks/run.py`` (``--scale-only`` runs just these). Every
command runs in a subprocess of its own, started by a small wrapper process,
so that peak RSS (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``) is the
command's alone. pull-planner runs as ``python -m planner`` from this
checkout. Scenarios:

(1) resolver throughput in-process, per shipped rule set: 10,000 distinct
    Windows hosts (one build, every revision different) against a 100-entry
    index; ``shared`` as a fleet sees it, ``cold`` with the memo cleared before
    every host (each host judged in full); and what the memo holds at worst (every
    host its own answer, every entry its own verdict, every answer's records made);
(2) ``check INDEX.json --hosts N.yaml --no-plan --format json`` for 100, 1,000
    and 10,000 such hosts (the input of ``benchmarks/fleetgen.py``), and
    10,000 with plans;
(3) 1,000 distinct Windows hosts (two builds) x 50 images on the real
    distribution registry on 127.0.0.1, cold and warm cache, and warm at
    half the hosts and half the images (linearity);
(4) one host x one image, cold, behind the delaying proxy of ``run.py`` at 25 ms:
    ``pull-planner plan``, the 3-round-trip stdlib client
    (``benchmarks/minimal_client.py``) and ``skopeo inspect``.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import fleetgen  # noqa: E402
from tests.registry import Registry  # noqa: E402

PLANNER = [sys.executable, "-m", "planner"]
WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, "rc": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-400:]}))
"""


def measured(command: list[str], runs: int) -> dict[str, Any]:
    """Median wall and CPU seconds, and the largest peak RSS, of ``runs`` runs of ``command``."""
    figures = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", WRAPPER, *command],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        one = json.loads(out.stdout)
        if one["rc"] not in (0, 1):
            raise RuntimeError(f"{command[:6]!r} failed: {one['stderr']}")
        figures.append(one)
    return {
        "runs": runs,
        "wall_s": round(statistics.median(f["wall"] for f in figures), 3),
        "min_s": round(min(f["wall"] for f in figures), 3),
        "cpu_s": round(statistics.median(f["cpu"] for f in figures), 3),
        "rss_mb": round(max(f["rss_mb"] for f in figures), 1),
    }


def progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- (1) resolver


def resolver(work: Path, hosts: int) -> dict[str, Any]:
    from planner import Platform, load_rules, parse_document, select
    from planner.policy.loader import available_rule_sets
    from planner.select import selector
    from planner.select.host import host_view

    index = parse_document((fleetgen.write_index(work / "resolver")).read_bytes(), "bench")
    fleet = [Platform.parse(f"windows(10.0.20348.{i + 1})/amd64") for i in range(hosts)]
    out: dict[str, Any] = {"index_entries": 100, "hosts": hosts, "rule_sets": {}}
    for name in available_rule_sets():
        rules = load_rules(name)
        figures = {}
        for mode in ("shared", "cold"):
            selector.clear_memo()
            host_view.cache_clear()
            start = time.perf_counter()
            for host in fleet:
                if mode == "cold":  # every host judged in full (the index's own facts kept)
                    selector._memo.clear()
                    selector._held[0] = 0
                select(index, host, rules)
            figures[mode] = round(len(fleet) / (time.perf_counter() - start))
        figures["answers"] = len({id(select(index, host, rules)) for host in fleet[:1000]})
        out["rule_sets"][name] = figures
        progress(f"resolver {name}: {figures}")
    # The memo's worst case: every host its own answer (containerd: every host another build),
    # every entry of the index its own platform and verdict, every answer's records made.
    distinct = [
        {
            "mediaType": fleetgen.OCI_MANIFEST,
            "digest": f"sha256:{i:064x}",
            "size": 500,
            "platform": (
                {"os": "windows", "architecture": "amd64", "os.version": f"10.0.{17000 + i}.{i}"}
                if i % 2
                else {"os": "linux", "architecture": f"arch{i}", "variant": f"v{i}"}
            ),
        }
        for i in range(100)
    ]
    worst = parse_document(
        json.dumps(
            {"schemaVersion": 2, "mediaType": fleetgen.OCI_INDEX, "manifests": distinct}
        ).encode(),
        "worst",
    )
    rules = load_rules("containerd")
    selector.clear_memo()
    host_view.cache_clear()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(selector.MEMO_ENTRIES // 50):
        host = Platform.parse(f"windows(10.0.{17000 + i % 3000}.{i})/amd64")
        assert select(worst, host, rules).candidates
    host_view.cache_clear()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    out["memo"] = {
        "answers": len(selector._memo),
        "entries_held": selector._held[0],
        "limit_entries": selector.MEMO_ENTRIES,
        "mb": round(held / 2**20, 1),
    }
    selector.clear_memo()
    progress(f"memo: {out['memo']}")
    return out


# --------------------------------------------------------------------------- (2) distinct hosts


def distinct_hosts(work: Path, counts: list[int], runs: int) -> dict[str, Any]:
    index = fleetgen.write_index(work / "distinct")
    out: dict[str, Any] = {}
    for count in counts:
        hosts = fleetgen.write_hosts(work / "distinct", count)
        base = [*PLANNER, "check", str(index), "--hosts", str(hosts), "--format", "json"]
        out[f"{count} no-plan"] = measured([*base, "--no-plan"], runs)
        progress(f"{count} distinct hosts x 1 image, no plan: {out[f'{count} no-plan']}")
    count = counts[-1]
    hosts = work / "distinct" / f"hosts-{count}.yaml"
    out[f"{count} plan"] = measured(
        [*PLANNER, "check", str(index), "--hosts", str(hosts), "--format", "json"], runs
    )
    progress(f"{count} distinct hosts x 1 image, plans: {out[f'{count} plan']}")
    low, high = counts[1], counts[-1]
    out["per_extra_host_us"] = round(
        (out[f"{high} no-plan"]["wall_s"] - out[f"{low} no-plan"]["wall_s"]) / (high - low) * 1e6
    )
    return out


# --------------------------------------------------------------------------- (3) many images


def push_images(registry: Registry, count: int) -> list[str]:
    """``count`` images of 4 entries: linux amd64/arm64, windows 17763/20348 (shared bases)."""
    names = []
    for i in range(count):
        name = f"img{i:02d}"
        entries = []
        for arch in ("amd64", "arm64"):
            p = {"os": "linux", "architecture": arch}
            layers = [f"linux base {arch}".encode() * 300, f"{name} {arch}".encode() * 40]
            entries.append(registry.push_image(name, p, layers).descriptor(platform=p))
        for version in ("10.0.17763.6054", "10.0.20348.2849"):
            p = {"os": "windows", "architecture": "amd64", "os.version": version}
            layers = [f"windows base {version}".encode() * 300, f"{name} {version}".encode() * 40]
            entries.append(registry.push_image(name, p, layers).descriptor(platform=p))
        registry.push_index(name, "1", entries)
        names.append(name)
    return names


def windows_hosts(path: Path, count: int) -> Path:
    lines = ["hosts:"]
    for i in range(count):
        build = (17763, 20348)[i % 2]
        lines.append(f"  - {{name: w{i:05d}, platform: 'windows(10.0.{build}.{i + 1})/amd64'}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def many_images(work: Path, hosts: int, images: int, runs: int) -> dict[str, Any]:
    (work / "registry").mkdir()
    registry = Registry(work / "registry").start()
    try:
        start = time.perf_counter()
        names = push_images(registry, images)
        progress(f"pushed {images} images in {time.perf_counter() - start:.1f} s")
        refs = [f"127.0.0.1:{registry.port}/{name}:1" for name in names]
        out: dict[str, Any] = {}
        cache = work / "cache"
        shapes = [(hosts, images), (hosts // 2, images), (hosts, images // 2)]
        for n_hosts, n_images in shapes:
            profile = windows_hosts(work / f"hosts-{n_hosts}.yaml", n_hosts)
            command = [*PLANNER, "check", *refs[:n_images], "--hosts", str(profile)]
            command += ["--format", "json", "--cache-dir", str(cache)]
            if (n_hosts, n_images) == (hosts, images):
                cold = []
                for _ in range(runs):
                    shutil.rmtree(cache, ignore_errors=True)
                    cold.append(measured(command, 1))
                out[f"{n_hosts}x{n_images} cold"] = {
                    **cold[0],
                    "runs": runs,
                    "wall_s": statistics.median(c["wall_s"] for c in cold),
                    "cpu_s": statistics.median(c["cpu_s"] for c in cold),
                    "rss_mb": max(c["rss_mb"] for c in cold),
                }
                progress(f"{n_hosts} x {n_images} cold: {out[f'{n_hosts}x{n_images} cold']}")
            else:
                subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
            out[f"{n_hosts}x{n_images} warm"] = measured(command, runs)
            progress(f"{n_hosts} x {n_images} warm: {out[f'{n_hosts}x{n_images} warm']}")
        return out
    finally:
        registry.stop()


# --------------------------------------------------------------------------- (4) one cold pull


def one_cold_pull(work: Path, rtt_ms: int, runs: int) -> dict[str, Any]:
    from benchmarks.lab import DelayProxy, measure_delay, push_content, skopeo_command

    (work / "registry-rtt").mkdir()
    registry = Registry(work / "registry-rtt").start()
    proxy = None
    try:
        push_content(registry)
        proxy = DelayProxy(registry.port, rtt_ms / 1000)
        fresh, again = measure_delay(proxy.port)
        host = f"127.0.0.1:{proxy.port}"
        platform = "linux/amd64"
        commands = {
            "pull-planner plan": [
                *PLANNER,
                *("plan", f"{host}/app1:1.0", "--platform", platform, "--no-cache"),
            ],
            "minimal stdlib client": [
                sys.executable,
                str(ROOT / "benchmarks" / "minimal_client.py"),
                *(host, "app1", "1.0", platform),
            ],
        }
        if shutil.which("skopeo"):
            commands["skopeo inspect"] = skopeo_command(f"{host}/app1:1.0", platform)
        out: dict[str, Any] = {
            "rtt_ms": rtt_ms,
            "fresh_connection_ms": round(fresh * 1000, 1),
            "keep_alive_ms": round(again * 1000, 1),
        }
        for name, command in commands.items():
            out[name] = measured(command, runs)
            progress(f"1 x 1 cold at {rtt_ms} ms, {name}: {out[name]}")
        return out
    finally:
        if proxy is not None:
            proxy.stop()
        registry.stop()


# --------------------------------------------------------------------------- all


def run_all(quick: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="pull-planner-scale-"))
    runs = 1 if quick else 3
    try:
        return {
            "resolver": resolver(work, 2_000 if quick else 10_000),
            "distinct_hosts": distinct_hosts(work, [100, 1_000, 10_000], runs),
            "many_images": many_images(work, 1_000, 50, runs),
            "one_cold_pull": one_cold_pull(work, 25, 3 if quick else 7),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(figures: dict[str, Any]) -> None:
    resolver = figures["resolver"]
    print(f"\n(1) resolver, {resolver['hosts']:,} distinct Windows hosts, 100-entry index:")
    print(f"    {'rules':<11} {'shared /s':>10} {'cold /s':>9} {'answers':>8}")
    for name, f in resolver["rule_sets"].items():
        print(f"    {name:<11} {f['shared']:>10,} {f['cold']:>9,} {f['answers']:>8}")
    memo = resolver["memo"]
    print(
        f"    memo, worst case, after {memo['answers']:,} answers of their own:"
        f" {memo['entries_held']:,} entries (limit {memo['limit_entries']:,}), {memo['mb']} MB"
    )
    print("\n(2) check --no-plan, N distinct hosts x 1 image (100 entries, from a file):")
    for key, f in figures["distinct_hosts"].items():
        if isinstance(f, dict):
            print(
                f"    {key:<14} {f['wall_s']:>7.3f} s wall {f['cpu_s']:>7.3f} s CPU"
                f" {f['rss_mb']:>7.1f} MB"
            )
    print(f"    per extra host: {figures['distinct_hosts']['per_extra_host_us']} us")
    print("\n(3) check, distinct Windows hosts x images, real registry on 127.0.0.1:")
    for key, f in figures["many_images"].items():
        print(
            f"    {key:<14} {f['wall_s']:>7.3f} s wall {f['cpu_s']:>7.3f} s CPU"
            f" {f['rss_mb']:>7.1f} MB"
        )
    pull = figures["one_cold_pull"]
    print(
        f"\n(4) one host x one image, cold, at {pull['rtt_ms']} ms (fresh connection"
        f" {pull['fresh_connection_ms']} ms, keep-alive {pull['keep_alive_ms']} ms):"
    )
    base = pull["minimal stdlib client"]["wall_s"]
    for name in ("pull-planner plan", "minimal stdlib client", "skopeo inspect"):
        if name in pull:
            f = pull[name]
            print(
                f"    {name:<22} {f['wall_s']:>7.3f} s wall {f['cpu_s']:>7.3f} s CPU"
                f" {f['rss_mb']:>6.1f} MB  {f['wall_s'] / base:.2f}x minimal"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run each, 2,000 resolver hosts")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "scale.json"))
    args = parser.parse_args()
    figures = run_all(args.quick)
    report(figures)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"\nJSON results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
