"""--verify against a real registry whose storage is damaged, and faults from a hostile one.

The CNCF registry (:class:`tests.registry.Registry`) holds two two-platform images;
the test removes the arm64 image's layer blob data in one and the arm64 child
manifest's revision link in the other. pull-planner must fail exactly the arm64
pairs, naming the digest, with no blob GET and one HEAD per distinct
(endpoint, repository, digest); skopeo copy pulling the same images agrees.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.app.fleet import run_fleet
from planner.hosts.profiles import HostProfile
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.transport.options import RegistryOptions
from tests.content import Content
from tests.registry import Pushed, Registry

AMD64 = {"architecture": "amd64", "os": "linux"}
ARM64 = {"architecture": "arm64", "os": "linux", "variant": "v8"}


def _image(registry: Registry, repo: str, tag: str, seed: str) -> dict[str, Pushed]:
    images = {
        "amd64": registry.push_image(
            repo, AMD64, [f"{seed}-amd64-{i}".encode() * 50 for i in range(2)]
        ),
        "arm64": registry.push_image(
            repo, ARM64, [f"{seed}-arm64-{i}".encode() * 50 for i in range(2)]
        ),
    }
    registry.push_index(
        repo,
        tag,
        [
            images["amd64"].descriptor(platform=AMD64),
            images["arm64"].descriptor(platform=ARM64),
        ],
    )
    return images


def _layer_digest(image: Pushed, n: int) -> str:
    return str(json.loads(image.data)["layers"][n]["digest"])


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, dict[str, Any]]]:
    registry = Registry(tmp_path_factory.mktemp("verify-registry")).start()
    try:
        lost_layer = _image(registry, "lab/layer", "1", "layer")
        lost_child = _image(registry, "lab/child", "1", "child")
        _image(registry, "lab/fine", "1", "fine")
        storage = registry.workdir / "storage" / "docker" / "registry" / "v2"
        layer = _layer_digest(lost_layer["arm64"], 1)
        algorithm, hexa = layer.split(":")
        shutil.rmtree(storage / "blobs" / algorithm / hexa[:2] / hexa)
        child = lost_child["arm64"].digest
        algorithm, hexa = child.split(":")
        link = (
            storage / "repositories" / "lab/child" / "_manifests" / "revisions" / algorithm / hexa
        )
        shutil.rmtree(link)
        yield registry, {"layer": layer, "child": child, "images": (lost_layer, lost_child)}
    finally:
        registry.stop()


HOSTS = "hosts:\n  - {name: x86, platform: linux/amd64}\n  - {name: graviton, platform: linux/arm64, rules: containerd}\n"


def _hosts(tmp_path: Path) -> list[HostProfile]:
    from planner.hosts.profiles import load_hosts

    path = tmp_path / "hosts.yaml"
    path.write_text(HOSTS)
    return load_hosts(path)


def _refs(registry: Registry) -> list[str]:
    return [f"{registry.host}/lab/{name}:1" for name in ("layer", "child", "fine")]


def test_damaged_registry_fails_exactly_the_arm64_pulls(
    damaged: tuple[Registry, dict[str, Any]], tmp_path: Path
) -> None:
    registry, lost = damaged
    layer_ref, child_ref, fine_ref = _refs(registry)
    mark = registry.mark()
    report = run_fleet(
        _refs(registry), _hosts(tmp_path), registry=RegistryOptions(use_cache=False), verify=True
    )
    served = registry.since(mark)
    status = {(p.host.name, p.image): p.status for p in report.pairs}
    assert status == {
        ("x86", layer_ref): "ok",
        ("x86", child_ref): "ok",
        ("x86", fine_ref): "ok",
        ("graviton", layer_ref): "broken",
        ("graviton", child_ref): "broken",
        ("graviton", fine_ref): "ok",
    }
    layer_pair = report.pair("graviton", layer_ref)
    assert lost["layer"] in layer_pair.problem and "layer 2" in layer_pair.problem
    assert registry.host in layer_pair.problem and "\n" not in layer_pair.problem
    [failed] = [v for v in layer_pair.verifications if v.failed]
    assert (failed.digest, failed.role, failed.status) == (lost["layer"], "layer 2", "missing")
    child_pair = report.pair("graviton", child_ref)
    assert lost["child"] in child_pair.problem and "child manifest" in child_pair.problem
    assert child_pair.plan is None
    # no blob GET; one HEAD per distinct (endpoint, repository, digest), each one asked
    assert not [r for r in served if r["method"] == "GET" and "/blobs/" in r["path"]]
    heads = [r["path"] for r in served if r["method"] == "HEAD"]
    asked = {
        (v.endpoint, p.image.split("/", 1)[1].rsplit(":", 1)[0], v.digest)
        for p in report.pairs
        for v in p.verifications
    }
    assert len(heads) == len(set(heads)) == len(asked) == 4 + 4 + 4 + 1 + 4 + 4
    for pair in report.pairs:
        assert all(v.status in ("ok", "missing") for v in pair.verifications)
        assert pair.status != "ok" or all(v.status == "ok" for v in pair.verifications)
    assert report.to_dict()["verified"] is True


def _skopeo_copy(registry: Registry, reference: str, arch: str, workdir: Path) -> bool:
    from tests.helpers import require_tool
    from tests.real_clients import _ContainersConfig, _environment

    require_tool("skopeo", "skopeo")
    config = _ContainersConfig(workdir / "config")
    env = _environment(CONTAINERS_REGISTRIES_CONF=str(config.registries))
    target = workdir / f"copy-{arch}-{reference.rsplit('/', 1)[1].replace(':', '-')}"
    done = subprocess.run(
        [
            "skopeo",
            "--policy",
            str(config.policy),
            "copy",
            "--src-tls-verify=false",
            "--override-os",
            "linux",
            "--override-arch",
            arch,
            f"docker://{reference}",
            f"dir:{target}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode == 0


def test_skopeo_copy_agrees_on_the_damaged_images(
    damaged: tuple[Registry, dict[str, Any]], tmp_path: Path
) -> None:
    registry, _ = damaged
    report = run_fleet(
        _refs(registry), _hosts(tmp_path), registry=RegistryOptions(use_cache=False), verify=True
    )
    arch = {"x86": "amd64", "graviton": "arm64"}
    for pair in report.pairs:
        pulled = _skopeo_copy(registry, pair.image, arch[pair.host.name], tmp_path)
        assert pulled == (pair.status == "ok"), (pair.host.name, pair.image, pair.problem)


def test_check_verify_cli(damaged: tuple[Registry, dict[str, Any]], tmp_path: Path) -> None:
    from tests.helpers import cli

    registry, lost = damaged
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(HOSTS)
    base = ["check", *_refs(registry), "--hosts", str(hosts), "--no-cache"]
    # without --verify nothing changes: no HEAD; a lost blob goes unseen, a lost child
    # manifest fails the run when it is read (exit 3)
    layer_ref, _, fine_ref = _refs(registry)
    mark = registry.mark()
    code, out, err = cli("check", layer_ref, fine_ref, "--hosts", str(hosts), "--no-cache")
    assert code == 0 and "WON'T PULL" not in out, err
    assert not [r for r in registry.since(mark) if r["method"] == "HEAD"]
    code, out, err = cli(*base)
    assert code == 3 and lost["child"] in err
    code, out, err = cli(*base, "--verify")
    assert code == 1, err
    assert "WON'T PULL" in out and lost["layer"] in out + err
    code, out, _ = cli(*base, "--verify", "--format", "json")
    data = json.loads(out)
    broken = {
        (p["host"], p["image"].split("/")[-1]) for p in data["pairs"] if p["status"] == "broken"
    }
    assert broken == {("graviton", "layer:1"), ("graviton", "child:1")}
    for fmt in ("junit", "markdown", "html"):
        code, out, _ = cli(*base, "--verify", "--format", fmt)
        assert code == 1 and ("broken" in out or "WON'T PULL" in out), fmt
    code, out, err = cli(
        "plan", _refs(registry)[0], "--platform", "linux/arm64", "--verify", "--no-cache"
    )
    assert code == 1 and lost["layer"] in err and "layer 2" in err
    code, out, err = cli(
        "resolve", _refs(registry)[1], "--platform", "linux/arm64", "--verify", "--no-cache"
    )
    assert code == 1 and lost["child"] in err and "child manifest" in err
    code, out, err = cli(
        "resolve", _refs(registry)[1], "--platform", "linux/amd64", "--verify", "--no-cache"
    )
    assert code == 0 and "verified" in out


# --------------------------------------------------------------------------- faults


def _hostile_image(
    server: Any, layers: list[bytes], config: bytes, extras: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    from tests.hostile_server import manifest
    from tests.registry import OCI_CONFIG, OCI_LAYER, sha256

    child = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [
                {"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer), **extra}
                for layer, extra in zip(layers, extras or [{}] * len(layers), strict=True)
            ],
        }
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": sha256(child),
                    "size": len(child),
                    "platform": AMD64,
                }
            ],
        }
    ).encode()
    server.route("/v2/app/manifests/1", manifest(index, "application/vnd.oci.image.index.v1+json"))
    server.route(
        f"/v2/app/manifests/{sha256(child)}",
        manifest(child, "application/vnd.oci.image.manifest.v1+json"),
    )
    return {"config": sha256(config), **{f"layer {i}": sha256(x) for i, x in enumerate(layers, 1)}}


def test_head_refused_or_without_length_falls_back_to_a_ranged_get(tmp_path: Path) -> None:
    import asyncio

    from tests.hostile_server import HostileServer, Received, Writer, answer, sequence

    config, one, two, three = b"{}" * 10, b"a" * 100, b"b" * 200, b"c" * 300

    async def no_length(request: Received, writer: Writer) -> None:
        await writer.head(200, [("Content-Type", "application/octet-stream")])

    async def too_long(request: Received, writer: Writer) -> None:
        await writer.head(200, [("Content-Length", "999")])

    async def hang(request: Received, writer: Writer) -> None:
        await asyncio.sleep(30)

    with HostileServer() as server:
        digests = _hostile_image(server, [one, two, three], config)
        ranged = answer(206, b"{", [("Content-Range", f"bytes 0-0/{len(config)}")])
        server.route(f"/v2/app/blobs/{digests['config']}", sequence(answer(405), ranged))
        server.route(f"/v2/app/blobs/{digests['layer 1']}", sequence(no_length, answer(200, b"")))
        server.route(f"/v2/app/blobs/{digests['layer 2']}", hang)
        server.route(f"/v2/app/blobs/{digests['layer 3']}", too_long)
        hosts = [HostProfile("x86", Platform.parse("linux/amd64"), load_rules("docker"))]
        options = RegistryOptions(use_cache=False, deadline=3, retries=0)
        report = run_fleet([f"{server.host}/app:1"], hosts, registry=options, verify=True)
        methods = [
            (r.method, r.headers.get("range")) for r in server.received() if "/blobs/" in r.path
        ]
    [pair] = report.pairs
    by_role = {v.role: v for v in pair.verifications}
    assert by_role["child manifest"].status == "ok"
    assert (by_role["config"].status, by_role["config"].detail) == ("ok", "ranged GET")
    assert by_role["layer 1"].status == "unverified"  # no length, and no 206: a warning
    assert by_role["layer 2"].status == "unverified"  # the hanging HEAD, cut at the deadline
    assert "deadline" in by_role["layer 2"].detail
    assert by_role["layer 3"].status == "size-mismatch" and by_role["layer 3"].length == 999
    assert pair.status == "broken" and digests["layer 3"] in pair.problem
    assert digests["layer 3"] in pair.problem and "layer 1" not in pair.problem
    assert any("could not be verified" in w for w in pair.warnings)
    # a GET of a blob only with Range: bytes=0-0, never a whole one
    assert all(method == "HEAD" or rng == "bytes=0-0" for method, rng in methods)


def test_a_routed_host_is_verified_at_its_mirror(
    damaged: tuple[Registry, dict[str, Any]],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from planner.hosts.registries import load_registry_config

    mirror, lost = damaged
    upstream = Registry(tmp_path_factory.mktemp("verify-upstream")).start()
    try:
        _image(upstream, "lab/layer", "1", "layer")  # the same content, undamaged
        certs = tmp_path / "certs.d" / upstream.host
        certs.mkdir(parents=True)
        (certs / "hosts.toml").write_text(
            f'server = "http://{upstream.host}"\n\n[host."http://{mirror.host}"]\n'
            '  capabilities = ["pull", "resolve"]\n'
        )
        config = load_registry_config(tmp_path / "certs.d")
        rules = load_rules("containerd@1.6.20")
        hosts = [
            HostProfile(name, Platform.parse(p), rules, registry_config=config)
            for name, p in (("x86", "linux/amd64"), ("graviton", "linux/arm64"))
        ]
        mark_up, mark_mirror = upstream.mark(), mirror.mark()
        report = run_fleet(
            [f"{upstream.host}/lab/layer:1"],
            hosts,
            registry=RegistryOptions(use_cache=False),
            verify=True,
        )
        on_upstream = upstream.since(mark_up)
        on_mirror = mirror.since(mark_mirror)
    finally:
        upstream.stop()
    status = {p.host.name: p.status for p in report.pairs}
    assert status == {"x86": "ok", "graviton": "broken"}
    problem = report.pair("graviton", f"{upstream.host}/lab/layer:1").problem
    assert lost["layer"] in problem and f"missing at {mirror.host}" in problem
    assert not [r for r in on_upstream if r["method"] == "HEAD"]  # asked where the host pulls
    heads = [r["path"] for r in on_mirror if r["method"] == "HEAD"]
    assert heads and len(heads) == len(set(heads)) == 4 + 4
    assert not [r for r in on_mirror if r["method"] == "GET" and "/blobs/" in r["path"]]


def test_workload_check_verify(damaged: tuple[Registry, dict[str, Any]], tmp_path: Path) -> None:
    from tests.helpers import cli

    registry, lost = damaged
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(HOSTS)
    workload = tmp_path / "web.yaml"
    workload.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        f"    spec:\n      containers:\n        - {{name: web, image: '{_refs(registry)[0]}'}}\n"
    )
    base = ["check", "-f", str(workload), "--hosts", str(hosts), "--no-cache"]
    code, out, err = cli(*base)
    assert code == 0, err
    code, out, err = cli(*base, "--verify")
    assert code == 1 and "WON'T PULL" in out and lost["layer"] in out, out + err
    code, out, _ = cli(*base, "--verify", "--format", "json")
    nodes = {n["host"]: n["status"] for n in json.loads(out)["workloads"][0]["nodes"]}
    assert nodes == {"x86": "ok", "graviton": "broken"}
    code, _, err = cli(*base, "--verify", "--no-plan")
    assert code == 2 and "--verify needs plans" in err


def test_a_foreign_layer_is_verified_at_its_url(tmp_path: Path) -> None:
    from tests.hostile_server import HostileServer, answer

    foreign = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    config, base, own = b"{}" * 10, b"w" * 300, b"o" * 100
    with HostileServer() as server, HostileServer() as cdn:
        extra = {"mediaType": foreign, "urls": [f"{cdn.url}/layers/base.tar.gz"]}
        digests = _hostile_image(server, [base, own], config, [extra, {}])
        for name in ("config", "layer 2"):
            size = len(config) if name == "config" else len(own)
            server.route(
                f"/v2/app/blobs/{digests[name]}", answer(200, b"", [("Content-Length", str(size))])
            )
        cdn.route("/layers/base.tar.gz", answer(404))
        hosts = [HostProfile("x86", Platform.parse("linux/amd64"), load_rules("docker"))]
        options = RegistryOptions(use_cache=False, retries=0)
        report = run_fleet([f"{server.host}/app:1"], hosts, registry=options, verify=True)
        at_cdn = [(r.method, r.path) for r in cdn.received()]
        at_registry = [r.path for r in server.received() if digests["layer 1"] in r.path]
        # the host has the foreign layer: it is not fetched, so not asked for
        have = run_fleet(
            [f"{server.host}/app:1"],
            hosts,
            registry=options,
            verify=True,
            present={digests["layer 1"]},
        )
        asked_again = len(cdn.received())
    [pair] = report.pairs
    layer = next(v for v in pair.verifications if v.role == "layer 1")
    assert (layer.status, layer.endpoint) == ("missing", cdn.host)
    assert at_cdn == [("HEAD", "/layers/base.tar.gz")] and not at_registry
    assert pair.status == "broken" and cdn.host in pair.problem
    [kept] = have.pairs
    assert kept.status == "ok" and asked_again == 1
    assert "layer 1" not in {v.role for v in kept.verifications}


def test_verify_keeps_resolve_and_plan_in_their_own_shape(
    registry_content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    """--verify adds verification to a single-host answer; the shape scripts read stays
    (the reviewer's finding: resolve --verify printed the --hosts shape)."""
    from planner.cli import main

    ref = registry_content.ref("multi:oci")
    base = [ref, "--platform", "linux/arm64", "--no-cache"]
    for command in ("resolve", "plan"):
        assert main([command, *base, "--format", "json"]) == 0
        plain = json.loads(capsys.readouterr().out)
        assert main([command, *base, "--format", "json", "--verify"]) == 0
        verified = json.loads(capsys.readouterr().out)
        assert set(verified) - set(plain) == {"status", "verification"}, command
        assert all(v["status"] == "ok" for v in verified["verification"])
        assert main([command, *base, "-q"]) == 0
        quiet = capsys.readouterr().out
        assert main([command, *base, "-q", "--verify"]) == 0
        assert capsys.readouterr().out == quiet
