"""Host detection is data: each family's ``local`` block, applied by planner/hosts.

* every family's declared detection gives, for every recorded machine of
  tests/data/cpuinfo and at every release where a detection changed, the same
  platform and ``how`` line as the Python it replaced (tests/data/local-detection,
  recorded from planner/hosts/local.py at b0f6db8);
* the x86-64 levels the families declare are go-archvariant's, the psABI ones;
* a made-up family with its own ``local`` block is detected with no Python change;
* broken ``local`` blocks are refused with the key path and the problem.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import pytest

from planner.hosts.cpuinfo import X86_LEVELS
from planner.hosts.local import read_machine
from planner.model.errors import InvalidRules
from planner.policy.catalog import available_rule_sets
from planner.policy.detection import reaches
from planner.policy.loader import load_rules

DATA = Path(__file__).parent / "data"
CPUINFO = DATA / "cpuinfo"


class Before(NamedTuple):
    fixture: str
    machine: str
    architecture: str
    rules: str
    platform: str
    how: str


def _before() -> list[Before]:
    lines = (DATA / "local-detection" / "before.tsv").read_text(encoding="utf-8").splitlines()
    return [Before(*line.split("\t")) for line in lines if not line.startswith("#")]


BEFORE = _before()


@pytest.mark.parametrize(
    "row", BEFORE, ids=[f"{r.fixture}-{r.machine}-{r.architecture}-{r.rules}" for r in BEFORE]
)
def test_declared_detection_answers_as_before(row: Before) -> None:
    machine = read_machine(
        CPUINFO / row.fixture,
        machine=row.machine,
        system="linux",
        architecture=None if row.architecture == "-" else row.architecture,
    )
    local = machine.host_for(load_rules(row.rules))
    assert (local.platform.format(), local.how[-1]) == (row.platform, row.how)


def test_the_table_covers_every_fixture_and_family() -> None:
    assert {r.fixture for r in BEFORE} == {p.name for p in CPUINFO.iterdir() if p.is_dir()}
    assert {r.rules.split("@")[0] for r in BEFORE} == set(available_rule_sets())


@pytest.mark.parametrize("family", available_rule_sets())
def test_every_shipped_family_declares_its_detection(family: str) -> None:
    rules = load_rules(family)
    assert rules.local is not None and rules.local.name == family
    detections = [rules.local.base, *(c.detection for c in rules.local.changes)]
    for detection in detections:
        if detection.x86_levels:  # go-archvariant detectVersion checks the psABI levels
            assert detection.x86_levels == X86_LEVELS
    for change in rules.local.changes:
        assert change.source, f"{family} local.changes since {change.since} cites no source"


MINE = """\
schema: 1
name: myengine
summary: a made-up engine
releases: ">=1.0.0,<3.0.0"
compatible: {}
normalize:
  host: {variant: {arm64: {v8: ""}}}
  candidates: none
local:
  engine: MyEngine
  strategy: containers-image
  normalize: host
  x86_level: none
  x86_level_how: MyEngine 1 reads no x86-64 level
  cpu_variants: {"8": v8, "7": v7, "6": v6}
  no_cpu: {plan9: {amd64: v9}}
  changes:
    - since: "2.0.0"
      source: myengine commit 1234567
      set:
        x86_level: cpuinfo-flags
        x86_level_how: MyEngine 2 adds its own level
        x86_levels: {v2: [popcnt], v3: [avx2]}
        armv6_compatible: containers-image
    - since: "2.5.0"
      source: myengine commit 89abcde
      set:
        x86_levels: {v3: null}
"""


@pytest.mark.parametrize(
    ("fixture", "uname", "release", "platform", "words"),
    [
        ("core-i7-4770-haswell", "x86_64", "1.9.0", "linux/amd64", "MyEngine 1 reads no x86-64"),
        ("core-i7-4770-haswell", "x86_64", "2.0.0", "linux/amd64/v3", "MyEngine 2 adds"),
        ("core-i7-4770-haswell", "x86_64", "2.5.0", "linux/amd64/v2", "MyEngine 2 adds"),
        ("core-i7-4770-haswell", "x86_64", "", "linux/amd64/v2", "x86-64-v2"),  # the newest
        ("raspberry-pi-zero-w", "armv6l", "1.9.0", "linux/arm/v7", "is v7 to getCPUVariantArm"),
        ("raspberry-pi-zero-w", "armv6l", "2.0.0", "linux/arm/v6", "ARMv6-compatible"),
        ("graviton2-neoverse-n1-ec2", "aarch64", "", "linux/arm64", "MyEngine normalizes"),
    ],
)
def test_a_made_up_family_detects_with_its_own_block(
    tmp_path: Path, fixture: str, uname: str, release: str, platform: str, words: str
) -> None:
    path = tmp_path / "myengine.yaml"
    path.write_text(MINE)
    rules = dataclasses.replace(load_rules(path), release=release)
    local = read_machine(CPUINFO / fixture, machine=uname, system="linux").host_for(rules)
    assert local.platform.format() == platform
    assert words in local.how[-1]


def test_a_made_up_system_without_cpuinfo(tmp_path: Path) -> None:
    path = tmp_path / "myengine.yaml"
    path.write_text(MINE)
    machine = read_machine(tmp_path, machine="aarch64", system="plan9", architecture="amd64")
    local = machine.host_for(load_rules(path))
    # amd64 asks for the x86-64 level first: plan9 has no cpuinfo to read it from
    assert local.platform.format() == "plan9/amd64"
    assert "level is not known" in local.how[-1]
    arm = read_machine(tmp_path, machine="aarch64", system="plan9").host_for(load_rules(path))
    assert "getCPUVariant gives no variant on plan9/arm64" in arm.how[-1]


def test_a_block_under_another_file_name_still_says_how_its_engine_detects(
    tmp_path: Path,
) -> None:
    """The file says: the same block under another file name detects the same way."""
    path = tmp_path / "other.yaml"
    path.write_text(MINE)
    mine = tmp_path / "myengine.yaml"
    mine.write_text(MINE)
    local = read_machine(CPUINFO / "core-i7-4770-haswell", machine="x86_64", system="linux")
    other, same = local.host_for(load_rules(path)), local.host_for(load_rules(mine))
    assert other.platform == same.platform and other.how == same.how
    assert "does not know how the engine" not in other.how[-1]


@pytest.mark.parametrize(
    ("release", "releases", "first", "reached"),
    [
        ("23.0.7", "", "23.0.7", True),
        ("23.0.6", "", "23.0.7", False),
        ("", ">=23.0.0,<28.0.0", "24.0.6", True),
        ("", ">=29.0.0,<29.6.0", "29.6.0", False),  # the upper end never reaches it
        ("", "==1.25.5", "1.31.0", False),
        ("", ">=1.27.0,<1.37.0", "1.31.0", True),
    ],
)
def test_a_change_applies_from_its_release(
    release: str, releases: str, first: str, reached: bool
) -> None:
    assert reaches(release, releases, first) is reached


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("strategy: containers-image", "strategy: guess", "local.strategy: 'guess' is not one of"),
        ('since: "2.5.0"', 'since: "1.5.0"', "ascending release order"),
        ('since: "2.5.0"', 'since: "two"', "is not a release"),
        ("x86_levels: {v2: [popcnt], v3: [avx2]}", "x86_levels: {v3: [avx2]}", "expected v2"),
        ("x86_levels: {v3: null}", "x86_levels: null", "needs 'x86_levels'"),
        (
            "  normalize: host\n",
            "  normalize: host\n  uname_variants: {aarch64: '8'}\n",
            "only applies to strategy containerd",
        ),
        (
            "  engine: MyEngine\n",
            "  engine: MyEngine\n  platform: linux/amd64\n",
            "only applies to strategy fixed",
        ),
        ("strategy: containers-image", "strategy: fixed", "strategy fixed needs 'platform'"),
        (
            "  engine: MyEngine\n",
            "  engine: MyEngine\n  detect: yes\n",
            "local.detect: unknown key",
        ),
    ],
)
def test_broken_local_blocks_are_refused(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert old in MINE
    path = tmp_path / "myengine.yaml"
    path.write_text(MINE.replace(old, new))
    with pytest.raises(InvalidRules, match="local") as error:
        load_rules(path)
    assert problem in str(error.value)


def test_the_json_schema_checks_local_blocks() -> None:
    import jsonschema
    import yaml

    from planner.policy.catalog import rules_dir
    from planner.policy.schema import json_schema

    validator = jsonschema.Draft202012Validator(json_schema())
    data = yaml.safe_load((rules_dir() / "docker.yaml").read_text())
    assert not list(validator.iter_errors(data))
    data["local"]["changes"][0]["sinse"] = data["local"]["changes"][0].pop("since")
    assert list(validator.iter_errors(data))
    data = yaml.safe_load(MINE)
    assert not list(validator.iter_errors(data))
    data["local"]["strategy"] = "guess"
    assert list(validator.iter_errors(data))
