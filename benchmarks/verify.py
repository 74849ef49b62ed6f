"""The cost of ``--verify`` (issue 21): 1,000 hosts x 50 images at 25 ms per exchange.

    python benchmarks/verify.py [--hosts N] [--images N] [--rtt MS] [--json PATH]

The real distribution registry on 127.0.0.1 holds 50 images of 4 entries (linux
amd64/arm64, Windows 17763/20348; :func:`benchmarks.scale.push_images`), behind the
delaying proxy of ``benchmarks/lab.py``. 1,000 hosts (a quarter on each platform; the
Windows ones each of their own revision, so some 500 distinct pull hosts) are checked
cold (``--no-cache``), without and with ``--verify``, in text and JSON (a
``verification`` list for each of the 50,000 pairs). Requests are counted from the
registry's access log: with ``--verify`` there must be one ``HEAD`` per distinct
(repository, digest) the pulls fetch, and no blob ``GET``. Prints the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lab import DelayProxy, count, measure_delay  # noqa: E402
from benchmarks.scale import PLANNER, push_images  # noqa: E402
from tests.registry import Registry  # noqa: E402

PLATFORMS = (
    "linux/amd64",
    "linux/arm64",
    "windows(10.0.17763.{rev})/amd64",
    "windows(10.0.20348.{rev})/amd64",
)


def hosts_file(path: Path, count_: int) -> Path:
    lines = ["hosts:"]
    for i in range(count_):
        platform = PLATFORMS[i % 4].format(rev=i + 1)
        lines.append(f"  - {{name: h{i:05d}, platform: '{platform}'}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run(command: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--rtt", type=int, default=25, help="milliseconds per exchange")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "registry").mkdir()
        registry = Registry(work / "registry").start()
        proxy = None
        try:
            names = push_images(registry, args.images)
            proxy = DelayProxy(registry.port, args.rtt / 1000)
            fresh, again = measure_delay(proxy.port)
            refs = [f"127.0.0.1:{proxy.port}/{name}:1" for name in names]
            profile = hosts_file(work / "hosts.yaml", args.hosts)
            base = [*PLANNER, "check", *refs, "--hosts", str(profile), "--no-cache"]
            figures: dict[str, Any] = {
                "hosts": args.hosts,
                "images": args.images,
                "rtt_ms": args.rtt,
                "fresh_connection_ms": round(fresh * 1000, 1),
                "keep_alive_ms": round(again * 1000, 1),
            }
            for name, extra in (("plain", []), ("verify", ["--verify"])):
                wall_text, _, _ = run([*base, *extra, "--format", "text"])
                mark = registry.mark()
                wall, code, out = run([*base, *extra, "--format", "json"])
                served = registry.since(mark)
                heads = [r["path"] for r in served if r["method"] == "HEAD"]
                one = {
                    "wall_s": round(wall, 2),
                    "text_wall_s": round(wall_text, 2),
                    "exit": code,
                    "requests": count(served),
                    "blob_get": sum(
                        1 for r in served if r["method"] == "GET" and "/blobs/" in r["path"]
                    ),
                    "heads": len(heads),
                    "distinct_heads": len(set(heads)),
                }
                if extra:
                    data = json.loads(out)
                    asked = {
                        (p["image"].split("/", 1)[1].rsplit(":", 1)[0], v["digest"])
                        for p in data["pairs"]
                        for v in p.get("verification", [])
                    }
                    one["distinct_blobs_needed"] = len(asked)
                    one["pairs_verified"] = sum(1 for p in data["pairs"] if p.get("verification"))
                figures[name] = one
                print(f"{name}: {one}", file=sys.stderr, flush=True)
        finally:
            if proxy is not None:
                proxy.stop()
            registry.stop()
    plain, verify = figures["plain"], figures["verify"]
    print(
        f"{args.hosts} hosts x {args.images} images at {args.rtt} ms, cold: check"
        f" {plain['text_wall_s']} s text, {plain['wall_s']} s JSON"
        f" ({plain['requests']['total']} requests); with --verify {verify['text_wall_s']} s text"
        f" (+{verify['text_wall_s'] - plain['text_wall_s']:.2f} s), {verify['wall_s']} s JSON"
        f" (+{verify['wall_s'] - plain['wall_s']:.2f} s); +{verify['heads']} HEADs ="
        f" {verify['distinct_blobs_needed']} distinct (repository, digest), {verify['blob_get']}"
        f" blob GETs)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = verify["heads"] == verify["distinct_heads"] == verify["distinct_blobs_needed"]
    return 0 if ok and verify["blob_get"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
