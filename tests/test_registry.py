"""The registry source against a real distribution registry on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner import NotFound, RegistryOptions, resolve
from planner.cli import main
from planner.model.manifest import DOCKER_LIST, OCI_INDEX
from planner.model.reference import Reference
from planner.sources import open_source
from planner.transport.client import RegistryClient
from tests.content import MULTI_PLATFORMS, Content, saved

HOSTS = [
    "linux/amd64",
    "linux/amd64/v3",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/386",
    "linux/ppc64le",
    "windows(10.0.20348.1)/amd64",
]


def options(tmp_path: Path, **kw: object) -> RegistryOptions:
    return RegistryOptions(cache_dir=tmp_path / "cache", **kw)  # type: ignore[arg-type]


def manifest_requests(requests: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["method"], r["path"]) for r in requests]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("rules", ["docker", "containerd", "podman"])
def test_same_answer_as_from_file(
    registry_content: Content, tmp_path: Path, host: str, rules: str
) -> None:
    from_registry = resolve(
        registry_content.ref("multi:oci"), host, rules, registry=options(tmp_path)
    )
    from_file = resolve(
        saved(tmp_path / "index.json", registry_content.indexes["multi:oci"]), host, rules
    )
    assert from_registry.selected == from_file.selected
    assert [c.reason for c in from_registry.candidates] == [c.reason for c in from_file.candidates]
    assert from_registry.index is not None
    assert from_registry.index.digest == registry_content.indexes["multi:oci"].digest
    assert from_registry.index.media_type == OCI_INDEX


def test_picks_the_pushed_images(registry_content: Content, tmp_path: Path) -> None:
    images = registry_content.images["multi"]
    for host, position in [
        ("linux/amd64", 0),
        ("linux/amd64/v3", 1),
        ("linux/arm64", 2),
        ("linux/arm/v7", 3),
    ]:
        result = resolve(registry_content.ref("multi:oci"), host, registry=options(tmp_path))
        assert result.selected is not None and result.selected.digest == images[position].digest
    attestations = [c for c in result.candidates if c.descriptor.is_attestation]
    assert len(attestations) == 2 and not any(c.match for c in attestations)


def test_docker_manifest_list(registry_content: Content, tmp_path: Path) -> None:
    result = resolve(
        registry_content.ref("multi:docker"), "linux/arm64", registry=options(tmp_path)
    )
    assert result.index is not None and result.index.media_type == DOCKER_LIST
    assert result.selected is not None
    assert result.selected.digest == registry_content.images["docker"][2].digest


def test_single_image_reads_config(registry_content: Content, tmp_path: Path) -> None:
    ok = resolve(registry_content.ref("single:1"), "linux/arm64", registry=options(tmp_path))
    assert ok.index is None and ok.platform is not None and ok.platform.architecture == "arm64"
    assert ok.warnings == ()
    mismatch = resolve(registry_content.ref("single:1"), "linux/amd64", registry=options(tmp_path))
    assert mismatch.selected is not None
    assert "is pulled all the same" in mismatch.warnings[0] and mismatch.problem


def test_nested_index(registry_content: Content, tmp_path: Path) -> None:
    result = resolve(registry_content.ref("nested:1"), "linux/arm64", registry=options(tmp_path))
    assert result.selected is not None
    assert result.selected.digest == registry_content.images["nested"][1].digest
    assert result.candidates[1].nested is not None


def test_cold_and_warm_request_counts(registry_content: Content, tmp_path: Path) -> None:
    registry = registry_content.registry
    ref = registry_content.ref("multi:oci")
    mark = registry.mark()
    cold = resolve(ref, "linux/arm64", registry=options(tmp_path))
    assert manifest_requests(registry.since(mark)) == [("GET", "/v2/multi/manifests/oci")]
    assert cold.stats.to_dict()["by_kind"] == {"manifest GET": 1}
    assert cold.stats.rate_limited_requests == 1

    mark = registry.mark()
    warm = resolve(ref, "linux/arm64", registry=options(tmp_path))
    assert manifest_requests(registry.since(mark)) == [("HEAD", "/v2/multi/manifests/oci")]
    assert warm.stats.to_dict()["by_kind"] == {"manifest HEAD": 1}
    assert warm.stats.rate_limited_requests == 0 and warm.stats.cache_hits == 1
    assert warm.selected == cold.selected


def test_digest_pinned_warm_cache_makes_no_request(
    registry_content: Content, tmp_path: Path
) -> None:
    registry = registry_content.registry
    digest = registry_content.indexes["multi:oci"].digest
    ref = registry_content.ref(f"multi@{digest}")
    mark = registry.mark()
    resolve(ref, "linux/arm64", registry=options(tmp_path))
    assert manifest_requests(registry.since(mark)) == [("GET", f"/v2/multi/manifests/{digest}")]
    mark = registry.mark()
    warm = resolve(ref, "linux/arm64", registry=options(tmp_path))
    assert registry.since(mark) == []
    assert warm.stats.total_requests == 0


def test_tag_and_digest_digest_wins(registry_content: Content, tmp_path: Path) -> None:
    digest = registry_content.indexes["multi:docker"].digest
    result = resolve(
        registry_content.ref(f"multi:oci@{digest}"), "linux/arm64", registry=options(tmp_path)
    )
    assert result.index is not None and result.index.digest == digest


def test_no_cache_always_fetches(registry_content: Content, tmp_path: Path) -> None:
    registry = registry_content.registry
    for _ in range(2):
        mark = registry.mark()
        resolve(
            registry_content.ref("multi:oci"),
            "linux/arm64",
            registry=options(tmp_path, use_cache=False),
        )
        assert manifest_requests(registry.since(mark)) == [("GET", "/v2/multi/manifests/oci")]
    assert not (tmp_path / "cache").exists()


def test_eight_hosts_one_index(registry_content: Content, tmp_path: Path) -> None:
    """The index is fetched once and every distinct chosen manifest once, concurrently."""
    registry = registry_content.registry
    mark = registry.mark()
    with open_source(registry_content.ref("multi:oci"), options(tmp_path)) as source:
        chosen = []
        for host in HOSTS:
            result = resolve(source, host)
            assert result.selected is not None
            chosen.append(result.selected)
        manifests = source.read_documents(chosen)
    assert len(manifests) == len(HOSTS)
    requests = manifest_requests(registry.since(mark))
    assert requests.count(("GET", "/v2/multi/manifests/oci")) == 1
    distinct = {d.digest for d in chosen}
    assert sorted(p for m, p in requests if m == "GET" and "sha256:" in str(p)) == sorted(
        f"/v2/multi/manifests/{d}" for d in distinct
    )
    assert len(requests) == 1 + len(distinct)


def test_unknown_tag_and_repository(registry_content: Content, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"manifest unknown: 127.0.0.1:\d+/multi:nope not found"):
        resolve(registry_content.ref("multi:nope"), "linux/amd64", registry=options(tmp_path))
    # the distribution registry answers MANIFEST_UNKNOWN for unknown repositories too
    with pytest.raises(NotFound, match=r"manifest unknown: 127.0.0.1:\d+/nothing/here:1 not found"):
        resolve(registry_content.ref("nothing/here:1"), "linux/amd64", registry=options(tmp_path))


def test_cli_against_registry(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = registry_content.ref("multi:oci")
    argv = [
        "resolve",
        ref,
        "--platform",
        "linux/arm/v7",
        "--cache-dir",
        str(tmp_path),
        "--format",
        "json",
        "--stats",
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["source"] == ref
    assert data["selected"]["platform"] == MULTI_PLATFORMS[3]
    assert data["stats"] == {
        "requests": 1,
        "by_kind": {"manifest GET": 1},
        "rate_limited_requests": 1,
        "bytes_received": registry_content.indexes["multi:oci"].size,
        "cache_hits": 0,
        "retries": 0,
        "by_endpoint": {registry_content.registry.host: 1},
    }
    assert "pull-planner: stats: 1 request (1 manifest GET); 1 against pull limits" in err
    assert (
        main(
            [
                "resolve",
                registry_content.ref("multi:nope"),
                "--platform",
                "linux/amd64",
                "--cache-dir",
                str(tmp_path),
            ]
        )
        == 3
    )
    assert "manifest unknown" in capsys.readouterr().err


def test_verbose_logs_requests(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = registry_content.ref("multi:oci")
    assert (
        main(["resolve", ref, "--platform", "linux/amd64", "--cache-dir", str(tmp_path), "-v"]) == 0
    )
    err = capsys.readouterr().err
    assert (
        f"pull-planner: GET http://{registry_content.registry.host}/v2/multi/manifests/oci -> 200"
        in err
    )


def test_invalid_reference_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resolve", "Registry.example/UPPER:tag", "--platform", "linux/amd64"]) == 2
    assert "must be lowercase" in capsys.readouterr().err


def test_unreachable_registry_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.registry import free_port

    ref = f"127.0.0.1:{free_port()}/app:1"
    argv = [
        "resolve",
        ref,
        "--platform",
        "linux/amd64",
        "--cache-dir",
        str(tmp_path),
        "--retries",
        "1",
    ]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "cannot reach 127.0.0.1" in err and "not retried" in err  # nothing listens there
    assert "Traceback" not in err


def test_scheme_defaults() -> None:
    client = RegistryClient(RegistryOptions(use_cache=False))
    assert (
        client.base_url(Reference.parse("registry.example.com/app"))
        == "https://registry.example.com"
    )
    assert client.base_url(Reference.parse("ubuntu")) == "https://registry-1.docker.io"
    assert client.base_url(Reference.parse("localhost:5000/app")) == "http://localhost:5000"
    assert client.base_url(Reference.parse("127.0.0.1:5000/app")) == "http://127.0.0.1:5000"
    assert client.base_url(Reference.parse("[::1]:5000/app")) == "http://[::1]:5000"
    assert (
        client.base_url(Reference.parse("127.0.0.2:5000/app")) == "http://127.0.0.2:5000"
    )  # 127/8
    assert client.base_url(Reference.parse("10.0.0.1:5000/app")) == "https://10.0.0.1:5000"
    plain = RegistryClient(RegistryOptions(use_cache=False, plain_http=True))
    assert (
        plain.base_url(Reference.parse("registry.example.com/app")) == "http://registry.example.com"
    )


def test_cache_verified_on_read(registry_content: Content, tmp_path: Path) -> None:
    digest = registry_content.indexes["multi:oci"].digest
    ref = registry_content.ref(f"multi@{digest}")
    resolve(ref, "linux/amd64", registry=options(tmp_path))
    cached = tmp_path / "cache" / "blobs" / "sha256" / digest[7:]
    cached.write_bytes(cached.read_bytes().replace(b"amd64", b"arm64"))  # corrupt it
    registry = registry_content.registry
    mark = registry.mark()
    result = resolve(ref, "linux/amd64", registry=options(tmp_path))
    assert result.selected is not None
    assert manifest_requests(registry.since(mark)) == [("GET", f"/v2/multi/manifests/{digest}")]
    assert cached.read_bytes() == registry_content.indexes["multi:oci"].data  # re-stored intact


def test_cache_shared_by_concurrent_processes(registry_content: Content, tmp_path: Path) -> None:
    ref = registry_content.ref("multi:oci")
    argv = [
        sys.executable,
        "-m",
        "planner",
        "resolve",
        ref,
        "--platform",
        "linux/arm64",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        "json",
    ]
    processes = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [e for _, e in outputs]
    selected = {json.loads(o)["selected"]["digest"] for o, _ in outputs}
    assert len(selected) == 1
    leftovers = [p for p in (tmp_path / "cache").rglob(".tmp-*")]
    assert leftovers == []


def test_docker_transport_prefix_is_read_as_the_reference(
    registry_content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22: skopeo's and podman's spelling docker://REF was refused as "invalid
    registry host 'docker:'"; containers/image reads it as transport docker, REF."""
    ref = registry_content.ref("multi:oci")
    assert main(["resolve", ref, "--platform", "linux/arm64", "-q", "--no-cache"]) == 0
    plain = capsys.readouterr().out
    assert (
        main(["resolve", f"docker://{ref}", "--platform", "linux/arm64", "-q", "--no-cache"]) == 0
    )
    assert capsys.readouterr().out == plain and plain.startswith("sha256:")
