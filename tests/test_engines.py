"""Rule families: NAME@RELEASE, aliases, the host as each release reads it, compare, preference.

The picks per release are in tests/data/selection/releases.yaml (one row per range
boundary) and are checked live against the real clients in tests/test_real_engines.py;
this module checks the mechanism around them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import planner
from planner.app.compare import compare, rule_sets
from planner.cli import main
from planner.hosts.records import engine_rules
from planner.model.platform import Platform
from planner.policy.loader import available_rule_sets, load_rules
from planner.select.selector import select
from tests.helpers import SEED_INDEX, index_json

WEBAPP = f"oci:{Path(__file__).resolve().parent.parent / 'examples' / 'webapp'}:2.1"


@pytest.mark.parametrize(
    ("spec", "releases"),
    [
        ("containerd@1.6.0", ">=1.6.0,<1.6.18"),
        ("containerd@1.6.20", ">=1.6.18,<1.6.23"),
        ("containerd@1.6.39", ">=1.6.23,<1.7.0"),
        ("containerd@1.7.20", ">=1.7.6,<2.0.0"),
        ("containerd@2.0.1", ">=2.0.0,<2.0.2"),
        ("containerd@2.2.7", ">=2.1.6,<2.3.0"),
        ("containerd", ">=2.3.0,<2.4.0"),
        ("docker@20.10.24", ">=20.10.0,<21.0.0"),
        ("docker@28.1.1", ">=28.0.0,<29.6.0"),
        ("docker", ">=29.6.0,<29.8.0"),
        ("docker-c8d@29.5.3", ">=29.0.0,<29.6.0"),
        ("podman@4.3.1", ">=4.3.0,<4.5.0"),
        ("podman@5.8.2", ">=5.4.0,<5.9.0"),
        ("skopeo@1.9.3", ">=1.9.0,<1.12.0"),
        ("cri-o@1.25.5", "==1.25.5"),
        ("buildah@1.35.0", ">=1.31.0,<1.39.0"),
    ],
)
def test_a_release_picks_its_range(spec: str, releases: str) -> None:
    rules = load_rules(spec)
    assert rules.releases == releases
    assert rules.name == spec
    assert rules.family == spec.split("@")[0]


def test_a_bare_family_is_its_newest_range_under_its_own_name() -> None:
    for family in available_rule_sets():
        rules = load_rules(family)
        assert rules.name == family and rules.release == ""
        assert rules.releases  # every shipped family states its ranges


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("containerd@1.5.9", "no rules for release 1.5.9; the known release ranges are >=1.6.0"),
        ("containerd@3.0.0", "no rules for release 3.0.0"),
        ("docker@22.06.0", "no rules for release 22.06.0"),  # a beta between two ranges
        ("containerd@latest", "'latest' is not a release number such as 1.7.20"),
        ("contianerd@1.7.20", "did you mean 'containerd'?"),
        ("containerd-1.6@1.6.20", "unknown rule set"),  # an alias names one release already
    ],
)
def test_releases_outside_every_range_are_errors(spec: str, message: str) -> None:
    with pytest.raises(planner.InvalidRules, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_rules(spec)


def test_aliases_name_a_release() -> None:
    alias = load_rules("containerd-1.6")
    release = load_rules("containerd@1.6.39")
    assert alias.name == "containerd-1.6" and alias.releases == release.releases
    assert alias.windows == release.windows and alias.compatible == release.compatible
    result = planner.resolve(str(SEED_INDEX), "linux/arm64", rules="containerd-1.6")
    assert result.to_dict()["rules"] == "containerd-1.6"  # JSON names it as asked


def test_a_build_suffix_takes_the_build() -> None:
    """Debian's docker.io 20.10 is built against containerd 1.6 (rules/docker.yaml builds)."""
    upstream = load_rules("docker@20.10.24")
    debian = load_rules("docker@20.10.24+dfsg1")
    assert (upstream.build, debian.build) == ("", "+dfsg")
    assert debian.summary.startswith("Debian's docker.io")
    assert debian.releases == upstream.releases and debian.release == "20.10.24"
    # a suffix no build names is upstream; the release range is the number's
    assert load_rules("docker@20.10.24-0ubuntu1").build == ""
    assert load_rules("docker@23.0.0+dfsg1").build == ""  # the build is of 20.10 only
    v1 = Platform.parse("linux/amd64/v1")
    assert upstream.candidate_normalizer(v1).variant == "v1"
    assert debian.candidate_normalizer(v1).variant == ""
    assert engine_rules("docker", "20.10.24+dfsg1").name == "docker@20.10.24+dfsg1"
    assert engine_rules("containerd", "1.7.20+azure-1").name == "containerd@1.7.20"


def test_host_profiles_name_releases(tmp_path: Path) -> None:
    profile = tmp_path / "hosts.yaml"
    profile.write_text(
        "hosts:\n"
        "  - {name: old, platform: windows/amd64, os.version: 10.0.26100.1, rules: containerd@1.7.20}\n"
        "  - {name: new, platform: windows/amd64, os.version: 10.0.26100.1, rules: containerd@2.2.7}\n"
    )
    hosts = planner.load_hosts(profile)
    assert [h.rules.name for h in hosts] == ["containerd@1.7.20", "containerd@2.2.7"]


def _index(*platforms: str) -> planner.Index:
    entries = [{"platform": planner.Platform.parse(p).to_oci()} for p in platforms]
    document = planner.parse_document(index_json(entries), "test")
    assert isinstance(document, planner.Index)
    return document


def test_podman_4_reads_a_dotted_platform_as_one_architecture() -> None:
    index = _index("linux/arm64/v8.2", "linux/arm64")
    host = planner.Platform.parse("linux/arm64/v8.2")
    old = select(index, host, load_rules("podman@4.3.1"))
    assert old.chosen is None
    assert any("architecture is 'arm64/v8.2'" in w for w in old.warnings)
    assert select(index, host, load_rules("podman@5.2.0")).preference == (0, 1)  # raw values


def test_podman_4_2_drops_the_variant() -> None:
    index = _index("linux/arm/v7", "linux/arm/v6", "linux/arm")
    host = planner.Platform.parse("linux/arm/v6")
    # Gen A: plain arm first, then v8 .. v5 (so v7 is taken on a v6 host)
    assert select(index, host, load_rules("podman@4.2.1")).preference == (2, 0, 1)
    assert select(index, host, load_rules("podman@4.3.1")).preference == (1, 2)


def test_dotted_hosts_are_refused_where_the_release_refuses_them() -> None:
    index = _index("linux/arm64")
    host = planner.Platform.parse("linux/arm64/v8.2")
    for spec in ("containerd@1.7.20", "docker@27.5.1", "buildah@1.35.0"):
        with pytest.raises(planner.InvalidPlatform, match=r"allows no '\.' in a component"):
            select(index, host, load_rules(spec))
    assert select(index, host, load_rules("containerd@2.0.2")).chosen is not None


def test_compare_explains_each_answer() -> None:
    result = compare(
        WEBAPP,
        planner.Platform.parse("windows(10.0.26100.1)/amd64"),
        rule_sets(["containerd@1.7.20,docker,podman@4.3.1"]),
    )
    assert not result.agree
    answers = {a.rules: a for a in result.answers}
    assert answers[("containerd@1.7.20",)].position == 5
    assert "stable ABI" in answers[("containerd@1.7.20",)].why
    # docker (older builds, list order) and podman 4.3 (os.version ignored) take ltsc2019,
    # each for its own reason (issue 22: one engine's reason was shown for both)
    docker = answers[("docker",)]
    assert docker.position == 4 and "list order decides" in docker.why
    assert "older than host build 26100" in docker.why
    podman = answers[("podman@4.3.1",)]
    assert podman.position == 4 and podman.why.startswith("rank 0: exact match")


def test_compare_cli_exit_status_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", str(SEED_INDEX), "--platform", "linux/arm64", "--rules", "docker,containerd"]
    assert main(argv) == 0  # they agree
    out = capsys.readouterr().out
    assert "all agree" in out
    argv[3] = "linux/amd64/v3"  # crane wants the literal variant v3
    assert main([*argv[:-1], "docker,podman,crane", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["agree"] is False
    assert [r["rules"] for r in data["results"]] == ["docker", "podman", "crane"]
    positions = {tuple(a["rules"]): a["position"] for a in data["answers"]}
    assert positions == {("docker",): 0, ("podman",): 0, ("crane",): None}
    ranks = {r["rules"]: (r["rank"], r["reason"].split(":")[0]) for r in data["results"]}
    assert (
        ranks["docker"] == (2, "rank 2") and ranks["crane"][0] is None
    )  # amd64/v3 runs v1 (rank 2)


def test_compare_gives_each_engine_its_own_reason() -> None:
    """Engines agreeing on the pick are grouped only when their reasons are the same
    (issue 22: on the seed index for linux/arm64, podman was shown Docker's "exact match
    (linux/arm64/v8 normalizes to linux/arm64)" where it ranks the entry 1, an older
    variant; containers/image platform_matcher.go keeps arm64/v8 a variant of its own)."""
    result = compare(str(SEED_INDEX), planner.Platform.parse("linux/arm64"), rule_sets(["all"]))
    assert result.agree  # one entry for all
    why = {name: a.why for a in result.answers for name in a.rules}
    assert why["podman"] == "rank 1: arm64 host runs the older variant arm64/v8"
    assert why["crane"] == "rank 0: exact match"
    assert why["docker"] == "rank 0: exact match (linux/arm64/v8 normalizes to linux/arm64)"
    assert len({a.why for a in result.answers}) == len(result.answers)


def test_compare_all_is_every_family() -> None:
    assert [r.name for r in rule_sets(["all"])] == available_rule_sets()
    with pytest.raises(planner.InvalidInput, match="name it alone"):
        rule_sets(["docker,all"])


def test_preference_in_json_is_the_text_pick_column(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["resolve", str(SEED_INDEX), "--platform", "linux/arm64"]
    assert main([*argv, "--format", "json"]) == 0
    candidates = json.loads(capsys.readouterr().out)["candidates"]
    assert [c["preference"] for c in candidates] == [None, 2, 1, None, None, None, None]
    assert main([*argv]) == 0
    column = {}
    for line in capsys.readouterr().out.splitlines():
        parts = line.lstrip(">").split()
        if len(parts) >= 4 and parts[0].isdigit() and len(parts[-2]) == 12:
            column[int(parts[0])] = None if parts[-1] == "-" else int(parts[-1])
    assert [column[i] for i in range(7)] == [c["preference"] for c in candidates]


def test_rules_shows_the_windows_builds(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["rules", "containerd@2.2.7", "--platform", "windows/amd64", "--os-version"]
    assert main([*argv, "10.0.26200.1"]) == 0
    assert "windows builds: 26100-26200 (major.minor 10.0); ties: os-version-desc" in (
        capsys.readouterr().out
    )
    assert (
        main(
            [
                "rules",
                "containerd@1.7.20",
                "--platform",
                "windows/amd64",
                "--os-version",
                "10.0.26200.1",
            ]
        )
        == 0
    )
    assert "windows builds: 20348-26200 (major.minor 10.0); ties: list order" in (
        capsys.readouterr().out
    )


def test_compare_json_lists_a_rule_set_that_cannot_read_the_host(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every rule set asked has its own result: podman reads a bare arm64 as an OS and
    refuses the host; it was only in the answers, not the results."""
    argv = ["compare", str(SEED_INDEX), "--platform", "arm64", "--rules", "all", "--format", "json"]
    main(argv)
    data = json.loads(capsys.readouterr().out)
    refused = [r for r in data["results"] if r["refused"]]
    assert [r["rules"] for r in refused] == ["podman"] and refused[0]["reason"]
    assert len(data["results"]) == len(planner.policy.loader.available_rule_sets())
