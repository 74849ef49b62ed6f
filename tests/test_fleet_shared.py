"""Fleets share work: one plan per chosen manifest and present set, every figure in one pass.

Hosts that choose the same manifest with the same blobs present share the
plan's blobs and totals, yet each pair keeps its own resolution (its host) and
warnings; the fleet figures equal a plain per-host, per-image count.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from planner.app.fleet import FleetReport, run_fleet
from planner.hosts.records import HostProfile
from planner.model.platform import Platform
from planner.policy.loader import load_rules

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _image(directory: Path, name: str, platforms: list[dict[str, str]]) -> Path:
    """An index saved as JSON, each image manifest next to it: a shared base and its own layer."""
    entries = []
    for i, platform in enumerate(platforms):
        layers = [
            {"mediaType": LAYER, "digest": _digest(b"base"), "size": 1000},
            {"mediaType": LAYER, "digest": _digest(f"{name} {i}".encode()), "size": 10 + i},
        ]
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": _digest(f"{name} config {i}".encode()),
                    "size": 100 + i,
                },
                "layers": layers,
            }
        ).encode()
        digest = _digest(manifest)
        (directory / f"{digest}.json").write_bytes(manifest)
        entries.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": len(manifest),
                "platform": platform,
            }
        )
    path = directory / f"{name}.json"
    path.write_text(json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}))
    return path


def _plain_figures(report: FleetReport) -> tuple[dict[str, int], dict[str, tuple[int, int]], int]:
    """The figures counted the slow, obvious way."""

    def download(pairs: list[object]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for pair in report.pairs:
            if pair in pairs and pair.plan is not None:
                for blob in pair.plan.blobs:
                    if not blob.present:
                        sizes[blob.descriptor.digest] = blob.descriptor.size
        return sizes

    hosts = {
        h.name: sum(download([p for p in report.pairs if p.host.name == h.name]).values())
        for h in report.hosts
    }
    images = {}
    for image in report.images:
        pairs = [p for p in report.pairs if p.image == image]
        total = sum(sum(download([p]).values()) for p in pairs)
        images[image] = (total, sum(download(pairs).values()))
    return hosts, images, sum(download(list(report.pairs)).values())


def test_plans_shared_and_figures_exact(tmp_path: Path) -> None:
    windows = {"os": "windows", "architecture": "amd64"}
    first = _image(
        tmp_path,
        "first",
        [
            {"os": "linux", "architecture": "amd64"},
            {"os": "linux", "architecture": "arm64"},
            {**windows, "os.version": "10.0.20348.100"},
        ],
    )
    second = _image(
        tmp_path,
        "second",
        [{"os": "linux", "architecture": "amd64"}, {**windows, "os.version": "10.0.20348.5"}],
    )
    docker = load_rules("docker")
    hosts = [
        HostProfile("w1", Platform.parse("windows(10.0.20348.1)/amd64"), docker),
        HostProfile("w2", Platform.parse("windows(10.0.20348.2)/amd64"), docker),
        HostProfile("l1", Platform.parse("linux/amd64"), docker),
        HostProfile("r1", Platform.parse("linux/arm64"), docker),
    ]
    images = [str(first), str(second)]
    report = run_fleet(images, hosts)
    w1, w2 = report.pair("w1", str(first)), report.pair("w2", str(first))
    assert w1.plan is not None and w2.plan is not None
    assert w1.plan.blobs is w2.plan.blobs  # planned once
    assert w1.plan.resolution.host == hosts[0].platform
    assert w2.plan.resolution.host == hosts[1].platform
    assert w1.plan.warnings == w2.plan.warnings
    assert report.pair("r1", str(second)).status == "no-image"
    hosts_bytes, images_bytes, unique = _plain_figures(report)
    assert {h.name: report.host_bytes(h.name) for h in hosts} == hosts_bytes
    assert {i: report.image_bytes(i) for i in images} == images_bytes
    assert report.unique_bytes == unique
    assert report.total_bytes == sum(hosts_bytes.values())
    assert report.fleet_dict()["hosts"] == hosts_bytes


def test_present_blobs_split_shared_plans(tmp_path: Path) -> None:
    """A host that already has the base layer gets its own plan, without that layer."""
    index = _image(tmp_path, "app", [{"os": "linux", "architecture": "amd64"}])
    docker = load_rules("docker")
    hosts = [
        HostProfile("a", Platform.parse("linux/amd64"), docker),
        HostProfile("b", Platform.parse("linux/amd64/v1"), docker),
    ]
    plain = run_fleet([str(index)], hosts)
    warm = run_fleet([str(index)], hosts, present={_digest(b"base")})
    assert plain.host_bytes("a") == plain.host_bytes("b") == 1000 + 10 + 100
    assert warm.host_bytes("a") == warm.host_bytes("b") == 10 + 100
    assert warm.unique_bytes == 110
