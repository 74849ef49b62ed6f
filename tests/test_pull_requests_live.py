"""Requests per pull, measured: the live engines Debian 12 ships pull a two-platform index
from a real loopback registry, and the requests they make (read from the registry's access
log) must equal what the family's rule file says (``requests:``) and what pull-planner puts
in every result (``pull_requests``).

containerd 1.6.20 (``ctr images pull``), podman 4.3.1 (``podman pull``), skopeo 1.9.3
(``skopeo copy`` to a ``dir:``) and dockerd 20.10.24 (``docker pull``), each with an empty
store, for ``linux/amd64``: the index, the amd64 child, its config and its one layer.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator

import pytest

from planner.app.plan import plan
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.transport.options import RegistryOptions
from tests.helpers import require_tool
from tests.real_clients import Containerd, Docker, Podman, lab_directory, tar_gz_layer
from tests.registry import Registry

REPO = "counted/app"
AMD64 = Platform("linux", "amd64")

RULES = {
    "containerd": "containerd@1.6.20",
    "podman": "podman@4.3.1",
    "skopeo": "skopeo@1.9.3",
    "docker": "docker@20.10.24",
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    require_tool("docker-registry", "docker-registry")
    served = Registry(tmp_path_factory.mktemp("counted")).start()
    try:
        yield served
    finally:
        served.stop()


def push_two_platforms(registry: Registry, tag: str) -> str:
    entries = []
    for position, arch in enumerate(("amd64", "arm64")):
        layer, diff_id = tar_gz_layer(f"{tag} {arch}\n")
        image = registry.push_image(
            REPO,
            {"os": "linux", "architecture": arch},
            [layer],
            labels={"entry": str(position)},
            diff_ids=[diff_id],
        )
        entries.append(image.descriptor(platform={"os": "linux", "architecture": arch}))
    registry.push_index(REPO, tag, entries)
    return f"{registry.host}/{REPO}:{tag}"


def counted(requests: list[dict[str, object]]) -> dict[str, int]:
    """The access log's manifest HEADs, manifest GETs and blob GETs (successful ones)."""
    kinds: Counter[str] = Counter()
    for q in requests:
        path = str(q["path"]).split("?")[0]
        if int(str(q["status"])) >= 300 or not path.startswith(f"/v2/{REPO}/"):
            continue
        if "/manifests/" in path:
            kinds["manifest_" + str(q["method"]).lower()] += 1
        elif "/blobs/" in path and q["method"] == "GET":
            kinds["blob_get"] += 1
    return {k: kinds[k] for k in ("manifest_get", "manifest_head", "blob_get")}


def pulled(client: str, registry: Registry, reference: str) -> dict[str, int]:
    workdir = lab_directory()
    mark = registry.mark()
    try:
        if client == "containerd":
            require_tool("ctr", "containerd")
            daemon = Containerd(workdir / "containerd")
            daemon.start()
            try:
                daemon.pull(reference, AMD64)
            finally:
                daemon.stop()
        elif client == "docker":
            require_tool("dockerd", "docker.io")
            containerd = Containerd(workdir / "containerd")
            docker = Docker(workdir / "docker", containerd)
            docker.start()
            try:
                docker.pull(reference, AMD64)
            finally:
                docker.stop()
                containerd.stop()
        elif client == "podman":
            require_tool("podman", "podman")
            Podman(workdir / "podman").pull(reference, AMD64)
        else:
            require_tool("skopeo", "skopeo")
            copy = [
                "skopeo",
                "copy",
                "--src-tls-verify=false",
                "--override-os",
                "linux",
                "--override-arch",
                "amd64",
                f"docker://{reference}",
                f"dir:{workdir / 'copy'}",
            ]
            done = subprocess.run(copy, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        return counted(registry.since(mark))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("client", sorted(RULES))
def test_requests_per_pull_are_what_the_engine_makes(client: str, registry: Registry) -> None:
    reference = push_two_platforms(registry, f"t-{client}")
    live = pulled(client, registry, reference)
    rules = load_rules(RULES[client])
    options = RegistryOptions(use_cache=False)
    made = plan(reference, AMD64, rules, registry=options)
    planned = made.requests
    assert planned is not None
    assert planned.to_dict() == live, (client, live)
    # every result carries it: the plan's JSON
    assert made.to_dict()["pull_requests"] == live
