"""Benchmarks: registry requests, wall time and start-up, against real peers on the same registry.

    python benchmarks/run.py [--runs 5] [--rtt 25,100] [--quick] [--json PATH]

What it sets up, all on 127.0.0.1:

* the CNCF distribution registry (``docker-registry``, as in the tests) holding 5
  multi-platform images (8 Linux platforms, 2 Windows builds and 2 BuildKit
  attestation manifests each);
* a delaying TCP proxy in front of it, so that loopback behaves like a registry
  ``RTT`` milliseconds away: a new connection costs one round trip before its
  first byte (the TCP handshake), and every byte reaches the other side RTT/2
  after it was sent. The script measures the delay it applies before using it.

Scenarios, each cold (empty cache) and warm (cache from a previous run):
(a) one host, one image; (b) 10 hosts x 5 images from a host profile; (c) 100
hosts x 5 images. pull-planner answers with ``plan`` (a) and ``check`` (b, c);
the peers answer the same question once per host x image: ``skopeo inspect
--override-os/--override-arch/--override-variant --no-tags`` (Debian's skopeo) and a
curl script that follows the seed workflow (list, manifest, blob location). crane
and regctl are not packaged in the registries this machine reaches.

Requests are counted from the registry's own access log, for every tool alike.
Also: (d) CLI start-up and (e) resolver throughput in-process, then the scale
measurements of ``benchmarks/scale.py`` (issue 15: distinct hosts, 1,000 hosts x
50 images, peak RSS, one cold pull against a minimal client). Figures are
printed as tables and written as JSON. ``--scale-only`` runs just the latter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.fleetgen import LINUX  # noqa: E402
from benchmarks.lab import (  # noqa: E402
    IMAGES,
    PLANNER,
    DelayProxy,
    count,
    measure_delay,
    push_content,
    skopeo_command,
)
from tests.registry import Registry  # noqa: E402

HOST_POOL = [
    "linux/amd64",
    "linux/amd64/v3",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
]


# --------------------------------------------------------------------------- content and hosts


def profile(path: Path, count: int) -> list[str]:
    """A host profile of ``count`` hosts cycling through a pool of platforms; returns their platforms."""
    platforms = []
    lines = ["hosts:"]
    pool = [*HOST_POOL, "windows(10.0.20348.1)/amd64", "windows(10.0.17763.1)/amd64"]
    for i in range(count):
        p = pool[i % len(pool)]
        platforms.append(p)
        lines.append(f"  - {{name: host-{i:03d}, platform: '{p}'}}")
    path.write_text("\n".join(lines) + "\n")
    return platforms


# --------------------------------------------------------------------------- runners


@dataclass
class Measure:
    tool: str
    scenario: str
    cache: str
    rtt_ms: int
    times: list[float] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "scenario": self.scenario,
            "cache": self.cache,
            "rtt_ms": self.rtt_ms,
            "runs": len(self.times),
            "median_s": round(self.median, 4),
            "min_s": round(min(self.times), 4),
            "max_s": round(max(self.times), 4),
            "requests": self.requests,
            "note": self.note,
        }


def timed(command: list[str] | str, *, shell: bool = False) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, shell=shell, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command!r} failed: {done.stderr.strip()[:500]}")
    return elapsed


CURL_SEED = r"""
set -e
list=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' "http://$REG/v2/$REPO/manifests/$TAG")
digest=$(printf '%s' "$list" | jq -r --arg os "$OS" --arg arch "$ARCH" --arg variant "$VARIANT" \
  '[.manifests[] | select(.platform.os == $os and .platform.architecture == $arch and ((.platform.variant // "") == $variant))][0].digest')
[ "$digest" != null ] || exit 1
manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/$REPO/manifests/$digest")
layer=$(printf '%s' "$manifest" | jq -r '.layers[0].digest')
curl -s -o /dev/null -I "http://$REG/v2/$REPO/blobs/$layer"
"""


def curl_loop(registry: str, pairs: list[tuple[str, str]], workdir: Path) -> Path:
    """A shell script running the seed workflow once per host x image."""
    seed = workdir / "seed-workflow.sh"
    seed.write_text(CURL_SEED)
    steps = ["#!/bin/bash"]
    for image, host in pairs:
        os_name, _, rest = host.partition("/")
        arch, _, variant = rest.partition("/")
        repo, _, tag = image.partition(":")
        env = f"REG={registry} REPO={repo} TAG={tag} OS={os_name.split('(')[0]} ARCH={arch} VARIANT={variant}"
        steps.append(f"{env} bash {shlex.quote(str(seed))} || true")
    script = workdir / f"curl-loop-{len(pairs)}.sh"
    script.write_text("\n".join(steps) + "\n")
    return script


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per measurement (median, min, max)"
    )
    parser.add_argument("--rtt", default="25,100", help="round-trip times in ms, comma-separated")
    parser.add_argument(
        "--peer-runs-large", type=int, default=1, help="runs of the peers in scenario (c)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 runs, 25 ms only, no scenario (c) peers"
    )
    parser.add_argument(
        "--scale-only",
        action="store_true",
        help="only the scale measurements of benchmarks/scale.py (a few minutes)",
    )
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"))
    args = parser.parse_args()
    if args.quick:
        args.runs, args.rtt, args.peer_runs_large = 2, "25", 0
    # Subprocesses run this checkout's planner, whatever the installed one is.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    from benchmarks import scale

    if args.scale_only:
        figures = scale.run_all(args.quick)
        scale.report(figures)
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"machine": machine(), "scale": figures}, indent=2))
        print(f"\nJSON results: {out}")
        return 0
    rtts = [
        0,
        *(int(x) for x in args.rtt.split(",") if int(x) > 0),
    ]  # 0: the same runs with no added latency
    results: list[Measure] = []
    work = Path(tempfile.mkdtemp(prefix="pull-planner-bench-"))
    (work / "registry").mkdir()
    registry = Registry(work / "registry").start()
    extra: dict[str, Any] = {}
    try:
        digests = push_content(registry)
        hosts10 = profile(work / "hosts10.yaml", 10)
        hosts100 = profile(work / "hosts100.yaml", 100)
        startup = startup_figures(args.runs * 4)
        extra["startup"] = startup
        extra["resolver"] = resolver_throughput()
        for rtt in rtts:
            proxy = DelayProxy(registry.port, rtt / 1000)
            fresh, again = measure_delay(proxy.port)
            extra.setdefault("delay_check", {})[rtt] = {
                "fresh_connection_s": round(fresh, 4),
                "keep_alive_s": round(again, 4),
            }
            host = f"127.0.0.1:{proxy.port}"
            refs = [f"{host}/{name}:1.0" for name in IMAGES]
            scenarios = {
                "a": (refs[:1], ["linux/arm64"], None),
                "b": (refs, hosts10, work / "hosts10.yaml"),
                "c": (refs, hosts100, work / "hosts100.yaml"),
            }
            for key, (images, hosts, profile_path) in scenarios.items():
                results += run_scenario(registry, key, images, hosts, profile_path, rtt, args, work)
            results.append(
                run_pinned(registry, f"{host}/{IMAGES[0]}@{digests[IMAGES[0]]}", rtt, args, work)
            )
            proxy.stop()
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)
    extra["scale"] = scale.run_all(args.quick)
    report(results, extra, rtts)
    scale.report(extra["scale"])
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "results": [m.to_dict() for m in results],
                **extra,
            },
            indent=2,
        )
    )
    print(f"\nJSON results: {out}")
    return 0


def run_scenario(
    registry: Registry,
    key: str,
    images: list[str],
    hosts: list[str],
    profile_path: Path | None,
    rtt: int,
    args: argparse.Namespace,
    work: Path,
) -> list[Measure]:
    out = []
    cache = work / f"cache-{key}-{rtt}"
    if profile_path is None:
        command = [PLANNER, "plan", images[0], "--platform", hosts[0], "--format", "json"]
    else:
        command = [PLANNER, "check", *images, "--hosts", str(profile_path), "--format", "json"]
    for state in ("cold", "warm"):
        measure = Measure("pull-planner", key, state, rtt)
        for run in range(args.runs):
            if state == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            elif run == 0 and not cache.exists():
                subprocess.run(
                    [*command, "--cache-dir", str(cache)], capture_output=True, check=False
                )
            mark = registry.mark()
            measure.times.append(timed([*command, "--cache-dir", str(cache)]))
            measure.requests = count(registry.since(mark))
        out.append(measure)
        progress(measure)
    runs = 0 if rtt == 0 else args.runs if key != "c" else args.peer_runs_large
    pairs = [(image.split("/", 1)[1], host) for image in images for host in hosts]
    if runs:
        registry_host = images[0].split("/", 1)[0]
        skopeo = Measure("skopeo loop", key, "cold", rtt, note=f"{len(pairs)} skopeo inspect calls")
        curl = Measure(
            "curl seed loop", key, "cold", rtt, note=f"{len(pairs)} x (list, manifest, blob HEAD)"
        )
        script = curl_loop(registry_host, pairs, work)
        for _ in range(runs):
            mark = registry.mark()
            start = time.perf_counter()
            for image, host in pairs:
                subprocess.run(
                    skopeo_command(f"{registry_host}/{image}", host),
                    capture_output=True,
                    check=False,
                )
            skopeo.times.append(time.perf_counter() - start)
            skopeo.requests = count(registry.since(mark))
            mark = registry.mark()
            curl.times.append(timed(["bash", str(script)]))
            curl.requests = count(registry.since(mark))
        out += [skopeo, curl]
        progress(skopeo)
        progress(curl)
    return out


def progress(m: Measure) -> None:
    print(
        f"  measured {m.scenario} {m.tool} {m.cache} at {m.rtt_ms} ms: median {m.median:.3f} s,"
        f" {m.requests.get('total', 0)} requests",
        file=sys.stderr,
        flush=True,
    )


def run_pinned(
    registry: Registry, reference: str, rtt: int, args: argparse.Namespace, work: Path
) -> Measure:
    """A digest-pinned reference with a warm cache: no request at all."""
    cache = work / f"cache-pinned-{rtt}"
    command = [PLANNER, "plan", reference, "--platform", "linux/arm64", "--cache-dir", str(cache)]
    subprocess.run(command, capture_output=True, check=False)
    measure = Measure("pull-planner", "a@", "warm", rtt, note="digest-pinned reference")
    for _ in range(args.runs):
        mark = registry.mark()
        measure.times.append(timed(command))
        measure.requests = count(registry.since(mark))
    return measure


def startup_figures(runs: int) -> dict[str, Any]:
    seed = str(ROOT / "examples" / "dotnet-core-runtime-3.0.json")
    commands = {
        "pull-planner --version": [PLANNER, "--version"],
        "pull-planner resolve FILE": [PLANNER, "resolve", seed, "--platform", "linux/arm64"],
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    }
    figures = {}
    for name, command in commands.items():
        times = [timed(command) for _ in range(runs)]
        figures[name] = {
            "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4),
            "max_s": round(max(times), 4),
            "runs": runs,
        }
    return figures


def resolver_throughput() -> dict[str, Any]:
    from planner import Platform, load_rules, parse_document, select
    from planner.select.selector import clear_memo

    entries = []
    archs = [*LINUX, ("riscv64", ""), ("mips64le", "")]
    for i in range(100):
        arch, variant = archs[i % len(archs)]
        p: dict[str, str] = {
            "os": "linux",
            "architecture": arch,
            **({"variant": variant} if variant else {}),
        }
        if i % 10 == 9:
            p = {
                "os": "windows",
                "architecture": "amd64",
                "os.version": f"10.0.{(17763, 20348, 26100)[i % 3]}.{i}",
            }
        entries.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + hashlib.sha256(str(i).encode()).hexdigest(),
                "size": 500,
                "platform": p,
            }
        )
    index = parse_document(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": entries,
            }
        ).encode(),
        "bench",
    )
    rules = load_rules("docker")
    pool = [Platform.parse(h) for h in HOST_POOL] + [
        Platform.parse(f"windows(10.0.{b}.{r})/amd64")
        for b in (17763, 20348, 26100)
        for r in range(10)
    ]
    fleet = [pool[i % len(pool)] for i in range(10_000)]
    clear_memo()
    start = time.perf_counter()
    for host in fleet:
        select(index, host, rules)
    fleet_rate = len(fleet) / (time.perf_counter() - start)
    distinct = [Platform.parse(f"windows(10.0.20348.{i})/amd64") for i in range(2_000)]
    clear_memo()
    start = time.perf_counter()
    for host in distinct:
        select(index, host, rules)
    distinct_rate = len(distinct) / (time.perf_counter() - start)
    return {
        "index_entries": 100,
        "fleet_10000_hosts": {
            "distinct_platforms": len(set(fleet)),
            "evaluations_per_s": round(fleet_rate),
        },
        "all_distinct_2000_hosts": {"evaluations_per_s": round(distinct_rate)},
    }


def minimal_requests(scenario: str, cache: str) -> tuple[int, int]:
    """(requests, critical-path round trips) the physical limit allows."""
    images = 1 if scenario.startswith("a") else len(IMAGES)
    if scenario == "a@":
        return 0, 0  # everything in the cache, nothing to confirm
    if cache == "warm":
        return images, 2  # one HEAD per tag; connect + HEAD
    hosts = ["linux/arm64"] if scenario == "a" else [*HOST_POOL, "w1", "w2"]
    distinct_per_image = len(set(hosts))  # every pool platform picks a different entry here
    return images * (1 + distinct_per_image), 3  # connect, index, chosen manifests (concurrent)


def report(results: list[Measure], extra: dict[str, Any], rtts: list[int]) -> None:
    print(f"machine: {machine()}")
    print("\nlatency check (GET /v2/ through the proxy):")
    for rtt, figures in extra.get("delay_check", {}).items():
        print(
            f"  {rtt} ms: new connection {figures['fresh_connection_s'] * 1000:.1f} ms (2 RTT expected),"
            f" keep-alive {figures['keep_alive_s'] * 1000:.1f} ms (1 RTT expected)"
        )
    header = f"{'scenario':<10} {'tool':<16} {'cache':<5} {'rtt':>4} {'median s':>9} {'min':>7} {'max':>7} {'reqs':>5} {'mGET':>5} {'mHEAD':>5} {'blob':>5} {'min reqs':>8} {'RTTs':>5} {'min RTTs':>8} {'ratio':>6}"
    print("\n" + header)
    print("-" * len(header))
    names = {"a": "(a) 1x1", "a@": "(a) @digest", "b": "(b) 10x5", "c": "(c) 100x5"}
    for m in results:
        own = next(
            (
                r
                for r in results
                if r.tool == "pull-planner"
                and r.scenario == m.scenario
                and r.rtt_ms == m.rtt_ms
                and r.cache == "cold"
            ),
            None,
        )
        ratio = f"{m.median / own.median:.1f}x" if own and m.tool != "pull-planner" else ""
        least, rtt_least = minimal_requests(m.scenario, m.cache)
        base = next(
            (
                r
                for r in results
                if r.tool == m.tool
                and r.scenario == m.scenario
                and r.cache == m.cache
                and r.rtt_ms == 0
            ),
            None,
        )
        rtts_used = (
            (m.median - base.median) / (m.rtt_ms / 1000)
            if base and m.rtt_ms and m.tool == "pull-planner"
            else float("nan")
        )
        r = m.requests
        print(
            f"{names[m.scenario]:<10} {m.tool:<16} {m.cache:<5} {m.rtt_ms:>4} {m.median:>9.3f} {min(m.times):>7.3f} {max(m.times):>7.3f}"
            f" {r.get('total', 0):>5} {r.get('manifest GET', 0):>5} {r.get('manifest HEAD', 0):>5} {r.get('blob', 0):>5}"
            f" {least if m.tool == 'pull-planner' else '':>8} {'' if rtts_used != rtts_used else f'{rtts_used:.1f}':>5}"
            f" {rtt_least if m.tool == 'pull-planner' else '':>8} {ratio:>6}"
        )
    print(
        "\nRTTs: (median at this RTT - median with no added latency) / RTT, the round trips on the"
        " critical path; min RTTs: the physical limit (connect, index, chosen manifests in parallel)."
    )
    print("\nstart-up (median of", extra["startup"]["pull-planner --version"]["runs"], "runs):")
    for name, figures in extra["startup"].items():
        print(
            f"  {name:<36} {figures['median_s'] * 1000:7.1f} ms  (min {figures['min_s'] * 1000:.1f}, max {figures['max_s'] * 1000:.1f})"
        )
    resolver = extra["resolver"]
    print(
        f"\nresolver throughput, 100-entry index: {resolver['fleet_10000_hosts']['evaluations_per_s']:,}"
        f" host x index evaluations/s for 10,000 hosts of {resolver['fleet_10000_hosts']['distinct_platforms']} platforms;"
        f" {resolver['all_distinct_2000_hosts']['evaluations_per_s']:,}/s for 2,000 Windows"
        " revisions of one build (one judgement, see the scale figures below)"
    )


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}"


if __name__ == "__main__":
    sys.exit(main())
