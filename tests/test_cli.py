"""The pull-planner command line: output contracts, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from tests.helpers import SEED_INDEX

SEED = str(SEED_INDEX)
ARM64 = "sha256:84662fc278c8595651064cf500c414f46680ccd1184d1f39efe42f384dcaaae8"
WIN_17763 = "sha256:187a51f5662abbe7360022a15f6416e16ba3af32ca68e645067a43fdf9f38fbf"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "resolve", SEED, "--platform", "linux/arm64", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == [
        "source",
        "rules",
        "host",
        "index",
        "selected",
        "candidates",
        "endpoint",
        "route",
        "pull_requests",
        "warnings",
        "stats",
    ]
    assert data["source"] == SEED
    assert data["rules"] == "docker"
    assert data["host"] == {"architecture": "arm64", "os": "linux"}
    assert data["selected"] == {
        "digest": ARM64,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "size": 1164,
        "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"},
    }
    assert len(data["candidates"]) == 7
    for position, candidate in enumerate(data["candidates"]):
        assert {"position", "digest", "platform", "match", "rank", "reason"} <= set(candidate)
        assert candidate["position"] == position
    assert data["candidates"][1]["rank"] == 2
    assert (
        data["candidates"][1]["reason"] == "rank 2: arm64 host runs arm/v7 via 32-bit compatibility"
    )
    assert data["warnings"] == []
    assert data["stats"]["requests"] == 0  # a file costs no registry requests


def test_windows_os_version_picks_matching_build(capsys: pytest.CaptureFixture[str]) -> None:
    for rules in ("docker", "containerd"):
        code, out, _ = run(
            capsys,
            "resolve",
            SEED,
            "--platform",
            "windows/amd64",
            "--os-version",
            "10.0.17763.1",
            "--rules",
            rules,
            "--format",
            "json",
        )
        assert code == 0
        data = json.loads(out)
        assert data["selected"]["digest"] == WIN_17763
        assert data["host"]["os.version"] == "10.0.17763.1"


@pytest.mark.parametrize("rules", ["docker", "containerd"])
def test_ws2022_docker_vs_containerd(capsys: pytest.CaptureFixture[str], rules: str) -> None:
    code, out, err = run(
        capsys, "resolve", SEED, "--platform", "windows/amd64", "--os-version", "10.0.20348.1",
        "--rules", rules, "--format", "json",
    )  # fmt: skip
    if rules == "docker":  # classic Windows path: first older build in list order
        assert code == 1  # picked, and its process isolation cannot run it (issue 22, item 11)
        assert "the pick will not run on this host" in err
        warnings = json.loads(out)["warnings"]
        assert any("Hyper-V" in w for w in warnings) and any("closer build" in w for w in warnings)
        assert err.count("warning:") == len(warnings)
    else:  # stable ABI: nothing older than 20348 runs
        assert code == 1
        assert json.loads(out)["selected"] is None
        assert "no image in" in err and "windows/amd64 10.0.17763.379" in err


def test_yaml_output_matches_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, as_json, _ = run(capsys, "resolve", SEED, "--platform", "linux/arm/v7", "--format", "json")
    _, as_yaml, _ = run(capsys, "resolve", SEED, "--platform", "linux/arm/v7", "--format", "yaml")
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


def test_text_output_marks_selection(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "resolve", SEED, "--platform", "linux/arm/v7")
    assert code == 0
    marked = [line for line in out.splitlines() if line.startswith(">")]
    assert len(marked) == 1 and "linux/arm/v7" in marked[0]
    assert "selected sha256:0e81282177c7" in out


def test_no_match_exit_1_lists_offers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "resolve", SEED, "--platform", "linux/arm/v6")
    assert code == 1
    assert "selected nothing" in out
    assert err.strip().splitlines() == [
        f"pull-planner: error: no image in {SEED} runs on linux/arm/v6 under rules docker; it offers:"
        " linux/amd64, linux/arm/v7, linux/arm64/v8, windows/amd64 10.0.16299.1029,"
        " windows/amd64 10.0.17134.648, windows/amd64 10.0.17763.379, windows/arm 10.0.17763.379"
    ]


def test_stdin_source(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SEED_INDEX.read_bytes())))
    code, out, _ = run(capsys, "resolve", "-", "--platform", "linux/arm64", "--format", "json")
    assert code == 0
    assert json.loads(out)["source"] == "-"


def bad_json(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "index.json"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--platform", "linux"], "missing architecture"),
        (["--platform", "linux/arm/v7/x"], "too many parts"),
        (["--platform", "linux//v7"], "component 2 is empty"),
        (["--platform", "linux/am d64"], "may only use"),
        (["--platform", "windows/amd64"], "a Windows host needs its os.version"),
        (["--platform", "windows/amd64", "--os-version", "10.0"], "is not major.minor.build"),
        (
            ["--platform", "windows(10.0.17763)/amd64", "--os-version", "10.0.20348"],
            "conflicts with",
        ),
        (
            ["--platform", "linux/amd64", "--rules", "dokcer"],
            "unknown rule set 'dokcer' (did you mean 'docker'?)",
        ),
        (
            ["--platform", "linux/amd64", "--rules", "missing.yaml"],
            "rule file 'missing.yaml' not found",
        ),
        (["--platform", "linux/amd64", "--os-feature", ""], "invalid --os-feature"),
    ],
)
def test_invalid_input_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "resolve", SEED, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"{not json",
            "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        (b"[]", "expected a JSON object"),
        (b'{"schemaVersion": 1, "name": "x"}', "schema 1 manifests are deprecated"),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.example+json", "manifests": []}',
            "unknown media type 'application/vnd.example+json'",
        ),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:abc", "size": 1}]}',
            "invalid sha256 digest 'sha256:abc'",
        ),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "md5:abc", "size": 1}]}',
            "unsupported digest algorithm 'md5'",
        ),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:'
            + b"a" * 64
            + b'", "size": -1}]}',
            "size must be a non-negative integer",
        ),
        (
            b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:'
            + b"a" * 64
            + b'", "size": 1, "platform": {"os": "linux", "architecture": 7}}]}',
            "platform 'architecture' must be a string",
        ),
        (b'{"schemaVersion": 3}', "unsupported schemaVersion 3"),
        (b"\xc3\x28", "not UTF-8 JSON (byte 0)"),
        (b" " * (4 << 20) + b"{}", "more than the 4194304-byte limit"),
    ],
)
def test_bad_documents_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str
) -> None:
    code, _, err = run(capsys, "resolve", bad_json(tmp_path, data), "--platform", "linux/amd64")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_missing_file_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "resolve", "./nowhere.json", "--platform", "linux/amd64")
    assert code == 2 and "no such file" in err


def test_malformed_rule_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("schema: 1\nname: x\nsummary: s\ncompatible: {}\nwindow: {}\n")
    code, _, err = run(capsys, "resolve", SEED, "--platform", "linux/amd64", "--rules", str(rules))
    assert code == 2
    assert f"{rules}:5:1: window: unknown key (did you mean 'windows'?)" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resolve", SEED]) == 2
    assert "give the host: --platform os/arch[/variant], or --hosts FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["resolve", SEED, "--format", "xml"])
    assert info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
    assert main([]) == 2


def test_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    families = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert families == [
        "buildah",
        "containerd",
        "crane",
        "cri-o",
        "docker",
        "docker-c8d",
        "podman",
        "regctl",
        "skopeo",
        "aliases",
    ]
    assert "  >=1.6.23,<1.7.0        containerd 1.6.23-1.6.39" in out  # every range, listed
    assert out.splitlines()[-1] == "aliases      containerd-1.6 = containerd@1.6.39"
    code, out, _ = run(capsys, "rules", "docker", "--platform", "linux/arm64")
    assert code == 0
    assert out.splitlines()[1:] == [
        "  0  linux/arm64",
        "  1  linux/arm/v8",
        "  2  linux/arm/v7",
        "  3  linux/arm/v6",
        "  4  linux/arm/v5",
    ]


@pytest.mark.parametrize("module", [["-m", "planner"]])
def test_python_dash_m_and_no_traceback(module: list[str]) -> None:
    ok = subprocess.run(
        [sys.executable, *module, "resolve", SEED, "--platform", "linux/arm64", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["selected"]["digest"] == ARM64
    bad = subprocess.run(
        [sys.executable, *module, "resolve", SEED, "--platform", "linux/"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "planner", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "pull-planner 0.1.0"


@pytest.mark.parametrize("columns", ["60", "80", "132"])
@pytest.mark.parametrize(
    "argv",
    [
        ["rules"],
        ["rules", "docker"],
        [
            "rules",
            "containerd@1.7.20",
            "--platform",
            "windows/amd64",
            "--os-version",
            "10.0.26100.1",
        ],
        ["compare", str(SEED_INDEX), "--platform", "linux/arm64", "--rules", "all"],
    ],
)
def test_text_fits_the_terminal_and_wraps_at_words(
    argv: list[str],
    columns: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 22: `rules` printed lines of 143 columns; the compare summary broke words
    ("entry 2: r / ank 0") when the engines' names filled the first line."""
    monkeypatch.setenv("COLUMNS", columns)
    assert main(argv) in (0, 1)
    out = capsys.readouterr().out
    for line in out.splitlines():
        if "/work/" in line or line.strip().startswith("file"):
            continue  # a path is one word
        assert len(line) <= int(columns), line
    monkeypatch.setenv("COLUMNS", "1000")
    assert main(argv) in (0, 1)
    words = set(capsys.readouterr().out.split())
    assert [w for w in out.split() if w not in words] == []  # no word broken in two


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["resolve", SEED, "--platform", "linux/arm64", "--platform", "linux/amd64"],
            "--platform given twice (linux/arm64, then linux/amd64): it takes one value;"
            " for several hosts, list them in a --hosts file",
        ),
        (
            ["check", SEED, "--hosts", "a.json", "--hosts", "b.yaml"],
            "--hosts given twice (a.json, then b.yaml): it takes one value",
        ),
        (["plan", SEED, "-u", "a", "--username", "b"], "--username given twice (a, then b)"),
        (
            ["resolve", SEED, "--platform", "linux/arm64", "--format", "json", "--format", "yaml"],
            "--format given twice (json, then yaml)",
        ),
    ],
)
def test_a_repeated_single_value_flag_is_refused(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22: argparse kept the last value in silence, answering for one of two hosts."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert said in err and len(err.splitlines()) == 1


def test_repeatable_flags_stay_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["resolve", SEED, "--platform", "windows/amd64", "--os-version", "10.0.17763.1"]
    assert main([*argv, "--os-feature", "win32k", "--os-feature", "x", "-q"]) == 0


def test_bare_architecture_follows_each_front_end(capsys: pytest.CaptureFixture[str]) -> None:
    """``--platform arm64``: Docker reads linux/arm64; podman's pull takes the word as the OS
    (pull.go splits at '/'), which pull-planner refuses with the reason."""
    code, out, _ = run(capsys, "resolve", SEED, "--platform", "arm64", "--rules", "docker", "-q")
    assert (code, out.strip()) == (0, ARM64)
    code, _, err = run(capsys, "resolve", SEED, "--platform", "arm64", "--rules", "podman@4.3.1")
    assert code != 0 and "read the platform 'arm64' as an OS" in err
    code, out, _ = run(
        capsys, "compare", SEED, "--platform", "arm64", "--rules", "docker,podman@4.3.1"
    )
    assert "podman@4.3.1" in out and "as an OS" in out


@pytest.mark.parametrize(
    ("platform", "meant"), [("arm/v7", "linux/arm/v7"), ("amd64/v3", "linux/amd64/v3")]
)
def test_an_architecture_written_as_the_os_gets_a_hint(
    platform: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22: Docker reads arm/v7 as os arm (and answers no image); so does pull-planner,
    and the no-image line says which platform was likely meant."""
    assert main(["resolve", SEED, "--platform", platform]) == 1
    err = capsys.readouterr().err
    assert f"runs on {platform} (did you mean {meant}?) under rules docker" in err


@pytest.mark.parametrize(
    ("name", "builds"),
    [
        ("ltsc2019", "10.0.17763.REVISION"),  # the names the tool prints (BUILD_NAMES)
        ("LTSC2022", "10.0.20348.REVISION"),
        ("1809", "10.0.17763.REVISION"),
        ("21H2", "10.0.19044.REVISION or 10.0.20348.REVISION or 10.0.22000.REVISION"),
    ],
)
def test_a_release_name_for_os_version_says_which_build(
    name: str, builds: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["resolve", SEED, "--platform", "windows/amd64", "--os-version", name]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        f"--os-version {name!r} names a release, not a build: give the host's os.version, {builds}"
        in err
    )
    # the same name inside --platform, for every rule family that compares builds
    for rules in ("docker", "containerd@1.7.20", "containerd@2.1.6", "docker-c8d"):
        argv = ["resolve", SEED, "--platform", f"windows({name})/amd64", "--rules", rules]
        assert main(argv) == 2
        err = capsys.readouterr().err
        said = f"os.version {name!r} names a release, not a build: give the host's os.version"
        assert f"{said}, {builds}" in err, rules
        assert "e.g. --os-version 10.0.20348.1" not in err  # no example of another build


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["reslove", SEED], "(did you mean 'resolve'?)"),
        (["resolve", SEED, "--platfrom", "linux/amd64"], "(did you mean '--platform'?)"),
        (["check", SEED, "--hots", "h.yaml"], "(did you mean '--hosts'?)"),
        (  # an option of another command: whose it is, and this command's help
            ["resolve", SEED, "--rate-limit", "4/6h"],
            "--rate-limit is an option of check, not of resolve (see: pull-planner resolve --help)",
        ),
        (
            ["resolve", SEED, "--platform", "linux/amd64", "--rules", "nerdctl"],
            "nerdctl pulls with the rules of family 'containerd'",
        ),
        (
            ["resolve", SEED, "--platform", "linux/amd64", "--rules", "moby"],
            "moby pulls with the rules of family 'docker'",
        ),
        (
            ["resolve", SEED, "--platform", "linux/amd64", "--rules", "ctr"],
            "ctr pulls with the rules of family 'containerd'",
        ),
    ],
)
def test_typos_and_client_names_get_a_hint(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 22: no 'did you mean' for a command or flag; --rules nerdctl suggested regctl."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code == 2
    err = capsys.readouterr().err
    assert said in err and len(err.splitlines()) == 1 and "regctl" not in err


@pytest.mark.parametrize("command", ["check", "compare"])
def test_the_arm_v7_hint_in_check_and_compare(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, SEED, "--platform", "arm/v7"] + (["--no-plan"] if command == "check" else [])
    main(argv)
    out, err = capsys.readouterr()
    assert "(did you mean linux/arm/v7?)" in " ".join((out + err).split())


def test_upstream_without_a_registry_configuration_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--upstream would do nothing: refused rather than ignored (the reviewer's finding)."""
    assert main(["resolve", SEED, "--platform", "linux/arm64", "--upstream"]) == 2
    assert "no host of this run has a registry configuration" in capsys.readouterr().err
