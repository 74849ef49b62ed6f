"""Helpers shared by the tests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from planner.model.manifest import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED_INDEX = EXAMPLES / "dotnet-core-runtime-3.0.json"


def fake_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def index_json(entries: list[dict[str, Any]], *, docker: bool = False) -> bytes:
    """An index document with the given entry objects (descriptor fields filled in)."""
    manifests = []
    for i, entry in enumerate(entries):
        descriptor = {
            "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
            "digest": fake_digest(f"entry-{i}-{json.dumps(entry, sort_keys=True)}"),
            "size": 500 + i,
        }
        descriptor.update(entry)
        manifests.append(descriptor)
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_LIST if docker else OCI_INDEX,
            "manifests": manifests,
        },
        indent=2,
    ).encode()


class OciLayout:
    """Builds an OCI image layout on disk for tests (image-spec image-layout.md)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.entries: list[dict[str, Any]] = []

    def blob(self, data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        return {"digest": digest, "size": len(data)}

    def image(
        self,
        platform: dict[str, Any],
        layers: list[bytes] = (b"layer",),  # type: ignore[assignment]
        *,
        write_config: bool = True,
        write_layers: bool = True,
    ) -> dict[str, Any]:
        """An image manifest; returns its descriptor (with the platform)."""
        config_data = json.dumps(
            {**platform, "rootfs": {"type": "layers", "diff_ids": []}}
        ).encode()
        config = {"mediaType": "application/vnd.oci.image.config.v1+json"}
        if write_config:
            config.update(self.blob(config_data))
        else:
            config.update(
                digest="sha256:" + hashlib.sha256(config_data).hexdigest(), size=len(config_data)
            )
        layer_descriptors = []
        for layer in layers:
            d = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
            if write_layers:
                d.update(self.blob(layer))
            else:
                d.update(digest="sha256:" + hashlib.sha256(layer).hexdigest(), size=len(layer))
            layer_descriptors.append(d)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": config,
                "layers": layer_descriptors,
            }
        ).encode()
        return {"mediaType": OCI_MANIFEST, **self.blob(manifest), "platform": platform}

    def index(
        self, manifests: list[dict[str, Any]], platform: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        data = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        ).encode()
        descriptor = {"mediaType": OCI_INDEX, **self.blob(data)}
        if platform is not None:
            descriptor["platform"] = platform
        return descriptor

    def tag(self, descriptor: dict[str, Any], name: str | None) -> None:
        entry = {k: v for k, v in descriptor.items() if k != "platform"}
        if name is not None:
            entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.entries.append(entry)
        self.write_index()

    def write_index(self) -> None:
        (self.root / "index.json").write_text(
            json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries})
        )


def require_tool(command: str, package: str) -> str:
    """The path of a real tool the test needs: skip without it, but fail in CI (CI=true)."""
    import os
    import shutil

    import pytest

    path = shutil.which(command)
    if path is None:
        message = f"{command} is not installed (apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI must install it (.ci/run)")
        pytest.skip(message)
    return path


def cli(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the real CLI in a fresh process, with a deadline: a hang fails the test."""
    done = subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return done.returncode, done.stdout, done.stderr
