"""Download plans: order, totals, present blobs, locations, estimates, every source."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from planner import NoCompatibleImage, RegistryOptions
from planner.app.plan import compression_of, plan, read_digest_file
from planner.cli import main
from planner.model.text import format_duration, human_size, parse_bandwidth
from planner.transport.credentials import Credential, CredentialStore
from tests.cdn import RecordingCdn
from tests.content import MULTI_PLATFORMS, Content
from tests.registry import Registry, sha256

ROOT = Path(__file__).resolve().parent.parent
WEBAPP = ROOT / "examples" / "webapp"


def options(tmp_path: Path) -> RegistryOptions:
    return RegistryOptions(cache_dir=tmp_path / "cache")


def host_of(platform: dict[str, str]) -> str:
    text = f"{platform['os']}/{platform['architecture']}"
    if platform.get("variant"):
        text += f"/{platform['variant']}"
    if platform.get("os.version"):
        text = text.replace("windows/", f"windows({platform['os.version']})/", 1)
    return text


# --------------------------------------------------------------------------- against the registry


@pytest.mark.parametrize("position", range(len(MULTI_PLATFORMS)))
def test_totals_equal_pushed_blob_sizes(
    registry_content: Content, tmp_path: Path, position: int
) -> None:
    platform = MULTI_PLATFORMS[position]
    image = registry_content.images["multi"][position]
    result = plan(registry_content.ref("multi:oci"), host_of(platform), registry=options(tmp_path))
    assert result.manifest.digest == image.digest
    distinct = {sha256(b): len(b) for b in image.blobs}
    assert result.totals.blobs == len(distinct)
    assert result.totals.bytes == sum(distinct.values())
    assert result.totals.download_bytes == sum(distinct.values())
    assert result.totals.present_bytes == 0
    assert result.totals.manifest_bytes == registry_content.indexes["multi:oci"].size + image.size
    assert [b.kind for b in result.blobs] == ["config", "layer", "layer"]
    assert [b.descriptor.digest for b in result.blobs] == [sha256(b) for b in image.blobs]
    host = registry_content.registry.host
    assert result.blobs[1].location == f"http://{host}/v2/multi/blobs/{sha256(image.blobs[1])}"
    assert result.hosts == ((host, "manifests and blobs"),)


def test_upgrade_delta_is_the_differing_layers(registry_content: Content, tmp_path: Path) -> None:
    registry = registry_content.registry
    base = b"shared debian base layer " * 400
    old = registry.push_image(
        "delta", {"os": "linux", "architecture": "arm64"}, [base, b"app 2.0" * 300], tag="2.0"
    )
    new = registry.push_image(
        "delta", {"os": "linux", "architecture": "arm64"}, [base, b"app 2.1 " * 350], tag="2.1"
    )
    result = plan(
        registry_content.ref("delta:2.1"),
        "linux/arm64",
        have=[registry_content.ref("delta:2.0")],
        registry=options(tmp_path),
    )
    differing = {sha256(b): len(b) for b in new.blobs}.keys() - {sha256(b) for b in old.blobs}
    assert result.totals.download_bytes == sum(len(b) for b in new.blobs if sha256(b) in differing)
    assert result.totals.present_bytes == len(base)
    assert [b.present for b in result.blobs] == [False, True, False]


def test_have_without_a_match_warns(registry_content: Content, tmp_path: Path) -> None:
    result = plan(
        registry_content.ref("multi:oci"),
        "linux/s390x",
        have=[registry_content.ref("multi:docker")],
        registry=options(tmp_path),
    )
    assert any(w.startswith("have ") and "nothing counts as present" in w for w in result.warnings)
    assert result.totals.present_bytes == 0


def test_single_image_tag(registry_content: Content, tmp_path: Path) -> None:
    result = plan(registry_content.ref("single:1"), "linux/amd64", registry=options(tmp_path))
    image = registry_content.images["single"][0]
    assert result.resolution.index is None
    assert result.totals.bytes == sum(len(b) for b in image.blobs)
    assert "is pulled all the same" in result.warnings[0]
    assert result.resolution.problem.startswith("the tag is a single")
    assert result.to_dict()["index"] is None


def test_no_compatible_image(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(NoCompatibleImage):
        plan(registry_content.ref("multi:oci"), "linux/riscv64", registry=options(tmp_path))
    assert (
        main(
            [
                "plan",
                registry_content.ref("multi:oci"),
                "--platform",
                "linux/riscv64",
                "--cache-dir",
                str(tmp_path),
            ]
        )
        == 1
    )
    assert "it offers: linux/amd64" in capsys.readouterr().err


def test_request_counts_cold_and_warm(registry_content: Content, tmp_path: Path) -> None:
    registry = registry_content.registry
    image = registry_content.images["multi"][2]
    mark = registry.mark()
    cold = plan(registry_content.ref("multi:oci"), "linux/arm64", registry=options(tmp_path))
    assert [(r["method"], r["path"]) for r in registry.since(mark)] == [
        ("GET", "/v2/multi/manifests/oci"),
        ("GET", f"/v2/multi/manifests/{image.digest}"),
    ]
    assert cold.stats.rate_limited_requests == 2
    mark = registry.mark()
    warm = plan(registry_content.ref("multi:oci"), "linux/arm64", registry=options(tmp_path))
    assert [(r["method"], r["path"]) for r in registry.since(mark)] == [
        ("HEAD", "/v2/multi/manifests/oci")
    ]
    assert warm.stats.cache_hits == 2 and warm.totals == cold.totals


@pytest.fixture(scope="module")
def redirecting(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, RecordingCdn]]:
    workdir = tmp_path_factory.mktemp("redirect")
    cdn = RecordingCdn(workdir / "storage")
    registry = Registry(workdir, redirect_to=cdn.base).start()
    registry.push_image(
        "app",
        {"os": "linux", "architecture": "amd64"},
        [b"base layer" * 100, b"app layer" * 10],
        tag="1",
    )
    yield registry, cdn
    registry.stop()
    cdn.stop()


def test_locations_report_the_cdn(
    redirecting: tuple[Registry, RecordingCdn], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry, cdn = redirecting
    options = RegistryOptions(
        use_cache=False,
        credentials=CredentialStore(Credential("user", "pw"), registry=registry.host),
    )
    result = plan(f"{registry.host}/app:1", "linux/amd64", locations=True, registry=options)
    cdn_host = httpx.URL(cdn.base).netloc.decode()
    for blob in result.blobs:
        assert blob.location is not None and blob.location.startswith(
            cdn.base + "/docker/registry/v2/blobs/"
        )
    assert dict(result.hosts) == {registry.host: "manifests", cdn_host: "blobs (redirected)"}
    assert all("Authorization" not in h for h in cdn.headers)
    assert result.stats.requests["blob HEAD"] == 2 * len(
        result.blobs
    )  # registry 307 + CDN answer, each blob
    assert (
        main(
            [
                "plan",
                f"{registry.host}/app:1",
                "--platform",
                "linux/amd64",
                "--locations",
                "--no-cache",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"hosts    {registry.host} (manifests), {cdn_host} (blobs (redirected))" in out
    assert out.count(f" {cdn_host}\n") == len(result.blobs)  # the "from" column names the CDN


def test_locations_need_a_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", f"oci:{WEBAPP}:2.1", "--platform", "linux/amd64", "--locations"]) == 2
    assert "--locations needs a registry SOURCE" in capsys.readouterr().err


# --------------------------------------------------------------------------- the bundled example layout

# Sizes from examples/build_webapp_layout.py (not from pull-planner): base, runtime, app 2.1
EXAMPLE_LAYERS = {
    "linux/amd64": [29_126_484, 12_318_221 + 291_264, 4_391_207],
    "linux/amd64/v3": [29_126_484, 12_318_221 + 291_264, 4_482_660],
    "linux/arm64": [28_882_116, 12_318_221 + 288_821, 4_288_039],
    "linux/arm/v7": [24_064_939, 32, 12_318_221 + 240_649, 4_067_312],  # + a repeated 32-byte layer
    "windows(10.0.17763.1)/amd64": [1_791_264_582, 48_205_317, 5_207_118],
    "windows(10.0.20348.1)/amd64": [1_602_354_117, 48_205_317, 5_207_118],
}


@pytest.mark.parametrize("host", list(EXAMPLE_LAYERS))
def test_example_layout_totals(host: str) -> None:
    result = plan(f"oci:{WEBAPP}:2.1", host)
    config = result.blobs[0]
    assert config.kind == "config" and config.present is False
    assert config.location == str(WEBAPP / "blobs" / "sha256" / config.descriptor.digest[7:])
    assert result.totals.bytes == config.descriptor.size + sum(EXAMPLE_LAYERS[host])
    assert result.totals.blobs == 1 + len(EXAMPLE_LAYERS[host])


def test_example_upgrade_delta() -> None:
    result = plan(f"oci:{WEBAPP}:2.1", "linux/arm64", have=[f"oci:{WEBAPP}:2.0"])
    assert result.totals.download_bytes == result.blobs[0].descriptor.size + 4_288_039
    assert result.totals.present_bytes == 28_882_116 + 12_318_221 + 288_821


def test_duplicate_layer_counted_once() -> None:
    result = plan(f"oci:{WEBAPP}:2.1", "linux/arm/v7")
    assert [b.duplicate_of for b in result.blobs] == [None, None, None, None, None, 3]
    assert any("repeats blob 3; it is downloaded once" in w for w in result.warnings)
    assert result.to_dict()["blobs"][5]["duplicate_of"] == 3


def test_foreign_layers_keep_their_urls() -> None:
    result = plan(f"oci:{WEBAPP}:2.1", "windows(10.0.20348.1)/amd64")
    base = result.blobs[1]
    assert base.foreign and base.descriptor.urls
    assert base.location == base.descriptor.urls[0]
    assert ("mcr.microsoft.com", "foreign layers") in result.hosts
    assert [b.compression for b in result.blobs] == ["none", "gzip", "gzip", "zstd"]


def test_example_is_reproducible(tmp_path: Path) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "build_webapp_layout.py"), str(tmp_path / "w")],
        check=True,
    )
    committed = sorted(p.relative_to(WEBAPP) for p in WEBAPP.rglob("*") if p.is_file())
    rebuilt = sorted(
        p.relative_to(tmp_path / "w") for p in (tmp_path / "w").rglob("*") if p.is_file()
    )
    assert committed == rebuilt
    for relative in committed:
        assert (WEBAPP / relative).read_bytes() == (tmp_path / "w" / relative).read_bytes()


# --------------------------------------------------------------------------- saved JSON with sibling manifests


def test_saved_json_with_sibling_manifests(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = registry_content.indexes["multi:oci"]
    image = registry_content.images["multi"][2]
    (tmp_path / "tag.json").write_bytes(index.data)
    assert main(["plan", str(tmp_path / "tag.json"), "--platform", "linux/arm64"]) == 3
    err = capsys.readouterr().err
    assert f"{image.digest} is needed but not saved next to" in err
    (tmp_path / f"{image.digest}.json").write_bytes(image.data)
    result = plan(str(tmp_path / "tag.json"), "linux/arm64")
    assert result.totals.bytes == sum(len(b) for b in image.blobs)
    assert all(b.location is None for b in result.blobs)
    (tmp_path / f"{image.digest}.json").write_bytes(image.data + b"\n")
    assert main(["plan", str(tmp_path / "tag.json"), "--platform", "linux/arm64"]) == 3
    assert "size mismatch" in capsys.readouterr().err


# --------------------------------------------------------------------------- CLI, formats, inputs


def test_formats(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "plan",
        f"oci:{WEBAPP}:2.1",
        "--platform",
        "linux/arm64",
        "--have",
        f"oci:{WEBAPP}:2.0",
        "--bandwidth",
        "100Mbit",
    ]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "source",
        "rules",
        "host",
        "index",
        "manifest",
        "manifests",
        "blobs",
        "totals",
        "hosts",
        "endpoint",
        "route",
        "pull_requests",
        "warnings",
        "stats",
        "estimate",
    ]
    assert list(data["blobs"][0]) == [
        "order",
        "kind",
        "digest",
        "mediaType",
        "size",
        "compression",
        "urls",
        "present",
        "location",
    ]
    assert list(data["totals"]) == [
        "blobs",
        "bytes",
        "manifest_bytes",
        "download_bytes",
        "present_bytes",
    ]
    assert data["manifest"]["platform"] == {"architecture": "arm64", "os": "linux", "variant": "v8"}
    assert data["estimate"]["seconds"] == pytest.approx(
        data["totals"]["download_bytes"] * 8 / 100e6, abs=0.001
    )
    assert main([*argv, "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == data
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "totals   4 blobs" in text
    assert f"download {human_size(data['totals']['download_bytes'])}" in text
    assert "estimate transfer time for" in text and "at 100 Mbit/s" in text
    header = text.splitlines()[text.splitlines().index("") + 1]
    assert header.split() == ["order", "kind", "digest", "size", "present", "type", "from"]


def test_have_digests_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers = plan(f"oci:{WEBAPP}:2.1", "linux/amd64").blobs
    digests = tmp_path / "present.txt"
    digests.write_text(
        f"# layers already in the host's store\n{layers[1].descriptor.digest}\n\n{layers[2].descriptor.digest}  # runtime\n"
    )
    assert read_digest_file(digests) == {layers[1].descriptor.digest, layers[2].descriptor.digest}
    assert (
        main(
            [
                "plan",
                f"oci:{WEBAPP}:2.1",
                "--platform",
                "linux/amd64",
                "--have-digests",
                str(digests),
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert [b["present"] for b in data["blobs"]] == [False, True, True, False]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sha256:abc\n", ":1: invalid sha256 digest 'sha256:abc'"),
        ("\n\nnot a digest\n", ":3: invalid digest 'not a digest'"),
        ("md5:" + "a" * 32 + "\n", ":1: unsupported digest algorithm 'md5'"),
    ],
)
def test_bad_have_digests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    digests = tmp_path / "bad.txt"
    digests.write_text(content)
    assert (
        main(
            [
                "plan",
                f"oci:{WEBAPP}:2.1",
                "--platform",
                "linux/amd64",
                "--have-digests",
                str(digests),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"{digests}{message}" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "value", ["fast", "100", "100 Mbirds", "-5Mbit", "0Mbit", "Mbit", "100MiBit/x"]
)
def test_bad_bandwidth(capsys: pytest.CaptureFixture[str], value: str) -> None:
    assert (
        main(["plan", f"oci:{WEBAPP}:2.1", "--platform", "linux/amd64", f"--bandwidth={value}"])
        == 2
    )
    assert "invalid bandwidth" in capsys.readouterr().err


BANDWIDTHS = [
    ("100Mbit", 100e6),
    ("100Mbit/s", 100e6),
    ("100Mbps", 100e6),
    ("1Gbit", 1e9),
    ("500kbit", 500e3),
    ("12.5MB/s", 100e6),
    ("12.5MBps", 100e6),
    ("1MiB/s", 8 * 1024 * 1024),
    ("10Mb", 10e6),
    ("2.5 Gbit/s", 2.5e9),
]


@pytest.mark.parametrize(("text", "bits"), BANDWIDTHS)
def test_parse_bandwidth(text: str, bits: float) -> None:
    assert parse_bandwidth(text) == pytest.approx(bits)


# docker/go-units size_test.go HumanSize expectations
SIZES = [
    (0, "0B"),
    (999, "999B"),
    (1000, "1kB"),
    (1024, "1.024kB"),
    (1_000_000, "1MB"),
    (1_048_576, "1.049MB"),
    (3_996, "3.996kB"),
    (22_496_034, "22.5MB"),
    (1_791_264_582, "1.791GB"),
    (1e12, "1TB"),
]


@pytest.mark.parametrize(("size", "text"), SIZES)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.34, "0.3 s"), (42, "42 s"), (200, "3 min 20 s"), (3600, "1 h"), (7500, "2 h 5 min")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("media_type", "compression"),
    [
        ("application/vnd.oci.image.layer.v1.tar+gzip", "gzip"),
        ("application/vnd.oci.image.layer.v1.tar+zstd", "zstd"),
        ("application/vnd.oci.image.layer.v1.tar", "none"),
        ("application/vnd.docker.image.rootfs.diff.tar.gzip", "gzip"),
        ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "gzip"),
        ("application/vnd.oci.image.config.v1+json", "none"),
        ("application/vnd.example.unknown", "unknown"),
    ],
)
def test_compression(media_type: str, compression: str) -> None:
    assert compression_of(media_type) == compression


def test_library_plan_from_copied_layout(tmp_path: Path) -> None:
    copy = tmp_path / "webapp"
    shutil.copytree(WEBAPP, copy)
    result = plan(f"oci:{copy}:2.1", "linux/amd64/v3", rules="containerd")
    # containerd's default host has no amd64 level: linux/amd64/v3 must be asked for explicitly
    assert result.resolution.platform is not None and result.resolution.platform.variant == "v3"
