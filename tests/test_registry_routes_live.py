"""The scenarios of tests/test_registry_routes.py against the live engines Debian 12 ships:
containerd 1.6.20 (``ctr images pull --hosts-dir DIR --plain-http``) and podman 4.3.1
(``CONTAINERS_REGISTRIES_CONF``), an arm64 host each. For every scenario pull-planner must
give the same endpoint, the same digest and the same will-it-run as the engine; which
endpoint served the tag is read from the registries' access logs, not from the clients.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import require_tool
from tests.real_clients import Containerd, Podman, lab_directory
from tests.test_registry_routes import (
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
