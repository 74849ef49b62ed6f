"""OCI image layouts as a source: naming, nested indexes, verification, single images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner import DigestMismatch, InvalidManifest, InvalidSource, SourceError, resolve
from planner.cli import main
from tests.helpers import OciLayout

AMD64 = {"os": "linux", "architecture": "amd64"}
ARM64 = {"os": "linux", "architecture": "arm64"}
ARM_V7 = {"os": "linux", "architecture": "arm", "variant": "v7"}


@pytest.fixture
def layout(tmp_path: Path) -> OciLayout:
    return OciLayout(tmp_path / "layout")


def test_tagged_index(layout: OciLayout) -> None:
    amd64, arm64 = layout.image(AMD64), layout.image(ARM64)
    index = layout.index([amd64, arm64])
    layout.tag(index, "1.0")
    result = resolve(f"oci:{layout.root}:1.0", "linux/arm64")
    assert result.selected is not None and result.selected.digest == arm64["digest"]
    assert result.index is not None and result.index.digest == index["digest"]
    assert result.source == f"oci:{layout.root}:1.0"


def test_directory_path_is_a_layout(layout: OciLayout) -> None:
    layout.tag(layout.index([layout.image(AMD64)]), None)
    assert resolve(str(layout.root), "linux/amd64").selected is not None


def test_digest_reference(layout: OciLayout) -> None:
    amd64 = layout.image(AMD64)
    index = layout.index([amd64])
    layout.tag(index, "latest")
    result = resolve(f"oci:{layout.root}@{index['digest']}", "linux/amd64")
    assert result.selected is not None and result.selected.digest == amd64["digest"]


def test_unknown_tag_lists_names(layout: OciLayout) -> None:
    layout.tag(layout.index([layout.image(AMD64)]), "1.0")
    layout.tag(layout.index([layout.image(ARM64)]), "2.0")
    with pytest.raises(InvalidSource, match=re.escape("no image named '3.0'; names: 1.0, 2.0")):
        resolve(f"oci:{layout.root}:3.0", "linux/amd64")
    with pytest.raises(InvalidSource, match="lists 2 images; choose one with oci:DIR:TAG"):
        resolve(f"oci:{layout.root}", "linux/amd64")


def test_unnamed_entries_make_index_json_the_index(layout: OciLayout) -> None:
    amd64, arm = layout.image(AMD64), layout.image(ARM_V7)
    layout.entries = [amd64, arm]
    layout.write_index()
    result = resolve(f"oci:{layout.root}", "linux/arm64")
    assert result.selected is not None and result.selected.digest == arm["digest"]


def test_nested_index_followed(layout: OciLayout) -> None:
    arm64 = layout.image(ARM64)
    inner = layout.index([layout.image(AMD64), arm64])  # no platform: last resort
    outer = layout.index([layout.image(ARM_V7), inner])
    layout.tag(outer, "t")
    # arm/v7 (rank 2) beats the platform-less nested index
    assert resolve(f"oci:{layout.root}:t", "linux/arm64").platform.architecture == "arm"  # type: ignore[union-attr]
    # a riscv64 host: nothing outside; the nested index is tried and has nothing either
    result = resolve(f"oci:{layout.root}:t", "linux/riscv64")
    assert result.selected is None
    assert "nothing inside matches" in result.candidates[1].reason


def test_nested_index_is_entered_when_it_is_the_only_match(layout: OciLayout) -> None:
    arm64 = layout.image(ARM64)
    inner = layout.index([layout.image(AMD64), arm64], platform=ARM64)
    layout.tag(layout.index([layout.image(AMD64), inner]), "t")
    result = resolve(f"oci:{layout.root}:t", "linux/arm64")
    assert result.selected is not None and result.selected.digest == arm64["digest"]
    nested = result.candidates[1].nested
    assert nested is not None and [c.match for c in nested.candidates] == [False, True]
    assert "nested" in result.to_dict()["candidates"][1]


def test_nested_index_with_no_match_moves_on(layout: OciLayout) -> None:
    amd64 = layout.image(AMD64)
    inner = layout.index([layout.image(ARM64)], platform=AMD64)
    layout.tag(layout.index([inner, amd64]), "t")
    result = resolve(f"oci:{layout.root}:t", "linux/amd64")
    assert result.selected is not None and result.selected.digest == amd64["digest"]


def test_nesting_depth_limit(layout: OciLayout) -> None:
    descriptor = layout.image(AMD64)
    for _ in range(6):
        descriptor = layout.index([descriptor], platform=AMD64)
    layout.tag(descriptor, "deep")
    with pytest.raises(InvalidManifest, match="nested more than 4 levels"):
        resolve(f"oci:{layout.root}:deep", "linux/amd64")


def test_corrupt_blob_is_a_digest_mismatch(layout: OciLayout) -> None:
    index = layout.index([layout.image(ARM64)])
    layout.tag(index, "t")
    index_blob = layout.root / "blobs" / "sha256" / index["digest"][7:]
    # same size, different content: only the digest check can catch it
    index_blob.write_bytes(index_blob.read_bytes().replace(b'"arm64"', b'"amd64"'))
    with pytest.raises(DigestMismatch, match="does not match its digest"):
        resolve(f"oci:{layout.root}:t", "linux/arm64")


def test_cli_exit_codes_for_layout_failures(
    layout: OciLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    index = layout.index([layout.image(AMD64)])
    layout.tag(index, "t")
    index_blob = layout.root / "blobs" / "sha256" / index["digest"][7:]
    index_blob.write_bytes(index_blob.read_bytes() + b" ")
    assert main(["resolve", f"oci:{layout.root}:t", "--platform", "linux/amd64"]) == 3
    assert "size mismatch" in capsys.readouterr().err
    index_blob.unlink()
    assert main(["resolve", f"oci:{layout.root}:t", "--platform", "linux/amd64"]) == 3
    assert f"blob {index['digest']} is missing" in capsys.readouterr().err
    assert main(["resolve", f"oci:{layout.root}/nope", "--platform", "linux/amd64"]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_not_a_layout(tmp_path: Path) -> None:
    with pytest.raises(InvalidSource, match="not an OCI image layout"):
        resolve(f"oci:{tmp_path}", "linux/amd64")
    with pytest.raises(InvalidSource, match="is a directory but not an OCI image layout"):
        resolve(str(tmp_path), "linux/amd64")
    (tmp_path / "oci-layout").write_text('{"imageLayoutVersion": "9"}')
    with pytest.raises(InvalidManifest, match=re.escape("imageLayoutVersion 1.0.0")):
        resolve(f"oci:{tmp_path}", "linux/amd64")


def test_missing_layers_are_fine(layout: OciLayout) -> None:
    layout.tag(layout.index([layout.image(AMD64, write_layers=False)]), "t")
    assert resolve(f"oci:{layout.root}:t", "linux/amd64").selected is not None


def test_single_image_platform_from_config(layout: OciLayout) -> None:
    image = layout.image(ARM64)
    layout.tag(image, "single")
    ok = resolve(f"oci:{layout.root}:single", "linux/arm64")
    assert ok.index is None and ok.selected is not None and ok.selected.digest == image["digest"]
    assert ok.platform is not None and ok.platform.architecture == "arm64"
    assert ok.warnings == ()
    mismatch = resolve(f"oci:{layout.root}:single", "linux/amd64")
    assert mismatch.selected is not None  # pulled anyway, as every client does
    assert len(mismatch.warnings) == 1 and "is pulled all the same" in mismatch.warnings[0]
    assert mismatch.problem.startswith("the tag is a single linux/arm64 image")


def test_single_image_without_config(layout: OciLayout) -> None:
    layout.tag(layout.image(ARM64, write_config=False), "single")
    result = resolve(f"oci:{layout.root}:single", "linux/amd64")
    assert result.selected is not None and result.platform is None
    assert "config is not available" in result.warnings[0]


def test_source_errors_are_typed(layout: OciLayout) -> None:
    layout.tag(
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": "sha256:" + "0" * 64,
            "size": 2,
        },
        "gone",
    )
    with pytest.raises(SourceError, match="is missing"):
        resolve(f"oci:{layout.root}:gone", "linux/amd64")


def test_a_single_image_for_another_platform_is_the_pick_and_fails(
    layout: OciLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22: the row said 'rejected' under the '>' of the pick, and resolve exited 0.
    Every client pulls a single-image tag whatever its platform (the engine's pick), so the
    row says it is pulled and will not run, and resolve and plan exit 1."""
    from planner.cli import main

    layout.tag(layout.image(ARM64), "single")
    argv = [f"oci:{layout.root}:single", "--platform", "linux/amd64"]
    assert main(["resolve", *argv]) == 1
    out, err = capsys.readouterr()
    assert [line[:5] for line in out.splitlines() if line.startswith(">")] == [">  0 "]
    words = " ".join(out.split())  # the table wraps its verdicts
    assert "rejected" not in words and "pulled as it is; will not run here" in words
    assert "WILL NOT RUN: the tag is a single linux/arm64 image" in out
    assert "error: the pick will not run on this host" in err
    assert main(["plan", *argv, "-q"]) == 1
    assert main(["resolve", f"oci:{layout.root}:single", "--platform", "linux/arm64"]) == 0
