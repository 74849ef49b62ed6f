"""Host profile files: valid fields, and clear file:line:column errors for everything else."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from planner.cli import main
from planner.cli.options import select_hosts
from planner.hosts.profiles import HOSTS_SCHEMA, InvalidProfile, load_hosts
from planner.model.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_example_profiles_load() -> None:
    linux = load_hosts(ROOT / "examples" / "fleet-linux.yaml")
    assert [h.name for h in linux] == ["build-x86-v3", "k8s-x86", "k8s-graviton", "pi4", "pi-zero"]
    assert linux[1].rules.name == "containerd" and linux[0].rules.name == "docker"
    assert linux[1].have == ("oci:examples/webapp:2.0",)
    assert dict(linux[0].labels) == {"role": "build"}
    windows = load_hosts(ROOT / "examples" / "fleet-windows.yaml")
    assert [h.platform.os_version for h in windows] == [
        "10.0.17763.5936",
        "10.0.20348.2700",
        "10.0.26100.2314",
        "10.0.22631.4460",
    ]
    assert [h.isolation for h in windows] == ["process", "process", "process", "hyperv"]


def test_fields(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text(
        "schema: 1\nname: mine\nsummary: s\ncompatible: {}\n"
    )
    hosts = load_hosts(
        write(
            tmp_path,
            """\
        defaults:
          rules: podman
        hosts:
          - name: a
            os: linux
            architecture: arm
            variant: v7
          - name: b
            platform: windows(10.0.20348)/amd64
            os.features: [win32k]
            rules: docker
          - name: c
            platform: linux/amd64
            rules: rules/mine.yaml
            have: oci:somewhere:1
    """,
        )
    )
    assert [h.platform.format_all() for h in hosts] == [
        "linux/arm/v7",
        "windows(10.0.20348+win32k)/amd64",
        "linux/amd64",
    ]
    assert [h.rules.name for h in hosts] == ["podman", "docker", "mine"]
    assert hosts[2].have == ("oci:somewhere:1",)


BROKEN = [
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    os_version: 10.0.1.1\n",
        "4:5",
        "hosts[0].os_version: unknown key (did you mean 'os.version'?)",
        id="typo-os-version",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platfrom: linux/amd64\n",
        "3:5",
        "hosts[0].platfrom: unknown key (did you mean 'platform'?)",
        id="typo-platform",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n  - name: a\n    platform: linux/arm64\n",
        "4:5",
        "hosts[1].name: duplicate host name 'a' (first at line 2)",
        id="duplicate-name",
    ),
    pytest.param(
        "hosts:\n  - platform: linux/amd64\n", "2:5", "hosts[0]: missing 'name'", id="no-name"
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux\n",
        "3:5",
        "missing architecture",
        id="bad-platform",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    os: linux\n",
        "4:5",
        "give either 'platform' or 'os'/'architecture'/'variant', not both",
        id="platform-and-os",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    os: linux\n",
        "2:5",
        "missing 'architecture' (or 'platform')",
        id="no-arch",
    ),
    pytest.param(
        "hosts:\n  - name: w\n    platform: windows/amd64\n",
        "2:5",
        "a Windows host needs 'os.version'",
        id="windows-no-build",
    ),
    pytest.param(
        "hosts:\n  - name: w\n    platform: windows/amd64\n    os.version: 10.0.17763.1\n    isolation: vm\n",
        "5:5",
        "'vm' is not one of: process, hyperv",
        id="bad-isolation",
    ),
    pytest.param(
        "hosts:\n  - name: l\n    platform: linux/amd64\n    isolation: hyperv\n",
        "4:5",
        "applies to Windows hosts only",
        id="isolation-linux",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    rules: dokcer\n",
        "4:5",
        "unknown rule set 'dokcer' (did you mean 'docker'?)",
        id="bad-rules",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    labels: {tier: 1}\n",
        "4:14",
        "labels and their values must be strings",
        id="label-number",
    ),
    pytest.param(
        "hosts:\n  - name: w\n    platform: windows/amd64\n    os.version: '10.0.1.1'\n    have: [1]\n",
        "5:5",
        "must be a string or a list of strings",
        id="have-number",
    ),
    pytest.param(
        "hosts:\n  - name: w\n    platform: windows/amd64\n    os.version: 10.0\n",
        "4:5",
        "must be a string such as '10.0.20348.1', not the number 10.0 (quote it)",
        id="unquoted-version",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: linux/amd64\n    registry_config: null\n",
        "4:5",
        "registry_config: must be a non-empty string, not nothing",  # no "(quote it)": null
        id="null-registry-config",
    ),
    pytest.param(
        "hosts:\n  - name: w\n    platform: windows(10.0.17763)/amd64\n    os.version: 10.0.20348.1\n",
        "4:5",
        "conflicts with '10.0.17763' in platform",
        id="version-conflict",
    ),
    pytest.param("hosts: []\n", "1:1", "must be a non-empty list of hosts", id="no-hosts"),
    pytest.param(
        "defaults: {rule: docker}\nhosts:\n  - name: a\n    platform: linux/amd64\n",
        "1:12",
        "defaults.rule: unknown key (did you mean 'rules'?)",
        id="typo-defaults",
    ),
    pytest.param(
        "host:\n  - name: a\n",
        "1:1",
        "(top level).host: unknown key (did you mean 'hosts'?)",
        id="typo-top",
    ),
    pytest.param(
        "hosts:\n  - name: a\n    platform: [linux, amd64]\n",
        "3:5",
        "must be a non-empty string, not a list",
        id="platform-list",
    ),
    pytest.param(
        "hosts:\n  - name: a\n  platform: linux/amd64\n", "3:3", "invalid YAML", id="bad-indent"
    ),
]


@pytest.mark.parametrize(("text", "position", "message"), BROKEN)
def test_broken_profiles(tmp_path: Path, text: str, position: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidProfile) as info:
        load_hosts(path)
    error = str(info.value)
    assert error.startswith(f"{path}:{position}:"), error
    assert message in error and "\n" not in error


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("null", "registry_config: must be a non-empty string, not nothing"),
        ("", "registry_config: must be a non-empty string, not nothing"),
        ("[a]", "registry_config: must be a non-empty string, not a list"),
        ("{a: b}", "registry_config: must be a non-empty string, not a mapping"),
        ("7", "registry_config: must be a non-empty string, not the number 7 (quote it)"),
        ("yes", "registry_config: must be a non-empty string, not a boolean (quote it)"),
    ],
)
def test_quote_it_only_where_quoting_helps(tmp_path: Path, value: str, said: str) -> None:
    """ "(quote it)" is advice for a scalar YAML read as a number or a boolean; for null,
    a list or a mapping quoting would make a wrong value, so it is not given."""
    path = write(
        tmp_path, f"hosts:\n  - name: a\n    platform: linux/amd64\n    registry_config: {value}\n"
    )
    with pytest.raises(InvalidProfile) as info:
        load_hosts(path)
    assert str(info.value).endswith(said), str(info.value)


def test_cli_reports_profile_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "hosts:\n  - name: a\n    platform: linux/amd64\n    os_version: 1\n")
    assert main(["check", "oci:examples/webapp:2.1", "--hosts", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.strip()
        == f"pull-planner: error: {path}:4:5: as a host profile: hosts[0].os_version: unknown key (did you mean 'os.version'?); expected one of: name, platform, os, architecture, variant, os.version, os.features, rules, isolation, have, labels, taints, registry_config, egress"
    )


def test_select_hosts() -> None:
    hosts = load_hosts(ROOT / "examples" / "fleet-linux.yaml")
    assert [h.name for h in select_hosts(hosts, selectors=["role=edge"])] == ["pi4", "pi-zero"]
    assert [h.name for h in select_hosts(hosts, ["pi4", "k8s-x86"])] == ["pi4", "k8s-x86"]
    assert [h.name for h in select_hosts(hosts, ["pi4", "k8s-x86"], ["role=edge"])] == ["pi4"]
    with pytest.raises(InvalidInput, match=r"--host 'pi5': no such host \(did you mean 'pi4'\?\)"):
        select_hosts(hosts, ["pi5"])
    with pytest.raises(InvalidInput, match="expected label=value"):
        select_hosts(hosts, selectors=["role"])
    with pytest.raises(InvalidInput, match="'role=none' matches no host; the hosts have"):
        select_hosts(hosts, selectors=["role=none"])


def test_schema_command_and_examples_validate(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    import yaml

    assert main(["schema", "hosts"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == HOSTS_SCHEMA
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("fleet-linux.yaml", "fleet-windows.yaml"):
        assert (
            list(validator.iter_errors(yaml.safe_load((ROOT / "examples" / name).read_text())))
            == []
        )
    typo = {"hosts": [{"name": "a", "platform": "linux/amd64", "os_version": "1"}]}
    assert list(validator.iter_errors(typo))
    both = {"hosts": [{"name": "a", "platform": "linux/amd64", "os": "linux"}]}
    assert list(validator.iter_errors(both))
