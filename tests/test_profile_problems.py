"""Every problem of a host profile in one run (issue 22, item 14), and a ``--select`` that
matches nothing says which labels the hosts do have."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from planner.cli import main
from planner.cli.options import select_hosts
from planner.hosts.profiles import InvalidProfile, load_hosts
from planner.model.yamlfile import MAX_PROBLEMS
from tests.helpers import EXAMPLES

THREE_TYPOS = """\
defaults:
  rules: docker
hosts:
  - name: a
    platfrom: linux/amd64
  - name: b
    platform: linux/amd64
    rules: dockr
  - name: c
    platform: windows/amd64
    os.version: 10.0.20348.1
    isolation: proces
"""


def test_three_typos_are_three_lines_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(THREE_TYPOS)
    with pytest.raises(InvalidProfile) as caught:
        load_hosts(path)
    first, *_ = caught.value.problems
    assert str(caught.value) == f"{first} (and 2 more: see .problems)"
    code = main(["check", f"oci:{EXAMPLES}/webapp:2.1", "--hosts", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 3, err
    places = [
        re.match(rf"pull-planner: error: {re.escape(str(path))}:(\d+):(\d+): ", x) for x in lines
    ]
    assert [(int(m[1]), int(m[2])) for m in places if m] == [(5, 5), (8, 5), (12, 5)]
    assert "hosts[0].platfrom: unknown key (did you mean 'platform'?)" in lines[0]
    assert "unknown rule set 'dockr' (did you mean 'docker'?)" in lines[1]
    assert "hosts[2] (c).isolation: 'proces' is not one of: process, hyperv" in lines[2]
    assert "missing 'os'" not in err  # the misspelt key is the problem, said once


def test_problems_are_capped_and_counted(tmp_path: Path) -> None:
    hosts = "".join(
        f"  - name: h{i}\n    platform: linux/amd64\n    isolation: none\n" for i in range(25)
    )
    path = tmp_path / "many.yaml"
    path.write_text("hosts:\n" + hosts)
    with pytest.raises(InvalidProfile) as caught:
        load_hosts(path)
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1 == 21
    assert all(re.match(rf"{re.escape(str(path))}:\d+:5: hosts\[\d+\]", p) for p in problems[:-1])
    assert problems[-1] == f"{path}: \u2026 and 5 more"


def test_a_valid_host_beside_bad_ones_is_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        textwrap.dedent("""\
        hosts:
          - {name: good, platform: linux/amd64}
          - {name: bad, platform: linux/amd64, labels: {tier: 3}}
        """)
    )
    with pytest.raises(InvalidProfile) as caught:
        load_hosts(path)
    assert len(caught.value.problems) == 1 and "labels.tier" in str(caught.value)
    assert str(caught.value) == caught.value.problems[0]


def test_select_that_matches_nothing_names_the_labels_there() -> None:
    linux = load_hosts(EXAMPLES / "fleet-linux.yaml")
    with pytest.raises(
        InvalidProfile.__mro__[1], match=r"'role=edgy' matches no host; the hosts"
    ) as e:
        select_hosts(linux, selectors=["role=edgy"])
    assert "role=edge (2)" in str(e.value) and "role=build" in str(e.value)
    with pytest.raises(ValueError, match=r"no host has the label 'rol' \(did you mean 'role'\?\)"):
        select_hosts(linux, selectors=["rol=edge"])
    cluster = load_hosts(EXAMPLES / "fleet-windows.yaml")
    with pytest.raises(ValueError, match="none of the 4 hosts has a label"):
        select_hosts(cluster, selectors=["role=edge"])


def test_a_release_name_and_a_bare_architecture_are_problems_of_the_file(tmp_path: Path) -> None:
    """With their place, among the file's other problems (the reviewer's findings: the
    release name surfaced later without file, line or host; arm64 was 'missing
    architecture' where the os is missing)."""
    profile = tmp_path / "hosts.yaml"
    profile.write_text(
        "hosts:\n"
        "  - name: a\n    platform: windows/amd64\n    os.version: ltsc2022\n"
        "  - name: b\n    platform: arm64\n"
    )
    with pytest.raises(InvalidProfile) as raised:
        load_hosts(profile)
    problems = raised.value.problems
    assert any(
        p.startswith(f"{profile}:4:5:")
        and "'ltsc2022' names a release, not a build" in p
        and "10.0.20348.REVISION" in p
        for p in problems
    )
    assert any(
        p.startswith(f"{profile}:6:5:")
        and "missing os, expected os/arch[/variant] such as 'linux/arm64'" in p
        for p in problems
    )
