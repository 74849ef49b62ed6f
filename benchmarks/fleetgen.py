"""Inputs for the scale benchmarks: a 100-entry index saved as JSON and fleets of distinct hosts.

    python benchmarks/fleetgen.py DIR [--hosts 10000] [--entries 100] [--rules docker]

Writes ``DIR/index.json`` (an OCI index of ``--entries`` image manifests: the
Linux platforms of ``benchmarks/run.py`` plus riscv64 and mips64le, and every
tenth entry a Windows image of build 17763, 20348 or 26100 with its own
revision) and ``DIR/hosts-N.yaml``: N Windows hosts of one build (20348)
whose revisions all differ, so that no two hosts share an answer and the
resolver's memo never helps. Each image manifest is saved next to the index
(``sha256:<hex>.json``), so a run with plans can read it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LINUX = [
    ("amd64", ""),
    ("amd64", "v3"),
    ("arm64", "v8"),
    ("arm", "v7"),
    ("arm", "v6"),
    ("386", ""),
    ("ppc64le", ""),
    ("s390x", ""),
]
"""The Linux platforms of the benchmark images (benchmarks/run.py pushes these too)."""
ARCHS = [*LINUX, ("riscv64", ""), ("mips64le", "")]


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry_platform(i: int) -> dict[str, str]:
    """The platform of entry ``i``: Linux, or every tenth a Windows build with its own revision."""
    if i % 10 == 9:
        build = (17763, 20348, 26100)[i % 3]
        return {"os": "windows", "architecture": "amd64", "os.version": f"10.0.{build}.{i}"}
    arch, variant = ARCHS[i % len(ARCHS)]
    return {"os": "linux", "architecture": arch, **({"variant": variant} if variant else {})}


def write_index(directory: Path, entries: int = 100, name: str = "index.json") -> Path:
    """The index and its image manifests (one config and one layer each, sizes only)."""
    directory.mkdir(parents=True, exist_ok=True)
    manifests: list[dict[str, Any]] = []
    for i in range(entries):
        platform = entry_platform(i)
        layer = _digest(f"layer {i}".encode())
        shared = _digest(b"shared base layer")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _digest(f"config {i}".encode()),
                    "size": 1000 + i,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": shared,
                        "size": 30_000_000,
                    },
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer,
                        "size": 1_000_000 + i,
                    },
                ],
            }
        ).encode()
        digest = _digest(manifest)
        (directory / f"{digest}.json").write_bytes(manifest)
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": len(manifest),
                "platform": platform,
            }
        )
    path = directory / name
    path.write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    )
    return path


def write_hosts(directory: Path, count: int, rules: str | None = None, build: int = 20348) -> Path:
    """``count`` Windows hosts of one build, each with its own revision."""
    lines = ["hosts:"] if rules is None else [f"defaults: {{rules: {rules}}}", "hosts:"]
    lines += [
        f"  - {{name: h{i:05d}, platform: 'windows(10.0.{build}.{i + 1})/amd64'}}"
        for i in range(count)
    ]
    path = directory / f"hosts-{count}{'-' + rules if rules else ''}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--rules", default=None)
    args = parser.parse_args()
    index = write_index(args.directory, args.entries)
    hosts = write_hosts(args.directory, args.hosts, args.rules)
    print(index)
    print(hosts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
