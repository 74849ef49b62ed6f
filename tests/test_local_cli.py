"""``--platform local`` and ``pull-planner host`` on recorded machines (tests/data/cpuinfo)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from planner.cli import main
from planner.hosts import local as localhost

ROOT = Path(__file__).resolve().parent.parent
CPUINFO = ROOT / "tests" / "data" / "cpuinfo"
WEBAPP = f"oci:{ROOT / 'examples' / 'webapp'}:2.1"  # amd64, amd64/v3, arm64/v8, arm/v7, windows


def as_machine(monkeypatch: pytest.MonkeyPatch, fixture: str, uname: str) -> None:
    """Make the CLI read a recorded machine instead of this one."""
    real = localhost.read_machine
    fake = functools.partial(real, CPUINFO / fixture, machine=uname, system="linux")
    monkeypatch.setattr(localhost, "read_machine", lambda **kw: fake(**kw))


# (fixture, uname, rules, platform the engine detects, index entry it pulls); sources in
# tests/test_localhost.py (moby maximumSpec 23.0.0, containerd getCPUVariant, c/image 5.30).
CASES = [
    ("core-i7-4770-haswell", "x86_64", "docker", "linux/amd64/v3", "linux/amd64/v3"),
    ("core-i7-4770-haswell", "x86_64", "docker@20.10.24", "linux/amd64", "linux/amd64"),
    ("core-i7-4770-haswell", "x86_64", "containerd", "linux/amd64", "linux/amd64"),
    ("core-i7-4770-haswell", "x86_64", "docker-c8d@29.5.3", "linux/amd64", "linux/amd64"),
    ("core-i7-4770-haswell", "x86_64", "docker-c8d@29.6.0", "linux/amd64/v3", "linux/amd64/v3"),
    ("core2-duo-e8400", "x86_64", "docker", "linux/amd64", "linux/amd64"),
    ("graviton2-neoverse-n1-ec2", "aarch64", "containerd", "linux/arm64", "linux/arm64/v8"),
    ("graviton2-neoverse-n1-ec2", "aarch64", "podman", "linux/arm64/v8", "linux/arm64/v8"),
    ("cubieboard2-a20-linux-3.4", "armv7l", "containerd", "linux/arm/v7", "linux/arm/v7"),
]


@pytest.mark.parametrize(("fixture", "uname", "rules", "host", "pick"), CASES)
def test_resolve_local(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fixture: str,
    uname: str,
    rules: str,
    host: str,
    pick: str,
) -> None:
    as_machine(monkeypatch, fixture, uname)
    argv = ["resolve", WEBAPP, "--platform", "local", "--rules", rules, "--format", "json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)

    def text(platform: dict[str, str]) -> str:
        keys = ("os", "architecture", "variant")
        return "/".join(platform[k] for k in keys if platform.get(k))

    assert text(data["host"]) == host, (fixture, rules)
    got = text(data["selected"]["platform"])
    assert got == pick, (fixture, rules)


def test_pi_zero_finds_no_arm_v6_image(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ARMv6 host (containerd's model-name rule) cannot run the arm/v7 entry."""
    as_machine(monkeypatch, "raspberry-pi-zero-w", "armv6l")
    assert main(["resolve", WEBAPP, "--platform", "local", "--rules", "containerd"]) == 1
    captured = capsys.readouterr()
    assert "host     linux/arm/v6" in captured.out
    assert "no image in " in captured.err and "runs on linux/arm/v6" in captured.err


def test_host_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    as_machine(monkeypatch, "core-i7-4770-haswell", "x86_64")
    assert main(["host", "--rules", "docker,containerd"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("docker: linux/amd64/v3\n  os linux: the system is linux\n")
    assert "\ncontainerd: linux/amd64\n" in out
    assert "containerd does not detect an x86-64 level; this CPU is" in out
    assert max(map(len, out.splitlines())) <= 80
    assert main(["host", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rules = [h["rules"] for h in data["hosts"]]
    assert {"docker", "containerd", "podman", "crane"} <= set(rules)
    by = {h["rules"]: h for h in data["hosts"]}
    assert by["docker"]["platform"] == {"os": "linux", "architecture": "amd64", "variant": "v3"}
    assert by["crane"]["platform"] == {"os": "linux", "architecture": "amd64"}
    assert all(len(h["how"]) >= 3 for h in data["hosts"])


def test_compare_local_gives_each_engine_its_view(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    as_machine(monkeypatch, "core-i7-4770-haswell", "x86_64")
    argv = ["compare", WEBAPP, "--platform", "local", "--rules", "docker,containerd"]
    assert main(argv) == 1  # they differ: docker sees amd64/v3
    out = " ".join(capsys.readouterr().out.split())
    assert "this machine, as linux/amd64/v3 (docker); linux/amd64 (containerd)" in out


def test_local_with_an_os_feature_and_bad_rules(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    as_machine(monkeypatch, "core-i7-4770-haswell", "x86_64")
    assert main(["host", "--rules", "docker", "--os-feature", "bad+x"]) == 2
    assert "invalid --os-feature" in capsys.readouterr().err
    assert main(["host", "--rules", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("pull-planner: error: unknown rule set 'nosuch'") and "Traceback" not in err
    )


def test_readme_describes_a_haswell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `host` example is what a Haswell prints (lines elided there as ...)."""
    as_machine(monkeypatch, "core-i7-4770-haswell", "x86_64")
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["host", "--rules", "docker,containerd"]) == 0
    out = capsys.readouterr().out.splitlines()
    readme = (ROOT / "README.md").read_text()
    block = readme.split("$ pull-planner host --rules docker,containerd\n", 1)[1].split("```")[0]
    for line in block.splitlines():
        if "..." not in line:
            assert line in out, line


def test_os_version_is_refused_on_a_linux_machine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    as_machine(monkeypatch, "core-i7-4770-haswell", "x86_64")
    assert main(["resolve", WEBAPP, "--platform", "local", "--os-version", "10.0.1"]) == 2
    assert "this machine runs linux, not Windows" in capsys.readouterr().err
