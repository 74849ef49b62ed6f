"""A real registry for the tests: the CNCF distribution registry on 127.0.0.1.

:class:`Registry` starts ``/usr/bin/docker-registry`` (Debian package
``docker-registry``) with a generated config and a temporary storage
directory, and pushes test content through the Distribution API with a small
push helper (blobs, configs, image manifests, indexes). Nothing here talks to
anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from planner.model.manifest import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST

# 127.0.0.1 - - [27/Nov/2026:03:07:14 +0000] "GET /v2/ HTTP/1.1" 401 87 "" "python-httpx/0.28.1"
_ACCESS_LINE = re.compile(r'\] "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"

OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Pushed:
    """A pushed document: its descriptor fields and bytes."""

    media_type: str
    digest: str
    size: int
    data: bytes
    blobs: tuple[bytes, ...] = ()
    """For an image: its config, then its layers, as pushed."""

    def descriptor(self, **extra: Any) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


class Registry:
    """One distribution registry process with its own storage."""

    def __init__(
        self,
        workdir: Path,
        *,
        auth: dict[str, Any] | None = None,
        redirect_to: str | None = None,
        tls: tuple[Path, Path] | None = None,
        port: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log_path = workdir / "registry.log"
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "formatter": "json", "accesslog": {"disabled": False}},
            "storage": {
                "filesystem": {"rootdirectory": str(workdir / "storage")},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {"addr": self.host, "secret": "pull-planner-tests"},
        }
        if auth:
            config["auth"] = auth
        if tls:
            config["http"]["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
        self.scheme = "https" if tls else "http"
        self.url = f"{self.scheme}://{self.host}"
        if redirect_to:
            # distribution's redirect storage middleware: blob GET/HEAD answer 307 to this base URL,
            # as registries behind a CDN do (the seed workflow's last step)
            config["middleware"] = {
                "storage": [{"name": "redirect", "options": {"baseurl": redirect_to}}]
            }
        self.config_path = workdir / "config.yml"
        self.config_path.write_text(json.dumps(config))  # JSON is YAML
        self._process: subprocess.Popen[bytes] | None = None
        self.push_auth: httpx.Auth | None = None
        self._http: httpx.Client | None = None
        self._http_auth: httpx.Auth | None = None

    def start(self) -> Registry:
        from tests.helpers import require_tool

        require_tool("docker-registry", "docker-registry")
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"registry exited: {self.log_path.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.scheme}://{self.host}/v2/", timeout=1, verify=False)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("registry did not start in 15 s")

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    # ------------------------------------------------------------------ access log

    def requests(self) -> list[dict[str, Any]]:
        """Every request the registry served, from its access log (Combined Log Format)."""
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = _ACCESS_LINE.search(line)
            if match:
                out.append(
                    {
                        "method": match["method"],
                        "path": match["path"],
                        "status": int(match["status"]),
                    }
                )
        return out

    def mark(self) -> int:
        """A position in the access log; see :meth:`since`."""
        return len(self.requests())

    def since(self, mark: int) -> list[dict[str, Any]]:
        """Requests served after ``mark``, once the log has caught up with the responses."""
        previous: list[dict[str, Any]] = []
        for _ in range(20):
            current = self.requests()[mark:]
            if current == previous:
                return current
            previous = current
            time.sleep(0.05)
        return previous

    # ------------------------------------------------------------------ push helper

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        """One keep-alive client for all pushes (a new client costs ~30 ms of TLS set-up)."""
        if self._http is None or self._http_auth is not self.push_auth:
            if self._http is not None:
                self._http.close()
            # a TLS test registry has a self-signed certificate: the push helper trusts it
            self._http = httpx.Client(
                base_url=self.url, auth=self.push_auth, timeout=10, verify=self.scheme == "http"
            )
            self._http_auth = self.push_auth
        yield self._http

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        with self._client() as client:
            if client.head(f"/v2/{repo}/blobs/{digest}").status_code == 200:
                return digest
            started = client.post(f"/v2/{repo}/blobs/uploads/")
            started.raise_for_status()
            location = started.headers["Location"]
            # Location carries the upload state in its query: append the digest to it.
            separator = "&" if "?" in location else "?"
            done = client.put(
                f"{location}{separator}digest={digest}",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            done.raise_for_status()
        return digest

    def push_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> Pushed:
        with self._client() as client:
            response = client.put(
                f"/v2/{repo}/manifests/{ref}", content=data, headers={"Content-Type": media_type}
            )
            if response.status_code >= 300:
                raise RuntimeError(
                    f"push {repo}:{ref} failed: {response.status_code} {response.text}"
                )
        return Pushed(media_type, sha256(data), len(data), data)

    def push_image(
        self,
        repo: str,
        platform: dict[str, Any] | None,
        layers: list[bytes],
        *,
        docker: bool = False,
        labels: dict[str, str] | None = None,
        tag: str | None = None,
        layer_extras: list[dict[str, Any]] | None = None,
        diff_ids: list[str] | None = None,
    ) -> Pushed:
        """Push config, layers and an image manifest; returns the manifest.

        ``diff_ids`` are the digests of the uncompressed layers (for real tar.gz layers that a
        client unpacks); by default each layer's own digest, which only a client that never
        unpacks accepts.
        """
        config_obj: dict[str, Any] = {
            "architecture": "",
            "os": "",
            **(platform or {}),
            "config": {"Labels": labels or {}},
            "rootfs": {
                "type": "layers",
                "diff_ids": diff_ids or [sha256(layer) for layer in layers],
            },
        }
        config = json.dumps(config_obj, sort_keys=True).encode()
        self.push_blob(repo, config)
        layer_descriptors = []
        for layer, fields in zip(layers, layer_extras or [{}] * len(layers), strict=True):
            if not fields.get("urls"):
                self.push_blob(
                    repo, layer
                )  # a foreign layer lives at its urls, not in the registry
            layer_descriptors.append(
                {
                    "mediaType": DOCKER_LAYER if docker else OCI_LAYER,
                    "digest": sha256(layer),
                    "size": len(layer),
                    **fields,
                }
            )
        manifest_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": manifest_type,
                "config": {
                    "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                    "digest": sha256(config),
                    "size": len(config),
                },
                "layers": layer_descriptors,
            },
            indent=3,
        ).encode()
        pushed = self.push_manifest(repo, tag or sha256(manifest), manifest, manifest_type)
        pushed.blobs = (config, *layers)
        return pushed

    def push_index(
        self, repo: str, tag: str, entries: list[dict[str, Any]], *, docker: bool = False
    ) -> Pushed:
        media_type = DOCKER_LIST if docker else OCI_INDEX
        data = json.dumps(
            {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}, indent=3
        ).encode()
        return self.push_manifest(repo, tag, data, media_type)
