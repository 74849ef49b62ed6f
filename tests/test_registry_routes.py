"""Where each host really pulls from, against three real registries on 127.0.0.1.

* upstream: ``team/app:1.0`` is an index (linux/amd64, linux/arm64);
* mirror ``stale``: the same tag is a single-arch linux/amd64 copy (what a ``pull && push``
  mirroring job leaves);
* mirror ``empty``: no such tag.

Each scenario is a registry configuration of one engine; pull-planner's answer (the endpoint,
the digest, will it run) is checked here, and against the live engines in
tests/test_registry_routes_live.py. Which endpoint served what is read from the registries'
access logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from planner.app.route import resolve_host
from planner.hosts.profiles import HostProfile
from planner.hosts.registries import InvalidRegistryConfig, load_registry_config
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.transport.options import RegistryOptions
from tests.real_clients import tar_gz_layer
from tests.registry import Pushed, Registry

REPO = "team/app"
TAG = "1.0"


@dataclass
class Mirrors:
    upstream: Registry
    stale: Registry
    empty: Registry
    amd64: Pushed
    arm64: Pushed
    index: Pushed
    workdir: Path

    @property
    def reference(self) -> str:
        return f"{self.upstream.host}/{REPO}:{TAG}"

    def registry(self, endpoint: str) -> str:
        return {r.host: n for n, r in self.named().items()}[endpoint]

    def named(self) -> dict[str, Registry]:
        return {"upstream": self.upstream, "stale": self.stale, "empty": self.empty}


def push_images(registry: Registry) -> tuple[Pushed, Pushed]:
    images = []
    for arch in ("amd64", "arm64"):
        layer, diff_id = tar_gz_layer(f"app for {arch}\n")
        images.append(
            registry.push_image(
                REPO,
                {"os": "linux", "architecture": arch},
                [layer],
                diff_ids=[diff_id],
                labels={"arch": arch},
            )
        )
    return images[0], images[1]


def start_mirrors(base: Path, ports: tuple[int | None, ...] = (None,) * 3) -> Iterator[Mirrors]:
    """The three registries, pushed; stopped when the generator is closed."""
    started = [
        Registry(_dir(base / name), port=port).start()
        for name, port in zip(("upstream", "stale", "empty"), ports, strict=True)
    ]
    upstream, stale, empty = started
    try:
        amd64, arm64 = push_images(upstream)
        index = upstream.push_index(
            REPO,
            TAG,
            [
                amd64.descriptor(platform={"os": "linux", "architecture": "amd64"}),
                arm64.descriptor(platform={"os": "linux", "architecture": "arm64"}),
            ],
        )
        copy, _ = push_images(stale)  # the same amd64 image, pushed alone under the tag
        stale.push_manifest(REPO, TAG, copy.data, copy.media_type)
        empty.push_blob("other/thing", b"nothing here")
        yield Mirrors(upstream, stale, empty, amd64, arm64, index, base)
    finally:
        for registry in started:
            registry.stop()


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirrors]:
    yield from start_mirrors(tmp_path_factory.mktemp("mirrors"))


# ------------------------------------------------------------------ the scenarios


def hosts_dir(
    root: Path, upstream: str, mirror: str, capabilities: str = '"pull", "resolve"'
) -> Path:
    directory = root / upstream
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.toml").write_text(
        f'server = "http://{upstream}"\n\n[host."http://{mirror}"]\n  capabilities = [{capabilities}]\n'
    )
    return root


def registries_conf(path: Path, upstream: str, mirror: str, pull_from: str = "all") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "unqualified-search-registries = []\n\n"
        f'[[registry]]\nlocation = "{upstream}"\ninsecure = true\n\n'
        f'[[registry.mirror]]\nlocation = "{mirror}"\ninsecure = true\npull-from-mirror = "{pull_from}"\n'
    )
    return path


@dataclass(frozen=True)
class Scenario:
    name: str
    engine: str
    """``containerd`` or ``podman``."""
    mirror: str
    """``stale`` or ``empty``."""
    pull_from: str = "all"
    expected_endpoint: str = ""
    """``stale`` or ``upstream``."""
    runs: bool = True


SCENARIOS = [
    Scenario(
        "containerd-stale-mirror", "containerd", "stale", expected_endpoint="stale", runs=False
    ),
    Scenario("containerd-mirror-without-tag", "containerd", "empty", expected_endpoint="upstream"),
    Scenario("podman-stale-mirror", "podman", "stale", expected_endpoint="stale", runs=False),
    Scenario("podman-mirror-without-tag", "podman", "empty", expected_endpoint="upstream"),
    Scenario("podman-digest-only-mirror", "podman", "stale", "digest-only", "upstream"),
]
RULES = {"containerd": "containerd@1.6.20", "podman": "podman@4.3.1"}
ARM64 = Platform.parse("linux/arm64")


def config_for(mirrors: Mirrors, scenario: Scenario, root: Path) -> Path:
    mirror = mirrors.named()[scenario.mirror].host
    if scenario.engine == "containerd":
        return hosts_dir(root / "certs.d", mirrors.upstream.host, mirror)
    return registries_conf(
        root / "registries.conf", mirrors.upstream.host, mirror, scenario.pull_from
    )


def planner_answer(mirrors: Mirrors, scenario: Scenario, root: Path) -> dict[str, object]:
    """The endpoint, the digest pulled (the tag's top document there, and the image) and
    whether it runs, as pull-planner says; and the endpoints its requests went to."""
    config = load_registry_config(config_for(mirrors, scenario, root))
    host = HostProfile("node", ARM64, load_rules(RULES[scenario.engine]), registry_config=config)
    marks = {name: r.mark() for name, r in mirrors.named().items()}
    result = resolve_host(
        mirrors.reference, host, registry=RegistryOptions(use_cache=False, retries=0)
    )
    served = {
        name: [q for q in r.since(marks[name]) if "/manifests/" in q["path"] and q["status"] == 200]
        for name, r in mirrors.named().items()
    }
    assert result.selected is not None
    return {
        "endpoint": mirrors.registry(result.endpoint),
        "top": (result.index or result.selected).digest,
        "image": result.selected.digest,
        "runs": not result.problem,
        "problem": result.problem,
        "asked": sorted(n for n, q in served.items() if q),
        "result": result,
    }


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_planner_answers(mirrors: Mirrors, scenario: Scenario, tmp_path: Path) -> None:
    answer = planner_answer(mirrors, scenario, tmp_path)
    assert answer["endpoint"] == scenario.expected_endpoint
    assert answer["runs"] is scenario.runs
    if scenario.expected_endpoint == "stale":
        assert answer["image"] == mirrors.amd64.digest
        assert answer["problem"] == (
            f"mirror {mirrors.stale.host} serves only linux/amd64 for this tag;"
            " upstream has linux/arm64"
        )
    else:
        assert answer["top"] == mirrors.index.digest
        assert answer["image"] == mirrors.arm64.digest
        # an endpoint is asked only when the host would ask it
        assert "stale" not in answer["asked"] or scenario.mirror == "stale"


def test_route_in_json_and_text(
    mirrors: Mirrors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    config = hosts_dir(tmp_path / "certs.d", mirrors.upstream.host, mirrors.stale.host)
    args = [
        "resolve",
        mirrors.reference,
        "--platform",
        "linux/arm64",
        "--rules",
        "containerd@1.6.20",
        "--registry-config",
        str(config),
        "--no-cache",
    ]
    # the stale mirror's amd64 image is the pick and will not run: exit 1 (issue 22, item 11)
    assert main([*args, "--format", "json", "--stats"]) == 1
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert data["endpoint"] == mirrors.stale.host
    assert data["route"]["from"] == f"{config}/{mirrors.upstream.host}/hosts.toml:3:1"
    assert data["route"]["fallbacks"] == [mirrors.upstream.host]
    assert set(data["stats"]["by_endpoint"]) == {mirrors.stale.host, mirrors.upstream.host}
    assert main(args) == 1
    out, _ = capsys.readouterr()
    assert f"from     {mirrors.stale.host}" in out
    assert "hosts.toml:3:1)" in out
    assert f"mirror {mirrors.stale.host} serves only linux/amd64 for this tag" in out


def test_check_pairs_carry_the_endpoint(
    mirrors: Mirrors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    hosts_dir(tmp_path / "certs.d", mirrors.upstream.host, mirrors.stale.host)
    (tmp_path / "hosts.yaml").write_text(
        "defaults: {rules: containerd@1.6.20, registry_config: certs.d}\n"
        "hosts:\n  - {name: arm-node, platform: linux/arm64}\n  - {name: x86-node, platform: linux/amd64}\n"
    )
    code = main(
        [
            "check",
            mirrors.reference,
            "--hosts",
            str(tmp_path / "hosts.yaml"),
            "--format",
            "json",
            "--no-cache",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    pairs = {p["host"]: p for p in data["pairs"]}
    assert code == 1
    assert pairs["arm-node"]["status"] == "will-not-run"
    assert pairs["arm-node"]["endpoint"] == mirrors.stale.host
    assert "serves only linux/amd64" in pairs["arm-node"]["problem"]
    assert pairs["x86-node"]["status"] == "ok"


def test_engine_refusals(mirrors: Mirrors, tmp_path: Path) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(f'[[registry]]\nlocation = "{mirrors.upstream.host}"\nblocked = true\n')
    host = HostProfile(
        "node", ARM64, load_rules("podman@4.3.1"), registry_config=load_registry_config(conf)
    )
    with pytest.raises(InvalidRegistryConfig, match="every source is blocked"):
        resolve_host(mirrors.reference, host)
    wrong = HostProfile(
        "node", ARM64, load_rules("docker@20.10.24"), registry_config=load_registry_config(conf)
    )
    with pytest.raises(InvalidRegistryConfig, match=r"which docker.* does not read"):
        resolve_host(mirrors.reference, wrong)


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_reports_show_the_endpoint(mirrors: Mirrors, tmp_path: Path) -> None:
    from planner.app.fleet import run_fleet
    from planner.report.formats import render

    config = load_registry_config(
        hosts_dir(tmp_path / "certs.d", mirrors.upstream.host, mirrors.stale.host)
    )
    host = HostProfile("arm-node", ARM64, load_rules("containerd@1.6.20"), registry_config=config)
    fleet = run_fleet(
        [mirrors.reference], [host], registry=RegistryOptions(use_cache=False, retries=0)
    )
    origin = f"{config.path}/{mirrors.upstream.host}/hosts.toml:3:1"
    junit = render(fleet, "junit")
    assert f'<property name="endpoint" value="{mirrors.stale.host}" />' in junit
    assert f'<property name="registry_config" value="{origin}" />' in junit
    markdown = render(fleet, "markdown")
    assert (
        f"serves only linux/amd64 for this tag; upstream has linux/arm64 (from `{mirrors.stale.host}`"
        in markdown
    )
    html = render(fleet, "html")
    assert f'"endpoint":"{mirrors.stale.host}"' in html.replace(": ", ":").replace(", ", ",")
    assert json.loads(render(fleet, "json"))["pairs"][0]["endpoint"] == mirrors.stale.host
    # the mirror was asked; upstream only to say what the mirror's copy lacks (one manifest)
    assert fleet.stats.endpoints[mirrors.stale.host] >= 1


def test_readme_example(mirrors: Mirrors, tmp_path: Path) -> None:
    """The README's "Where your nodes pull from" example, run against the loopback registries
    (its localhost:5000 and localhost:5001 are the upstream's and the stale mirror's ports)."""
    import os
    import re
    import shlex
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    section = readme.split("## Where your nodes pull from", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block is not None
    command, *expected = block[1].splitlines()
    ports = {"5000": str(mirrors.upstream.port), "5001": str(mirrors.stale.port)}

    def local(text: str) -> str:
        return re.sub(r"localhost:(5000|5001)", lambda m: f"localhost:{ports[m[1]]}", text)

    example = root / "examples" / "mirrors" / "certs.d" / "localhost:5000" / "hosts.toml"
    hosts = tmp_path / "examples" / "mirrors" / "certs.d" / f"localhost:{ports['5000']}"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(local(example.read_text()))
    argv = [sys.executable, "-m", "planner", *shlex.split(local(command[2:]))[1:], "--no-cache"]
    wider = 2 * (len(ports["5000"]) - 4)  # the ports are longer than the README's
    env = {**os.environ, "COLUMNS": str(80 + wider), "NO_COLOR": "1", "PYTHONPATH": str(root)}
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    output = done.stdout.splitlines()
    assert done.returncode == 1, done.stderr  # the pick will not run here (issue 22, item 11)
    lines = iter(output)
    for want in expected:
        if want == "...":
            continue
        want = local(want)
        assert any(line == want for line in lines), f"{want!r} not in order in:\n{done.stdout}"


def test_plan_reads_the_mirror(
    mirrors: Mirrors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    config = hosts_dir(tmp_path / "certs.d", mirrors.upstream.host, mirrors.empty.host)
    args = [
        "plan",
        mirrors.reference,
        "--platform",
        "linux/arm64",
        "--rules",
        "containerd@1.6.20",
        "--registry-config",
        str(config),
        "--no-cache",
        "--format",
        "json",
    ]
    assert main(args) == 0
    plan = json.loads(capsys.readouterr().out)  # plan's own shape, as without a configuration
    assert plan["endpoint"] == mirrors.upstream.host
    assert plan["route"]["failed"][0]["endpoint"] == mirrors.empty.host
    assert plan["manifest"]["digest"] == mirrors.arm64.digest


def test_upstream_both_ways(
    mirrors: Mirrors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--upstream: a mirror with the same copy costs upstream one HEAD; a different copy is
    resolved there too, and said in one line."""
    from planner.cli import main

    same = tmp_path / "same"
    copy = Registry(_dir(same)).start()
    try:
        for pushed in (mirrors.amd64, mirrors.arm64):  # the same index, blobs and all
            for blob in pushed.blobs:
                copy.push_blob(REPO, blob)
            copy.push_manifest(REPO, pushed.digest, pushed.data, pushed.media_type)
        copy.push_manifest(REPO, TAG, mirrors.index.data, mirrors.index.media_type)
        config = hosts_dir(tmp_path / "certs.d", mirrors.upstream.host, copy.host)
        mark = mirrors.upstream.mark()
        args = [
            "resolve",
            mirrors.reference,
            "--platform",
            "linux/amd64",
            "--rules",
            "containerd@1.6.20",
            "--registry-config",
            str(config),
            "--no-cache",
            "--upstream",
        ]
        assert main([*args, "--format", "json"]) == 0
        route = json.loads(capsys.readouterr().out)["route"]
        assert route["upstream"]["same"] is True and route["differs"] is None
        asked = mirrors.upstream.since(mark)
        assert [
            (q["method"], q["path"].split("?")[0]) for q in asked if "/manifests/" in q["path"]
        ] == [("HEAD", f"/v2/{REPO}/manifests/{TAG}")]
    finally:
        copy.stop()
    config = hosts_dir(tmp_path / "stale.d", mirrors.upstream.host, mirrors.stale.host)
    args[args.index("--registry-config") + 1] = str(config)
    assert main(args) == 0  # amd64 host: the stale copy runs, but it is not upstream's
    out = capsys.readouterr().out
    assert f"mirror {mirrors.stale.host}'s copy differs from upstream's" in out
    assert f"upstream {mirrors.upstream.host}: {mirrors.index.digest}" in out.replace(
        "\n         ", " "
    )
