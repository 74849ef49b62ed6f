"""Resolver behaviour beyond the pick: reasons, ranks and warnings users read."""

from __future__ import annotations

import pytest

from planner import InvalidPlatform, Platform, load_rules, parse_document, select
from planner.model.manifest import Index
from planner.select.explain import reason
from planner.select.runs import judge_image_platform
from planner.select.verdicts import Code, NoticeCode
from tests.helpers import index_json


def make_index(*platforms: dict[str, object] | None, docker: bool = False) -> Index:
    entries = [{} if p is None else {"platform": p} for p in platforms]
    index = parse_document(index_json(entries, docker=docker), "test")
    assert isinstance(index, Index)
    return index


def test_reasons_name_the_rule() -> None:
    index = make_index(
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm", "variant": "v7"},
        {"os": "linux", "architecture": "aarch64"},
        {"os": "windows", "architecture": "arm64", "os.version": "10.0.26100.1"},
    )
    selection = select(index, Platform.parse("linux/arm64"), load_rules("docker"))
    reasons = [c.reason for c in selection.candidates]
    assert reasons == [
        "rejected: amd64 is not among what linux/arm64 runs (arm64, arm/v8, arm/v7, arm/v6, arm/v5)",
        "rank 2: arm64 host runs arm/v7 via 32-bit compatibility",
        "rank 0: exact match (linux/aarch64 normalizes to linux/arm64)",
        "rejected: os windows does not run on a linux host",
    ]
    assert selection.preference == (2, 1)


def test_amd64_levels_reason() -> None:
    index = make_index({"os": "linux", "architecture": "amd64", "variant": "v2"})
    (candidate,) = select(index, Platform.parse("linux/amd64/v3"), load_rules("docker")).candidates
    assert candidate.rank == 1
    assert candidate.reason == "rank 1: amd64/v3 host runs the older variant amd64/v2"


def test_podman_variantless_fallback_reason() -> None:
    index = make_index({"os": "linux", "architecture": "arm"})
    (candidate,) = select(index, Platform.parse("linux/arm/v7"), load_rules("podman")).candidates
    assert candidate.rank == 3
    assert "variant-less arm entry as a fallback" in candidate.reason


def test_windows_reasons() -> None:
    index = make_index(
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.1"},
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.1"},
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.26100.1"},
    )
    host = Platform.parse("windows(10.0.26200.1)/amd64")
    containerd = select(index, host, load_rules("containerd")).candidates
    assert (
        containerd[0].reason
        == "rejected: windows build 17763 (ltsc2019) is older than the oldest build host 26200 runs (26100 (ltsc2025), stable ABI)"
    )
    assert containerd[1].reason.startswith("rejected: windows build 20348 (ltsc2022) is older")
    assert (
        containerd[2].reason
        == "rank 0: exact match; windows build 26100 (ltsc2025) runs on host build 26200 (stable ABI)"
    )
    docker = select(index, host, load_rules("docker"))
    assert docker.chosen is not None and docker.chosen.position == 0
    assert docker.candidates[0].reason.endswith("(runs only with Hyper-V isolation)")
    assert docker.candidates[1].reason.endswith("(runs with process isolation, stable ABI)")
    assert any("closer build" in w and "entry 2" in w for w in docker.warnings)
    newer = select(
        index, Platform.parse("windows(10.0.17763.1)/amd64"), load_rules("docker")
    ).candidates
    assert newer[1].reason == "rejected: windows build 20348 is newer than host build 17763"


def test_ltsc2022_on_ws2025_needs_no_hyperv_warning() -> None:
    index = make_index({"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.1"})
    selection = select(index, Platform.parse("windows(10.0.26100.1)/amd64"), load_rules("docker"))
    assert selection.chosen is not None
    assert not any("Hyper-V" in w for w in selection.warnings)


def test_non_canonical_variant_warning() -> None:
    index = make_index(
        {"os": "linux", "architecture": "arm", "variant": "v7l"},
        {"os": "linux", "architecture": "arm", "variant": "v6"},
    )
    selection = select(index, Platform.parse("linux/arm/v7"), load_rules("docker"))
    assert selection.chosen is not None and selection.chosen.position == 1
    (warning,) = selection.warnings
    assert "entry 0 (linux/arm/v7l) has the non-canonical variant 'v7l'" in warning


def test_no_platform_pick_warns() -> None:
    index = make_index(None, {"os": "linux", "architecture": "amd64"})
    selection = select(index, Platform.parse("linux/arm64"), load_rules("docker"))
    assert selection.chosen is not None and selection.chosen.position == 0
    assert (
        selection.candidates[0].reason
        == "rank 5: no platform, taken only if no entry with a platform matches"
    )
    assert "has no platform" in selection.warnings[0]


def test_crane_substitutes_linux_amd64() -> None:
    index = make_index(None)
    (candidate,) = select(index, Platform.parse("linux/amd64"), load_rules("crane")).candidates
    assert candidate.reason == "rank 0: no platform, taken as linux/amd64; exact match"


def test_unknown_arm64_variant_reason() -> None:
    index = make_index({"os": "linux", "architecture": "arm64", "variant": "v10"})
    (candidate,) = select(
        index, Platform.parse("linux/arm64/v10"), load_rules("containerd")
    ).candidates
    assert "knows no arm64 variant 'v10'" in candidate.reason


@pytest.mark.parametrize("rules", ["docker", "docker@20.10.24"])
def test_windows_host_needs_build(rules: str) -> None:
    """Docker's classic store pulls no Windows image on a Linux daemon (IsOSSupported), and a
    Windows daemon always knows its build: a Windows host without one is an error."""
    with pytest.raises(InvalidPlatform, match=r"a Windows host needs its os\.version"):
        select(make_index(), Platform.parse("windows/amd64"), load_rules(rules))


@pytest.mark.parametrize(
    "rules",
    ["containerd", "containerd-1.6", "containerd@1.7.20", "docker-c8d", "docker-c8d@24.0.9"],
)
def test_containerd_without_host_build_takes_every_build(rules: str) -> None:
    """ctr pull --platform windows/amd64 (and Docker's containerd store on a Linux daemon):
    a matcher without os.version matches any build; the request decided, and says so."""
    index = make_index(
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.26100.2314"},
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.6054"},
    )
    selection = select(index, Platform.parse("windows/amd64"), load_rules(rules))
    assert selection.preference == (0, 1)  # every build, in list order
    assert "every windows build matches" in selection.candidates[1].reason
    assert [n.code for n in selection.notices] == [NoticeCode.REQUEST_DECIDED]
    assert "the request decided" in selection.warnings[0]


@pytest.mark.parametrize("rules", ["podman", "crane"])
def test_windows_host_without_build_is_fine_where_ignored(rules: str) -> None:
    index = make_index({"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.1"})
    selection = select(index, Platform.parse("windows/amd64"), load_rules(rules))
    assert selection.chosen is not None


def test_nested_index_in_json_file_is_reported() -> None:
    entries = [
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "platform": {"os": "linux", "architecture": "amd64"},
        }
    ]
    index = parse_document(index_json(entries), "test")
    assert isinstance(index, Index)
    selection = select(index, Platform.parse("linux/amd64"), load_rules("docker"))
    assert selection.chosen is not None and selection.image is not None
    assert "nested index" in selection.warnings[0] and "cannot read it" in selection.warnings[0]


def test_judge_image_platform() -> None:
    verdict = judge_image_platform(
        Platform("linux", "arm", "v7"), Platform.parse("linux/arm64"), load_rules("docker")
    )
    assert verdict.match and verdict.code is Code.FALLBACK and verdict["via"] == "32-bit"
    assert reason(verdict) == "rank 2: arm64 host runs arm/v7 via 32-bit compatibility"
    verdict = judge_image_platform(
        Platform("linux", "arm64"), Platform.parse("linux/amd64"), load_rules("podman")
    )
    assert not verdict.match and verdict.code is Code.NOT_RUN_BY_HOST
    assert reason(verdict).startswith("rejected:")


@pytest.mark.parametrize(
    ("rules", "fails"),
    [("docker@20.10.24", True), ("docker@20.10.24+dfsg1", True), ("docker@23.0.0", False)],
)
def test_a_release_known_to_fail_on_its_pick_says_so(rules: str, fails: bool) -> None:
    """moby v20.10.24 picks a "Linux/AMD64" entry, then panics: no layer store for "Linux"
    (distribution/xfer/download.go; live: tests/test_real_engines.py CLIENT_ERRORS)."""
    index = make_index({"os": "Linux", "architecture": "AMD64"})
    selection = select(index, Platform.parse("linux/amd64"), load_rules(rules))
    assert selection.chosen is not None and selection.chosen.position == 0
    codes = [n.code for n in selection.notices]
    assert codes == ([NoticeCode.KNOWN_FAILURE] if fails else [])
    if fails:
        assert "known to fail on it" in selection.warnings[0]
