"""Platform parsing, formatting and normalization."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.model.errors import InvalidManifest, InvalidPlatform
from planner.model.platform import Platform
from planner.policy.loader import available_rule_sets, load_rules

VALID = [
    ("linux/amd64", Platform("linux", "amd64")),
    ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
    ("linux/arm/v7", Platform("linux", "arm", "v7")),
    ("linux/aarch64", Platform("linux", "aarch64")),  # kept as typed
    ("Linux/AMD64", Platform("Linux", "AMD64")),  # not lower-cased by parsing
    ("linux/arm64/v8.2", Platform("linux", "arm64", "v8.2")),  # dots: platforms rc.0+
    ("windows(10.0.17763)/amd64", Platform("windows", "amd64", os_version="10.0.17763")),
    (
        "windows(10.0.20348.2849+win32k)/amd64",
        Platform("windows", "amd64", os_version="10.0.20348.2849", os_features=("win32k",)),
    ),
    ("windows(+win32k)/amd64", Platform("windows", "amd64", os_features=("win32k",))),
    ("windows()/amd64", Platform("windows", "amd64")),
    ("linux(%2Bx)/amd64", Platform("linux", "amd64", os_version="+x")),  # percent-decoded
    ("linux/riscv64/rva20u64", Platform("linux", "riscv64", "rva20u64")),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_parse_valid(text: str, expected: Platform) -> None:
    parsed = Platform.parse(text)
    assert parsed == expected
    assert str(parsed) == text  # display keeps what was typed


INVALID = [
    ("", "empty platform"),
    ("linux", "missing architecture"),
    ("linux/", "component 2 is empty"),
    ("/amd64", "component 1 is empty"),
    ("linux//v7", "component 2 is empty"),
    ("linux/arm/v7/extra", "too many parts"),
    ("linux/*", "wildcards"),
    ("linux/amd 64", "may only use"),
    ("linux/amd64/v(3)", "may only use"),
    ("lin ux/amd64", "os component"),
    ("windows(10.0/amd64", "os component"),
    ("windows(10 0)/amd64", "os version/feature"),
    ("windows(10.0++x)/amd64", "empty os feature"),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[t or "empty" for t, _ in INVALID])
def test_parse_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidPlatform) as info:
        Platform.parse(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(InvalidPlatform):
        Platform.parse(None)  # type: ignore[arg-type]


def test_display_does_not_affect_equality() -> None:
    assert Platform.parse("linux/amd64") == Platform("linux", "amd64")
    assert hash(Platform.parse("linux/amd64")) == hash(Platform("linux", "amd64"))


def test_oci_round_trip_uses_spec_field_names() -> None:
    p = Platform("windows", "amd64", "", "10.0.17763.1", ("win32k",), ("sse4",))
    oci = p.to_oci()
    assert oci == {
        "architecture": "amd64",
        "os": "windows",
        "os.version": "10.0.17763.1",
        "os.features": ["win32k"],
        "features": ["sse4"],
    }
    assert Platform.from_oci(oci, "test") == p


@pytest.mark.parametrize(
    "bad",
    [[], "linux", {"os": 1}, {"os.features": "win32k"}, {"os.features": [1]}, {"variant": ["v7"]}],
)
def test_from_oci_rejects_bad_types(bad: object) -> None:
    with pytest.raises(InvalidManifest):
        Platform.from_oci(bad, "entry")


def test_format_forms() -> None:
    p = Platform("windows", "amd64", "", "10.0.20348.1", ("win32k",))
    assert p.format() == "windows/amd64"
    assert p.format_all() == "windows(10.0.20348.1+win32k)/amd64"
    assert p.describe() == "windows/amd64 10.0.20348.1 +win32k"
    assert Platform("", "amd64").format() == "unknown/amd64"


# --------------------------------------------------------------------------- properties

_token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
    min_size=1,
    max_size=8,
)
_dotted = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=8)
_version = st.text(min_size=0, max_size=12)  # any text: FormatAll percent-encodes it
_feature = st.text(min_size=1, max_size=8)

platforms = st.builds(
    Platform,
    os=_token,
    architecture=_dotted,
    variant=st.one_of(st.just(""), _dotted),
    os_version=_version,
    os_features=st.lists(_feature, max_size=3).map(tuple),
)


@given(platforms)
def test_format_all_parse_round_trip(p: Platform) -> None:
    assert Platform.parse(p.format_all()) == p


@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(InvalidPlatform):
        Platform.parse(text)


@pytest.mark.parametrize("rules_name", available_rule_sets())
@given(p=platforms)
def test_normalization_is_idempotent(rules_name: str, p: Platform) -> None:
    rules = load_rules(rules_name)
    for normalize in (rules.host_normalizer, rules.candidate_normalizer):
        once = normalize(p)
        assert normalize(once) == once


KNOWN_SPELLINGS = [
    "linux/i386",
    "linux/x86_64",
    "linux/x86-64",
    "linux/aarch64",
    "linux/armhf",
    "linux/armel",
    "linux/arm",
    "linux/arm/7",
    "linux/arm/5",
    "linux/arm64/8",
    "linux/arm64/v8",
    "linux/arm64/v8.0",
    "linux/arm64/9",
    "linux/arm64/9.0",
    "linux/arm64/v9.0",
    "linux/amd64/v1",
    "macos/arm64",
    "LINUX/AMD64",
    "linux/armhf/v6",
]


@pytest.mark.parametrize("rules_name", available_rule_sets())
@pytest.mark.parametrize("text", KNOWN_SPELLINGS)
def test_normalization_idempotent_on_aliases(rules_name: str, text: str) -> None:
    rules = load_rules(rules_name)
    for normalize in (rules.host_normalizer, rules.candidate_normalizer):
        once = normalize(Platform.parse(text))
        assert normalize(once) == once


# containerd/platforms database.go normalizeArch, platforms_test.go TestParseSelector expectations
CONTAINERD_NORMALIZED = [
    ("linux/i386", "linux/386"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/x86-64", "linux/amd64"),
    ("linux/amd64/v1", "linux/amd64"),
    ("linux/amd64/v3", "linux/amd64/v3"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/arm64/8", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm64/v8.0", "linux/arm64"),
    ("linux/arm64/9", "linux/arm64/v9"),
    ("linux/arm64/v9.0", "linux/arm64/v9"),
    ("linux/arm64/v8.2", "linux/arm64/v8.2"),
    ("linux/armhf", "linux/arm/v7"),
    ("linux/armhf/v6", "linux/arm/v7"),  # forced, even when a variant is given
    ("linux/armel", "linux/arm/v6"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/arm/5", "linux/arm/v5"),
    ("linux/arm/8", "linux/arm/v8"),
    ("linux/arm/4", "linux/arm/4"),
    ("macos/arm64", "darwin/arm64"),
    ("Linux/AMD64", "linux/amd64"),
    ("linux/ppc64le/power9", "linux/ppc64le/power9"),
]


@pytest.mark.parametrize(("text", "expected"), CONTAINERD_NORMALIZED)
def test_containerd_normalization(text: str, expected: str) -> None:
    rules = load_rules("containerd")
    assert rules.candidate_normalizer(Platform.parse(text)).format() == expected


def test_containerd_16_keeps_v8_0_and_v9() -> None:
    rules = load_rules("containerd-1.6")
    assert (
        rules.candidate_normalizer(Platform.parse("linux/arm64/v8.0")).format()
        == "linux/arm64/v8.0"
    )
    assert rules.candidate_normalizer(Platform.parse("linux/arm64/9")).format() == "linux/arm64/9"


def test_os_features_sorted_by_containerd_23() -> None:
    p = Platform("windows", "amd64", os_features=("b", "a", "b"))
    assert load_rules("containerd").candidate_normalizer(p).os_features == ("a", "b")
    assert load_rules("containerd-1.6").candidate_normalizer(p).os_features == ("b", "a", "b")


def test_podman_and_crane_do_not_normalize_entries() -> None:
    p = Platform.parse("linux/aarch64")
    assert load_rules("podman").candidate_normalizer(p) == p
    assert load_rules("crane").candidate_normalizer(p) == p
    assert load_rules("crane").host_normalizer(p) == p
