"""Arbitrary input never escapes as anything but our own errors."""

from __future__ import annotations

import contextlib
import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import InvalidManifest, Platform, load_rules, parse_document, select
from planner.model.manifest import Index

SCALE = int(os.environ.get("PULL_PLANNER_FUZZ_SCALE", "1"))
"""Examples per test are scaled by this (the suite runs 1; a deep run, say, 20)."""

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


@settings(max_examples=100 * SCALE)
@given(st.binary(max_size=200))
def test_parse_document_bytes(data: bytes) -> None:
    with contextlib.suppress(InvalidManifest):
        parse_document(data, "fuzz")


@settings(max_examples=100 * SCALE)
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


@settings(max_examples=200 * SCALE)
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


# --------------------------------------------------------------------------- every parser

from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from planner import InvalidInput, InvalidReference, Reference  # noqa: E402
from planner.app.plan import read_digest_file  # noqa: E402
from planner.hosts.inventory import load_inventory  # noqa: E402
from planner.hosts.profiles import load_hosts  # noqa: E402
from planner.model.yamlfile import load as load_yaml  # noqa: E402
from planner.policy.catalog import rules_dir  # noqa: E402
from planner.sources import source_kind  # noqa: E402
from planner.transport.challenge import parse_challenges  # noqa: E402

REFERENCE_PIECES = st.sampled_from(
    [
        "ubuntu",
        "library/",
        "ghcr.io/",
        "localhost:5000/",
        "[::1]:5000/",
        ":",
        "@",
        "sha256:",
        "a" * 64,
        "A",
        "-",
        ".",
        "_",
        "/",
        "latest",
        "1.0",
        "..",
        "x" * 130,
        "\x00",
        "é",
    ]
)


@settings(max_examples=300 * SCALE)
@given(st.lists(REFERENCE_PIECES, max_size=8).map("".join) | st.text(max_size=60))
def test_references_parse_or_say_why(text: str) -> None:
    try:
        reference = Reference.parse(text)
    except InvalidReference as exc:
        assert "\n" not in str(exc)
        return
    again = Reference.parse(str(reference))  # the normalized form parses to itself
    assert again == reference


@settings(max_examples=200 * SCALE)
@given(st.text(max_size=80))
def test_any_source_argument_is_classified_or_refused(text: str) -> None:
    try:
        assert source_kind(text) in ("stdin", "oci-layout", "json-file", "registry")
    except InvalidInput as exc:
        assert str(exc)


@settings(max_examples=200 * SCALE)
@given(st.text(max_size=200))
def test_yaml_loader_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(InvalidInput):
        load_yaml(text, "fuzz.yaml")


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _replace(value: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(rest), new)}
    assert isinstance(value, list) and isinstance(head, int)
    return [*value[:head], _replace(value[head], tuple(rest), new), *value[head + 1 :]]


SHIPPED_RULES = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(rules_dir().glob("*.yaml"))}


@settings(max_examples=150 * SCALE, deadline=None)
@given(st.sampled_from(sorted(SHIPPED_RULES)), st.data(), json_values)
def test_mutated_rule_files_load_or_say_where(
    tmp_path_factory: object, name: str, data: st.DataObject, value: object
) -> None:
    original = SHIPPED_RULES[name]
    path = data.draw(st.sampled_from(_paths(original)))
    mutated = _replace(original, path, value)
    target = Path(str(tmp_path_factory.mktemp("rules"))) / "mutated.yaml"  # type: ignore[attr-defined]
    target.write_text(yaml.safe_dump(mutated))
    try:
        load_rules(target)
    except InvalidInput as exc:
        assert (
            str(exc).startswith(f"{target}:") or "not found" in str(exc) or "rule file" in str(exc)
        )
        assert "\n" not in str(exc)


PROFILE = {
    "defaults": {"rules": "docker"},
    "hosts": [
        {
            "name": "a",
            "platform": "linux/amd64",
            "labels": {"x": "y"},
            "taints": ["k=v:NoSchedule", {"key": "g", "effect": "NoExecute"}],
        },
        {
            "name": "w",
            "platform": "windows/amd64",
            "os.version": "10.0.20348.1",
            "isolation": "process",
        },
    ],
}


@settings(max_examples=150 * SCALE, deadline=None)
@given(st.data(), json_values)
def test_mutated_profiles_load_or_say_where(
    tmp_path_factory: object, data: st.DataObject, value: object
) -> None:
    path = data.draw(st.sampled_from(_paths(PROFILE)))
    target = Path(str(tmp_path_factory.mktemp("hosts"))) / "hosts.yaml"  # type: ignore[attr-defined]
    target.write_text(yaml.safe_dump(_replace(PROFILE, path, value)))
    try:
        load_hosts(target)
    except InvalidInput as exc:
        assert str(exc).startswith(f"{target}:") and "\n" not in str(exc)


INVENTORIES = Path(__file__).parent / "data" / "inventories"
TOOL_OUTPUTS = {
    name: json.loads((INVENTORIES / name).read_text())
    for name in ("k3s-node.json", "docker-info-windows.json", "podman-info-5.json")
}


@settings(max_examples=150 * SCALE, deadline=None)
@given(st.sampled_from(sorted(TOOL_OUTPUTS)), st.data(), json_values)
def test_mutated_tool_outputs_load_or_say_where(
    tmp_path_factory: object, name: str, data: st.DataObject, value: object
) -> None:
    original = TOOL_OUTPUTS[name]
    path = data.draw(st.sampled_from(_paths(original)))
    target = Path(str(tmp_path_factory.mktemp("inventory"))) / name  # type: ignore[attr-defined]
    target.write_text(json.dumps(_replace(original, path, value), indent=2))
    try:
        load_inventory(target)
    except InvalidInput as exc:
        assert str(exc).startswith(f"{target}:") and "\n" not in str(exc)


HEADER_PIECES = st.sampled_from(
    [
        "Bearer",
        "Basic",
        " ",
        ",",
        "=",
        '"',
        "\\",
        "realm",
        "service",
        "scope",
        "https://x/t",
        "a=b",
        "token68==",
        "\t",
        "é",
        "",
    ]
)


@settings(max_examples=300 * SCALE)
@given(
    st.lists(st.lists(HEADER_PIECES, max_size=12).map("".join) | st.text(max_size=40), max_size=3)
)
def test_www_authenticate_never_raises(headers: list[str]) -> None:
    for challenge in parse_challenges(headers):
        assert challenge.scheme == challenge.scheme.lower() and challenge.scheme
        assert all(isinstance(v, str) for v in challenge.params.values())


@settings(max_examples=100 * SCALE, deadline=None)
@given(
    st.lists(
        st.sampled_from(["sha256:" + "a" * 64, "# c", "", "  ", "sha256:zz", "x", "é"]), max_size=6
    )
)
def test_digest_lists_parse_or_name_the_line(tmp_path_factory: object, lines: list[str]) -> None:
    target = Path(str(tmp_path_factory.mktemp("d"))) / "digests.txt"  # type: ignore[attr-defined]
    target.write_text("\n".join(lines))
    try:
        assert read_digest_file(target) <= {"sha256:" + "a" * 64}
    except InvalidInput as exc:
        assert str(exc).startswith(f"{target}:")


@settings(max_examples=300 * SCALE)
@given(st.text(max_size=40) | st.integers(-10, 10**12).map(str) | st.datetimes().map(str))
def test_retry_after_is_seconds_or_nothing(value: str) -> None:
    from planner.transport.sender import retry_after

    seconds = retry_after(value, 1_000_000_000.0)
    assert seconds is None or (isinstance(seconds, float) and 0 <= seconds < 2**32)


def test_deep_or_huge_credentials_files_are_one_line(tmp_path: Path) -> None:
    from planner.transport.credentials import CredentialStore

    for name, text in (("deep.json", "[" * 100_000), ("big.json", '{"n": ' + "9" * 5000 + "}")):
        config = tmp_path / name
        config.write_text(text)
        store = CredentialStore(env={"REGISTRY_AUTH_FILE": str(config), "HOME": str(tmp_path)})
        try:
            store.lookup("registry.test")
        except InvalidInput as exc:
            assert str(exc).startswith(str(config)) and "\n" not in str(exc)
        else:
            raise AssertionError("a broken credentials file must be an error")
