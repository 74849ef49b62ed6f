"""Terminal output: registry text is data, lines fit, colour only where asked, -q for scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planner.model.manifest import DOCKER_LIST, DOCKER_MANIFEST
from planner.report.layout import Style, safe, table
from tests.helpers import ROOT, SEED_INDEX

ESC = "\x1b"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**base, **(env or {})},
    )


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    """A manifest list whose platform strings carry ANSI escapes and newlines."""
    entries = [
        {
            "mediaType": DOCKER_MANIFEST,
            "digest": "sha256:" + "a" * 64,
            "size": 10,
            "platform": {
                "os": "linux",
                "architecture": f"amd64{ESC}[31m\npull-planner: error: forged",
            },
        },
        {
            "mediaType": DOCKER_MANIFEST,
            "digest": "sha256:" + "b" * 64,
            "size": 10,
            "platform": {"os": "linux", "architecture": "arm64", "variant": f"v8{ESC}]0;title\a"},
        },
    ]
    path = tmp_path / "hostile.json"
    path.write_text(
        json.dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries})
    )
    return path


def test_registry_text_cannot_forge_lines_or_colour(hostile_index: Path) -> None:
    for platform in ("linux/arm64", "linux/s390x"):
        done = cli("resolve", str(hostile_index), "--platform", platform)
        for stream in (done.stdout, done.stderr):
            assert ESC not in stream and "\a" not in stream
            assert not any(
                line.startswith("pull-planner: error: forged") for line in stream.splitlines()
            )
        assert "\\x1b[31m\\npull-planner: error: forged" in done.stdout + done.stderr


def test_errors_with_control_characters_stay_one_line(tmp_path: Path) -> None:
    name = tmp_path / "bad\nname\x1b[2J.json"
    name.write_text("{")
    done = cli("resolve", str(name), "--platform", "linux/amd64")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and ESC not in done.stderr
    assert "bad\\nname\\x1b[2J.json" in done.stderr


def test_safe_escapes_every_control_character() -> None:
    assert safe("a\x00b\x1bc\x7fd\x9be\nf\tg") == "a\\x00b\\x1bc\\x7fd\\x9be\\nf\\tg"
    assert safe("ünïcødé → ok") == "ünïcødé → ok"


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, False),  # not a terminal
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "0"}, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": ""}, False),  # NO_COLOR wins, whatever its value
    ],
)
def test_colour_only_when_asked(env: dict[str, str], coloured: bool) -> None:
    done = cli("resolve", str(SEED_INDEX), "--platform", "linux/arm64", env=env)
    assert done.returncode == 0
    assert (ESC in done.stdout) is coloured
    if coloured:
        pick = next(line for line in done.stdout.splitlines() if ">  2" in line)
        assert pick.startswith(f"{ESC}[1;32m")  # the pick stands out


def test_style_off_for_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Style(Tty())("fail", "x") == f"{ESC}[1;31mx{ESC}[0m"  # type: ignore[arg-type]
    monkeypatch.setenv("TERM", "dumb")
    assert Style(Tty())("fail", "x") == "x"  # type: ignore[arg-type]


@pytest.mark.parametrize("columns", ["60", "80", "120", "200"])
def test_text_fits_the_terminal_width(columns: str) -> None:
    # paths relative to the checkout (the CLI runs there): a long checkout path is not
    # the renderer's to wrap, and would make the result depend on where the tests run
    seed = str(SEED_INDEX.relative_to(ROOT))
    for argv in (
        ["resolve", seed, "--platform", "windows/amd64", "--os-version", "10.0.20348.1"],
        [
            "plan",
            "oci:examples/webapp:2.1",
            "--platform",
            "windows/amd64",
            "--os-version",
            "10.0.20348.1",
        ],
        [
            "check",
            "oci:examples/webapp:2.1",
            "oci:examples/webapp:2.0",
            "--hosts",
            "examples/fleet-windows.yaml",
        ],
    ):
        done = cli(*argv, env={"COLUMNS": columns})
        lines = done.stdout.splitlines() + [e for e in done.stderr.splitlines() if "warning" in e]
        # a full digest (71 characters) is never split, so that it can be copied
        too_wide = [line for line in lines if len(line) > int(columns) and not DIGEST.search(line)]
        assert not too_wide, (argv, columns)


def test_a_wide_terminal_keeps_verdicts_in_their_column() -> None:
    done = cli("resolve", str(SEED_INDEX), "--platform", "linux/arm64", env={"COLUMNS": "200"})
    assert any(
        line.startswith(">  2") and "  1     exact match" in line  # the pick column orders
        for line in done.stdout.splitlines()
    )


def test_table_moves_a_long_last_column_under_its_row() -> None:
    rows = [["#", "name", "why"], ["1", "x" * 30, "a reason " * 10]]
    lines = table(rows, 60)
    assert lines[0] == "#  name"
    assert lines[1].rstrip() == "1  " + "x" * 30
    assert all(line.startswith("   ") for line in lines[2:]) and max(map(len, lines)) <= 60
    assert " ".join(" ".join(lines[2:]).split()) == " ".join(("a reason " * 10).split())


def test_quiet_prints_digests_only() -> None:
    done = cli("resolve", str(SEED_INDEX), "--platform", "linux/arm64", "-q")
    assert (
        done.stdout == "sha256:84662fc278c8595651064cf500c414f46680ccd1184d1f39efe42f384dcaaae8\n"
    )
    done = cli(
        "plan", f"oci:{ROOT / 'examples' / 'webapp'}:2.1", "--platform", "linux/arm64", "--quiet"
    )
    digests = done.stdout.splitlines()
    assert len(digests) == 4 and all(d.startswith("sha256:") and len(d) == 71 for d in digests)
    done = cli(
        "resolve",
        f"oci:{ROOT / 'examples' / 'webapp'}:2.1",
        "--hosts",
        str(ROOT / "examples" / "fleet-linux.yaml"),
        "-q",
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1  # pi-zero has no image: it has no line, and the exit says so
    assert [line.split()[0] for line in lines] == ["build-x86-v3", "k8s-x86", "k8s-graviton", "pi4"]


@pytest.mark.parametrize(
    ("text", "plain", "code"),
    [
        # CommonMark "Backslash escapes": any ASCII punctuation may be escaped
        ("![x](http://evil.invalid/t.png)", r"\!\[x\]\(http:&#8203;//evil.invalid/t.png\)", None),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert\(1\)\>", None),
        ("a|b", r"a\|b", "`a\\|b`"),
        # CommonMark "Code spans": a fence longer than any backtick run inside
        ("ns`x", r"ns\`x", "``ns`x``"),
        ("`", r"\`", "`` ` ``"),
        ("nginx:1.27", "nginx:1.27", "`nginx:1.27`"),
    ],
)
def test_markdown_makes_untrusted_text_inert(text: str, plain: str, code: str | None) -> None:
    from planner.report.markdown import md_code, md_text

    assert md_text(text) == plain
    if code is not None:
        assert md_code(text) == code
