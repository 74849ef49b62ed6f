"""Names from files and registries are data in every report format (hardening issue,
items 10-12 and the writers' part of 4): characters that reorder, hide or forge text
(Trojan Source bidi overrides and isolates, zero-width characters, line and paragraph
separators), characters a document cannot hold (U+FFFE, U+FFFF, lone surrogates: a file
name that is not UTF-8), and Markdown that would ping or link (``@org/team``, bare URLs).

The host's name comes from a host profile, the image's from a file name whose bytes are
not UTF-8 (Python reads it with a lone surrogate, as every path from the file system).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from planner.model.text import one_line
from planner.report.markdown import md_text
from tests.helpers import ROOT

HOST = "evil\u202egnp.exe\u2066 zero\u200bwidth\ufeff line\u2028para\u2029 non\ufffechar\uffff @org/team https://evil.example/x www.evil.example"
"""A host name with every kind of hostile character a YAML profile can hold."""
RAW = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)
"""Characters no report may carry raw (as found; escaped they are ASCII)."""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(image, hosts file): the bundled index under a name that is not UTF-8, and a host."""
    where = tmp_path_factory.mktemp("hostile")
    image = os.fsdecode(bytes(where) + b"/index-\x80\xff-\xe2\x80\xae@org.json")
    shutil.copy(ROOT / "examples" / "dotnet-core-runtime-3.0.json", os.fsencode(image))
    hosts = where / "hosts.yaml"
    escaped = HOST.encode("ascii", "backslashreplace").decode("ascii")
    hosts.write_text(f'hosts:\n  - name: "{escaped}"\n    platform: linux/arm64\n')
    return image, str(hosts)


def _check(image: str, hosts: str, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "planner", "check", image, "--no-plan", "--hosts", hosts, *extra],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    return done.stdout.decode("utf-8")  # every format is valid UTF-8


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "json", "yaml"])
def test_no_report_carries_a_hostile_character_raw(hostile: tuple[str, str], fmt: str) -> None:
    out = _check(*hostile, "--format", fmt)
    assert RAW.search(out) is None, RAW.search(out)
    if fmt == "text":  # shown as Python's repr shows them, as registry errors already were
        assert "evil\\u202egnp.exe\\u2066 zero\\u200bwidth\\ufeff line\\u2028para" in out
        assert "index-\\udc80\\udcff-\\u202e@org.json" in out


def test_junit_is_well_formed_xml(hostile: tuple[str, str]) -> None:
    """XML 1.0 forbids U+FFFE, U+FFFF and surrogates: expat refused the report before."""
    root = ElementTree.fromstring(_check(*hostile, "--format", "junit"))
    (case,) = root.iter("testcase")
    assert case.get("name", "").startswith("evil\\u202egnp.exe")


def test_markdown_pings_nobody_and_links_nowhere(hostile: tuple[str, str]) -> None:
    out = _check(*hostile, "--format", "markdown")
    # GitHub makes mentions and autolinks of plain text (GFM autolink literals): none left
    text = re.sub(r"`[^`]*`", "", out)  # code spans are safe: no mention or link inside
    assert re.search(r"@\w", text) is None
    assert re.search(r"https?://|www\.", text, re.IGNORECASE) is None
    assert "@&#8203;org/team https:&#8203;//evil.example/x www&#8203;.evil.example" in out


def test_html_page_is_written_with_a_lone_surrogate_in_a_name(
    hostile: tuple[str, str], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    _check(*hostile, "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "index-\\udc80\\udcff" in text  # as the terminal shows it
    assert re.search("[\ud800-\udfff]", text) is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),  # ANSI escape (first round)
        ("a\nb\r\tc", "a\\nb\\r\\tc"),
        ("\x85next-line", "\\x85next-line"),  # C1 control
        ("abc\u202edef", "abc\\u202edef"),  # RIGHT-TO-LEFT OVERRIDE (Trojan Source)
        ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),  # LEFT-TO-RIGHT ISOLATE, POP
        ("zero\u200bwidth\u200d", "zero\\u200bwidth\\u200d"),  # ZERO WIDTH SPACE, JOINER
        ("\ufeffbom", "\\ufeffbom"),  # ZERO WIDTH NO-BREAK SPACE
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),  # LINE/PARAGRAPH SEPARATOR
        ("non\ufffe\uffff", "non\\ufffe\\uffff"),  # noncharacters (not legal in XML 1.0)
        ("lone\udc80", "lone\\udc80"),  # a file name that is not UTF-8
        ("nbsp\xa0", "nbsp\\xa0"),  # looks like a space, is not one
        ("été 中文 ok", "été 中文 ok"),  # printable text stays as it is
    ],
)
def test_one_line_escapes_every_character_that_is_not_printable(text: str, shown: str) -> None:
    assert one_line(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("@org/team", "@&#8203;org/team"),  # a team mention notifies every member
        ("cc @user", "cc @&#8203;user"),
        ("ops@example.com", "ops@&#8203;example.com"),  # e-mail autolink
        ("see https://evil.example", "see https:&#8203;//evil.example"),
        ("WWW.evil.example", "WWW&#8203;.evil.example"),
        ("&#64;org", "\\&\\#64;org"),  # no entity can spell an @ again
        ("a@ b", "a@ b"),  # not a mention: nothing to break
    ],
)
def test_markdown_text_breaks_mentions_and_links(text: str, shown: str) -> None:
    assert md_text(text) == shown
