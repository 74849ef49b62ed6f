"""Test content pushed to the session registry: multi-platform, Docker list, single, nested."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.registry import Pushed, Registry

ATTESTATION = {"vnd.docker.reference.type": "attestation-manifest"}
MULTI_PLATFORMS: list[dict[str, Any]] = [
    {"os": "linux", "architecture": "amd64"},
    {"os": "linux", "architecture": "amd64", "variant": "v3"},
    {"os": "linux", "architecture": "arm64", "variant": "v8"},
    {"os": "linux", "architecture": "arm", "variant": "v7"},
    {"os": "linux", "architecture": "arm", "variant": "v6"},
    {"os": "linux", "architecture": "386"},
    {"os": "linux", "architecture": "ppc64le"},
    {"os": "linux", "architecture": "s390x"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2849"},
    {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.6054"},
]


@dataclass
class Content:
    """What the session registry holds, and how it was built."""

    registry: Registry
    images: dict[str, list[Pushed]] = field(default_factory=dict)
    indexes: dict[str, Pushed] = field(default_factory=dict)
    layers: dict[str, list[bytes]] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return f"{self.registry.host}/{name}"


def push_content(registry: Registry) -> Content:
    content = Content(registry)
    multi = []
    entries = []
    for i, platform in enumerate(MULTI_PLATFORMS):
        layers = [b"shared base layer " * 50, f"app layer {i}".encode() * (i + 1)]
        image = registry.push_image("multi", platform, layers, labels={"entry": str(i)})
        multi.append(image)
        entries.append(image.descriptor(platform=platform))
    for i in (0, 2):  # BuildKit-style attestation manifests for two images
        attestation = registry.push_image("multi", None, [f"sbom {i}".encode()])
        entries.append(
            attestation.descriptor(
                platform={"os": "unknown", "architecture": "unknown"},
                annotations={**ATTESTATION, "vnd.docker.reference.digest": multi[i].digest},
            )
        )
    content.images["multi"] = multi
    content.indexes["multi:oci"] = registry.push_index("multi", "oci", entries)

    docker_images = [
        registry.push_image("multi", p, [f"docker {i}".encode()], docker=True)
        for i, p in enumerate(MULTI_PLATFORMS[:4])
    ]
    content.images["docker"] = docker_images
    content.indexes["multi:docker"] = registry.push_index(
        "multi",
        "docker",
        [
            img.descriptor(platform=p)
            for img, p in zip(docker_images, MULTI_PLATFORMS[:4], strict=True)
        ],
        docker=True,
    )

    content.images["single"] = [
        registry.push_image(
            "single", {"os": "linux", "architecture": "arm64"}, [b"single"], tag="1"
        )
    ]

    inner_arm64 = registry.push_image("nested", {"os": "linux", "architecture": "arm64"}, [b"n1"])
    inner = registry.push_index(
        "nested",
        "inner",
        [inner_arm64.descriptor(platform={"os": "linux", "architecture": "arm64"})],
    )
    outer_amd64 = registry.push_image("nested", {"os": "linux", "architecture": "amd64"}, [b"n2"])
    content.images["nested"] = [outer_amd64, inner_arm64]
    content.indexes["nested:1"] = registry.push_index(
        "nested",
        "1",
        [
            outer_amd64.descriptor(platform={"os": "linux", "architecture": "amd64"}),
            inner.descriptor(),
        ],
    )
    return content


def saved(path: Path, pushed: Pushed) -> str:
    path.write_bytes(pushed.data)
    return str(path)
