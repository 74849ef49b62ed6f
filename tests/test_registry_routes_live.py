"""The scenarios of tests/test_registry_routes.py against the live engines Debian 12 ships:
containerd 1.6.20 (``ctr images pull --hosts-dir DIR --plain-http``) and podman 4.3.1
(``CONTAINERS_REGISTRIES_CONF``), an arm64 host each. For every scenario pull-planner must
give the same endpoint, the same digest and the same will-it-run as the engine; which
endpoint served the tag is read from the registries' access logs, not from the clients.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from planner.app.resolve import Resolution
from planner.app.route import resolve_host
from planner.hosts.profiles import HostProfile
from planner.hosts.registries import load_registry_config
from planner.model.errors import SourceError
from planner.model.reference import is_loopback
from planner.policy.loader import load_rules
from planner.transport.options import RegistryOptions
from tests.helpers import require_tool
from tests.real_clients import Containerd, Docker, Podman, lab_directory
from tests.registry import Registry
from tests.test_registry_routes import (
    ARM64,
    REPO,
    SCENARIOS,
    TAG,
    Mirrors,
    Scenario,
    config_for,
    planner_answer,
    start_mirrors,
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirrors]:
    yield from start_mirrors(tmp_path_factory.mktemp("mirrors"))


@pytest.fixture(scope="module")
def containerd() -> Iterator[Containerd]:
    require_tool("ctr", "containerd")
    daemon = Containerd(lab_directory() / "containerd")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def served_tag(mirrors: Mirrors, marks: dict[str, int]) -> list[str]:
    """The registries that answered 200 for the tag's manifest since ``marks``."""
    path = f"/v2/{REPO}/manifests/{TAG}"
    return [
        name
        for name, registry in mirrors.named().items()
        if any(
            q["path"].split("?")[0] == path and q["status"] == 200
            for q in registry.since(marks[name])
        )
    ]


def live_containerd(
    daemon: Containerd, mirrors: Mirrors, config: Path, namespace: str
) -> dict[str, object]:
    marks = {name: r.mark() for name, r in mirrors.named().items()}
    command, done = daemon.ctr(
        namespace,
        "images",
        "pull",
        "--hosts-dir",
        str(config),
        "--plain-http",
        "--platform",
        "linux/arm64",
        "--snapshotter",
        Containerd.snapshotter,
        mirrors.reference,
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"
    _, listed = daemon.ctr(namespace, "images", "ls")
    row = next(
        line.split() for line in listed.stdout.splitlines() if line.startswith(mirrors.reference)
    )
    platforms = row[-2]  # REF TYPE DIGEST SIZE (two words) PLATFORMS LABELS
    served = served_tag(mirrors, marks)
    return {
        "endpoint": served[0],
        "top": row[2],
        "runs": "linux/arm64" in platforms,
        "served": served,
    }


def live_podman(mirrors: Mirrors, config: Path, workdir: Path) -> dict[str, object]:
    podman = Podman(workdir)
    env = {**podman.env, "CONTAINERS_REGISTRIES_CONF": str(config)}
    marks = {name: r.mark() for name, r in mirrors.named().items()}
    pull = [
        *podman.base,
        "pull",
        "--quiet",
        "--signature-policy",
        str(podman.config.policy),
        "--platform",
        "linux/arm64",
        mirrors.reference,
    ]
    done = subprocess.run(pull, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{pull}: {done.stderr}"
    inspect = [
        *podman.base,
        "image",
        "inspect",
        "--format",
        "{{.Digest}} {{.Architecture}}",
        mirrors.reference,
    ]
    looked = subprocess.run(
        inspect, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    digest, arch = looked.stdout.split()
    served = served_tag(mirrors, marks)
    return {
        "endpoint": served[0],
        "top": digest,
        "runs": arch == "arm64",
        "served": served,
        "said": done.stderr.strip(),
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_same_answer_as_the_engine(
    lab: Mirrors,
    containerd: Containerd,
    scenario: Scenario,
    tmp_path: Path,
) -> None:
    mirrors = lab
    predicted = planner_answer(mirrors, scenario, tmp_path)
    config = config_for(mirrors, scenario, tmp_path)
    if scenario.engine == "containerd":
        live = live_containerd(containerd, mirrors, config, scenario.name)
    else:
        require_tool("podman", "podman")
        live = live_podman(mirrors, config, lab_directory() / "podman")  # runroot: < 50 chars
    line = (
        f"{scenario.name}: engine {live['endpoint']} {str(live['top'])[:19]} runs={live['runs']};"
        f" pull-planner {predicted['endpoint']} {str(predicted['top'])[:19]} runs={predicted['runs']}"
    )
    print(line)
    assert predicted["endpoint"] == live["endpoint"], line
    assert predicted["runs"] == live["runs"], line
    # the engine records the tag's top document (containerd) or the image pulled (podman)
    expected = predicted["top"] if scenario.engine == "containerd" else predicted["image"]
    assert expected == live["top"] or predicted["top"] == live["top"], line


# ------------------------------------------------------------------ Docker: --registry-mirror


class LoopbackOnly(httpx.AsyncBaseTransport):
    """pull-planner's transport in these tests: 127.0.0.1 answers, anything else (Docker Hub,
    which a Docker mirror falls back to) is unreachable, as it is where these tests run."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_loopback(request.url.host):
            raise httpx.ConnectError(
                f"dial tcp: lookup {request.url.host}: unreachable", request=request
            )
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def docker_answer(mirrors: Mirrors, mirror: Registry, tmp_path: Path) -> Resolution:
    """pull-planner for an arm64 Docker 20.10 host whose daemon.json names ``mirror``."""
    config = tmp_path / "daemon.json"
    config.write_text(json.dumps({"registry-mirrors": [f"http://{mirror.host}"]}))
    host = HostProfile(
        "node", ARM64, load_rules("docker@20.10.24"), registry_config=load_registry_config(config)
    )
    options = RegistryOptions(use_cache=False, retries=0, transport=LoopbackOnly())
    return resolve_host(f"docker.io/{REPO}:{TAG}", host, registry=options)


def test_docker_mirror_serves_a_docker_hub_name(lab: Mirrors, tmp_path: Path) -> None:
    """A Docker Hub name through a Docker mirror with a stale copy: the mirror answers, the
    host gets amd64; upstream (Docker Hub, unreachable here) cannot say what it has."""
    result = docker_answer(lab, lab.stale, tmp_path)
    assert result.endpoint == lab.stale.host
    assert result.selected.digest == lab.amd64.digest
    assert result.problem.startswith(
        f"mirror {lab.stale.host} serves only linux/amd64 for this tag;"
        " upstream registry-1.docker.io:443 cannot be asked:"
    )


def test_docker_mirror_without_the_tag_falls_back_to_docker_hub(
    lab: Mirrors, tmp_path: Path
) -> None:
    with pytest.raises(SourceError) as caught:
        docker_answer(lab, lab.empty, tmp_path)
    message = str(caught.value)
    assert f"{lab.empty.host}: " in message and "registry-1.docker.io:443: " in message


@pytest.fixture(scope="module")
def mirrored_dockerd(lab: Mirrors, containerd: Containerd) -> Iterator[Docker]:
    """dockerd 20.10 with ``--registry-mirror`` the stale mirror."""
    require_tool("dockerd", "docker.io")
    workdir = lab_directory() / "docker"
    workdir.mkdir(parents=True)
    wrapper = workdir / "dockerd-with-mirror"
    dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    wrapper.write_text(
        f'#!/bin/sh\nexec {dockerd} --registry-mirror http://{lab.stale.host} "$@"\n'
    )
    wrapper.chmod(0o755)
    daemon = Docker(workdir, containerd)
    daemon.binary = str(wrapper)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def test_dockerd_agrees(lab: Mirrors, mirrored_dockerd: Docker, tmp_path: Path) -> None:
    predicted = docker_answer(lab, lab.stale, tmp_path)
    marks = {name: r.mark() for name, r in lab.named().items()}
    _, done = mirrored_dockerd.docker(
        "pull", "--platform", "linux/arm64", f"docker.io/{REPO}:{TAG}"
    )
    served = served_tag(lab, marks)
    said = (done.stdout + done.stderr).strip().splitlines()[-1:]
    _, looked = mirrored_dockerd.docker(
        "image",
        "inspect",
        "--format",
        "{{.Architecture}} {{.RepoDigests}}",
        f"docker.io/{REPO}:{TAG}",
    )
    line = (
        f"docker-stale-mirror: engine {served} exit {done.returncode} {said} {looked.stdout.strip()!r};"
        f" pull-planner {predicted.endpoint} {predicted.selected.digest[:19]} problem={predicted.problem!r}"
    )
    print(line)
    assert served == ["stale"], line
    assert predicted.endpoint == lab.stale.host
    assert done.returncode == 0, line  # dockerd 20.10 pulls the amd64 copy without a word
    arch, digests = looked.stdout.split(" ", 1)
    assert predicted.selected is not None and predicted.selected.digest in digests, line
    assert arch == "amd64" and predicted.problem, line  # will not run on the arm64 host
