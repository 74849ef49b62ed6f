"""Build examples/webapp: an OCI image layout for trying pull-planner offline.

Two tags of a multi-platform image, ``2.0`` and ``2.1``, that share their base
layers (like two releases of one application), with linux/amd64,
linux/amd64/v3, linux/arm64/v8, linux/arm/v7 and Windows (ltsc2019 with a
non-distributable base layer, ltsc2022) images, plus a BuildKit attestation
manifest. Indexes, manifests and configs are real files; layer blobs are left
out, as in most layouts used for planning (their sizes are realistic).

The output is deterministic; tests rebuild it and compare with the committed
copy. Run ``python examples/build_webapp_layout.py`` after changing it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"
FOREIGN = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
EMPTY_LAYER = "sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1"  # gzip of an empty tar


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fake_layer(name: str, size: int, media_type: str = LAYER, **extra: Any) -> dict[str, Any]:
    """A layer descriptor whose blob is not in the layout (a stable fake digest)."""
    return {"mediaType": media_type, "digest": digest_of(name.encode()), "size": size, **extra}


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}\n')

    def blob(self, obj: dict[str, Any]) -> tuple[str, int]:
        data = (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode()
        digest = digest_of(data)
        (self.blobs / digest[7:]).write_bytes(data)
        return digest, len(data)

    def image(
        self, platform: dict[str, Any], layers: list[dict[str, Any]], version: str
    ) -> dict[str, Any]:
        config = {
            **platform,
            "created": "2026-11-01T00:00:00Z",
            "config": {"Labels": {"org.opencontainers.image.version": version}},
            "rootfs": {
                "type": "layers",
                "diff_ids": [digest_of(("diff " + layer["digest"]).encode()) for layer in layers],
            },
        }
        config_digest, config_size = self.blob(config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
            "layers": layers,
        }
        digest, size = self.blob(manifest)
        return {"mediaType": OCI_MANIFEST, "digest": digest, "size": size, "platform": platform}

    def index(self, manifests: list[dict[str, Any]]) -> dict[str, Any]:
        digest, size = self.blob(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        )
        return {"mediaType": OCI_INDEX, "digest": digest, "size": size}


LINUX = {
    "amd64": ({"os": "linux", "architecture": "amd64"}, 29_126_484),
    "amd64-v3": ({"os": "linux", "architecture": "amd64", "variant": "v3"}, 29_126_484),
    "arm64": ({"os": "linux", "architecture": "arm64", "variant": "v8"}, 28_882_116),
    "armv7": ({"os": "linux", "architecture": "arm", "variant": "v7"}, 24_064_939),
}


def release(layout: Layout, version: str, app_sizes: dict[str, int]) -> dict[str, Any]:
    entries = []
    for name, (platform, base) in LINUX.items():
        base_name = name.replace("-v3", "")  # amd64/v3 shares the amd64 base layer
        layers = [
            fake_layer(f"debian bookworm {base_name}", base),
            fake_layer(f"python 3.13 runtime {base_name}", 12_318_221 + base // 100),
            fake_layer(f"webapp {version} {name}", app_sizes[name]),
        ]
        if name == "armv7":  # a layer listed twice: downloaded once
            layers[1:1] = [{"mediaType": LAYER, "digest": EMPTY_LAYER, "size": 32}]
            layers.append({"mediaType": LAYER, "digest": EMPTY_LAYER, "size": 32})
        entries.append(layout.image(platform, layers, version))
    for build, revision, servercore in (
        ("17763", "6054", 1_791_264_582),
        ("20348", "2849", 1_602_354_117),
    ):
        platform = {
            "os": "windows",
            "architecture": "amd64",
            "os.version": f"10.0.{build}.{revision}",
        }
        base_digest = digest_of(f"servercore {build}".encode())
        layers = [
            fake_layer(
                f"servercore {build}",
                servercore,
                FOREIGN,
                urls=[f"https://mcr.microsoft.com/v2/windows/servercore/blobs/{base_digest}"],
            ),
            fake_layer(f"python windows {build}", 48_205_317),
            fake_layer(f"webapp {version} windows {build}", app_sizes["windows"], ZSTD_LAYER),
        ]
        entries.append(layout.image(platform, layers, version))
    attestation = layout.image(
        {"os": "unknown", "architecture": "unknown"},
        [fake_layer(f"sbom {version}", 8_771)],
        version,
    )
    attestation["annotations"] = {
        "vnd.docker.reference.type": "attestation-manifest",
        "vnd.docker.reference.digest": entries[0]["digest"],
    }
    entries.append(attestation)
    return layout.index(entries)


def build(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    layout = Layout(root)
    tags = {
        "2.0": release(
            layout,
            "2.0",
            {
                "amd64": 4_208_511,
                "amd64-v3": 4_301_092,
                "arm64": 4_107_346,
                "armv7": 3_905_871,
                "windows": 5_012_774,
            },
        ),
        "2.1": release(
            layout,
            "2.1",
            {
                "amd64": 4_391_207,
                "amd64-v3": 4_482_660,
                "arm64": 4_288_039,
                "armv7": 4_067_312,
                "windows": 5_207_118,
            },
        ),
    }
    manifests = [
        {**descriptor, "annotations": {"org.opencontainers.image.ref.name": tag}}
        for tag, descriptor in tags.items()
    ]
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}, indent=2)
        + "\n"
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "webapp")
