"""Arbitrary input never escapes as anything but our own errors."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import InvalidManifest, Platform, load_rules, parse_document, select
from planner.model.manifest import Index

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)

platform_objects = st.fixed_dictionaries(
    {},
    optional={
        "os": st.sampled_from(["linux", "windows", "", "Linux", "unknown", 3]),
        "architecture": st.sampled_from(["amd64", "arm64", "arm", "386", "aarch64", "", None]),
        "variant": st.sampled_from(["", "v7", "v8", "v3", "v7l", "v9.1"]),
        "os.version": st.sampled_from(
            ["", "10.0.17763.1", "10.0.20348.2849", "10.0", "x.y.z", "10.0.99999.1"]
        ),
        "os.features": st.sampled_from([[], ["win32k"], ["x"], "win32k"]),
    },
)
entries = st.fixed_dictionaries(
    {
        "mediaType": st.sampled_from(
            [
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.index.v1+json",
                "text/plain",
            ]
        ),
        "digest": st.sampled_from(["sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:zz"]),
        "size": st.sampled_from([0, 10, -1]),
    },
    optional={
        "platform": platform_objects | st.none(),
        "annotations": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    },
)


@given(st.binary(max_size=200))
def test_parse_document_bytes(data: bytes) -> None:
    with contextlib.suppress(InvalidManifest):
        parse_document(data, "fuzz")


@given(json_values)
def test_parse_document_json(value: object) -> None:
    with contextlib.suppress(InvalidManifest):
        parse_document(json.dumps(value).encode(), "fuzz")


HOSTS = [
    Platform.parse(h)
    for h in (
        "linux/amd64",
        "linux/arm64/v8",
        "linux/arm/v6",
        "windows(10.0.20348.1)/amd64",
        "windows(10.0.26100.1)/arm64",
    )
]
RULES = [load_rules(n) for n in ("docker", "containerd", "containerd-1.6", "podman", "crane")]


@settings(max_examples=200)
@given(st.lists(entries, max_size=6), st.booleans())
def test_select_on_arbitrary_indexes(manifests: list[dict[str, object]], docker: bool) -> None:
    doc = {"schemaVersion": 2, "manifests": manifests}
    if docker:
        doc["mediaType"] = "application/vnd.docker.distribution.manifest.list.v2+json"
    try:
        index = parse_document(json.dumps(doc).encode(), "fuzz")
    except InvalidManifest:
        return
    assert isinstance(index, Index)
    for host in HOSTS:
        for rules in RULES:
            selection = select(index, host, rules)
            if selection.chosen is not None:
                assert (
                    selection.chosen.match and selection.preference[0] == selection.chosen.position
                )
            assert all(c.reason for c in selection.candidates)
