"""Rule-set files: the shipped ones load, broken ones fail with file:line and key."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from planner.model.errors import InvalidRules
from planner.model.platform import Platform
from planner.policy.catalog import rules_dir
from planner.policy.loader import available_rule_sets, load_rules

SHIPPED = [
    "buildah",
    "containerd",
    "crane",
    "cri-o",
    "docker",
    "docker-c8d",
    "podman",
    "regctl",
    "skopeo",
]

MINIMAL = """\
schema: 1
name: mine
summary: "my rules"
compatible:
  amd64: [amd64, "386"]
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_shipped_rule_sets() -> None:
    assert available_rule_sets() == SHIPPED
    for name in SHIPPED:
        rules = load_rules(name)
        assert rules.name == name
        assert rules.sources, f"{name} cites no sources"
        assert rules.path.parent == rules_dir()


def test_every_shipped_file_cites_sources_in_comments() -> None:
    for name in SHIPPED:
        text = (rules_dir() / f"{name}.yaml").read_text()
        assert re.search(r"^# .*\.go", text, re.M), f"{name}.yaml has no source comment"


@pytest.mark.parametrize(
    ("rules", "host", "vector"),
    [
        ("docker", "linux/amd64", ["amd64", "386"]),
        ("docker", "linux/amd64/v3", ["amd64/v3", "amd64/v2", "amd64", "386"]),
        ("docker", "linux/arm64", ["arm64", "arm/v8", "arm/v7", "arm/v6", "arm/v5"]),
        ("docker", "linux/arm/v7", ["arm/v7", "arm/v6", "arm/v5"]),
        (
            "docker",
            "linux/arm64/v8.1",
            ["arm64/v8.1", "arm64", "arm/v8", "arm/v7", "arm/v6", "arm/v5"],
        ),
        (
            "containerd",
            "linux/arm64/v9.1",
            ["arm64/v9.1", "arm64/v9"]
            + [f"arm64/v8.{i}" for i in range(6, 0, -1)]
            + ["arm64", "arm/v8", "arm/v7", "arm/v6", "arm/v5"],
        ),
        (
            "containerd",
            "linux/arm64/v9.7",
            [
                "arm64/v9.7",
                "arm64/v9.6",
                "arm64/v9.5",
                "arm64/v9.4",
                "arm64/v9.3",
                "arm64/v9.2",
                "arm64/v9.1",
                "arm64/v9",
            ]
            + [f"arm64/v8.{i}" for i in range(9, 0, -1)]
            + ["arm64", "arm/v8", "arm/v7", "arm/v6", "arm/v5"],
        ),
        ("containerd", "linux/arm64/v11", []),
        ("containerd", "linux/s390x", ["s390x"]),
        (
            "containerd-1.6",
            "linux/arm64/v9",
            ["arm64/v9", "arm/v9", "arm/v8", "arm/v7", "arm/v6", "arm/v5"],
        ),
        ("podman", "linux/arm/v7", ["arm/v7", "arm/v6", "arm/v5", "arm"]),
        ("podman", "linux/arm64", ["arm64", "arm64/v8"]),
        ("podman", "linux/arm64/v8", ["arm64/v8", "arm64"]),
        ("podman", "linux/amd64/v2", ["amd64/v2", "amd64"]),
        ("podman", "linux/amd64", ["amd64"]),
        ("crane", "linux/arm64", ["arm64"]),
    ],
)
def test_vectors(rules: str, host: str, vector: list[str]) -> None:
    rule_set = load_rules(rules)
    runs = rule_set.vector(rule_set.host_normalizer(Platform.parse(host)))
    assert ["/".join(p for p in av if p) for av in runs] == vector


def test_custom_rule_file(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, MINIMAL))
    assert rules.name == "mine"
    assert rules.vector(Platform("linux", "amd64")) == (("amd64", ""), ("386", ""))


def test_unknown_rule_set_lists_available() -> None:
    with pytest.raises(
        InvalidRules,
        match=r"unknown rule set 'dokcer' \(did you mean 'docker'\?\); available: buildah, containerd, crane, cri-o, docker, docker-c8d, podman, regctl, skopeo \(each as NAME or NAME@RELEASE; aliases: containerd-1.6;",
    ):
        load_rules("dokcer")


def test_missing_rule_file() -> None:
    with pytest.raises(InvalidRules, match=re.escape("rule file './nope.yaml' not found")):
        load_rules("./nope.yaml")


BROKEN = [
    pytest.param(
        MINIMAL + "compatibel: {}\n",
        6,
        "compatibel: unknown key (did you mean 'compatible'?)",
        id="typo-top-level",
    ),
    pytest.param(
        MINIMAL.replace("schema: 1", "schema: 2"), 1, "schema: unsupported schema 2", id="schema"
    ),
    pytest.param(
        MINIMAL.replace("name: mine\n", ""), 1, "missing required key 'name'", id="missing-key"
    ),
    pytest.param(
        MINIMAL + "match:\n  variant: fuzzy\n",
        7,
        "match.variant: 'fuzzy' is not one of: equal, if-requested",
        id="bad-enum",
    ),
    pytest.param(
        MINIMAL + "match:\n  os_feature: subset\n",
        7,
        "match.os_feature: unknown key (did you mean 'os_features'?)",
        id="typo-nested",
    ),
    pytest.param(
        MINIMAL + "  arm64: [arm64, ...arm]\n",
        6,
        "'...arm' refers to no host key 'arm'",
        id="bad-splice",
    ),
    pytest.param(
        MINIMAL + "  arm64: [arm, arm64]\n",
        6,
        "the first entry must be the host itself",
        id="first-not-host",
    ),
    pytest.param(MINIMAL + "  a: [a, ...b]\n  b: [b, ...a]\n", 7, "cycle: a -> b -> a", id="cycle"),
    pytest.param(MINIMAL + "  arm64: arm64\n", 6, "must be a non-empty list", id="not-a-list"),
    pytest.param(
        MINIMAL + "  Linux/Arm64: [arm64]\n",
        6,
        "host key must be 'arch' or 'arch/variant'",
        id="bad-host-key",
    ),
    pytest.param(
        MINIMAL + "  amd64: [amd64]\n",
        6,
        "duplicate key 'amd64' (first at line 5)",
        id="duplicate-key",
    ),
    pytest.param(
        MINIMAL + "normalize:\n  host: none\n  candidates:\n    variant:\n      arm64: {8: ''}\n",
        10,
        "quote numbers",
        id="unquoted-number",
    ),
    pytest.param(
        MINIMAL + "normalize:\n  host: none\n",
        7,
        "missing required key 'candidates'",
        id="normalize-incomplete",
    ),
    pytest.param(
        MINIMAL
        + "normalize:\n  host: none\n  candidates:\n    architecture:\n      x86_64: amd64\n",
        10,
        "must be a mapping",
        id="alias-not-mapping",
    ),
    pytest.param(
        MINIMAL
        + "windows:\n  strategy: stable-abi\n  ltsc_builds: [26100, 20348]\n  floor: largest-below-host\n",
        8,
        "ascending",
        id="ltsc-order",
    ),
    pytest.param(
        MINIMAL + "windows:\n  strategy: stable-abi\n  ltsc_builds: [20348]\n  floor: lowest\n",
        9,
        "'lowest' is not one of",
        id="bad-floor",
    ),
    pytest.param(
        MINIMAL + "windows:\n  strategy: docker-classic\n",
        7,
        "needs 'process_isolation'",
        id="classic-needs-isolation",
    ),
    pytest.param(
        MINIMAL + "windows:\n  strategy: none\n  floor: previous-ltsc\n",
        8,
        "only applies to strategy stable-abi",
        id="floor-without-stable-abi",
    ),
    pytest.param(
        MINIMAL + "no_platform: sometimes\n", 6, "neither last-resort", id="bad-no-platform"
    ),
    pytest.param(MINIMAL + "order: [newest]\n", 6, "'newest' is not one of", id="bad-tie-break"),
    pytest.param(
        MINIMAL + "unlisted:\n  default: maybe\n",
        7,
        "'maybe' is not one of: exact",
        id="bad-unlisted",
    ),
    pytest.param(
        MINIMAL + "  amd64/v2: [amd64/v2, ...amd64\n", 7, "invalid YAML", id="invalid-yaml"
    ),
    pytest.param("- just\n- a list\n", 1, "must be a mapping", id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_broken_rule_files(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidRules) as info:
        load_rules(path)
    error = str(info.value)
    assert error.startswith(f"{path}:{line}:"), error
    assert message in error
    assert "\n" not in error


def test_rule_file_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.encode() + b"# caf\xe9\n")
    with pytest.raises(InvalidRules, match="not UTF-8"):
        load_rules(path)
