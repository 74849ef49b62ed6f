"""The HTML report: what the page says (escaped), and what a real browser makes of it.

The browser tests load the page from a file in Debian's headless chromium
(tests/browser.py) and compare its DOM with ``check --format json``, press
keys on it, record every request it makes, and keep screenshots (light, dark)
under ``$PULL_PLANNER_ARTIFACTS`` (else the test's temporary directory).
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from planner.app.fleet import run_fleet
from planner.cli import main
from planner.hosts.inventory import load_inventory
from planner.hosts.records import HostProfile
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.report.html.fleet import fleet_matrix
from planner.report.html.matrix import Cell, Column, Matrix, Row, Section
from planner.report.html.page import render_html
from tests.browser import Browser, DomCells, dump_dom
from tests.helpers import EXAMPLES, require_tool

IMAGES = [f"oci:{EXAMPLES}/webapp:2.1", f"oci:{EXAMPLES}/webapp:2.0"]
FLEETS = {
    "linux": [
        "--hosts",
        str(EXAMPLES / "fleet-linux.yaml"),
        "--allow-missing",
        f"pi-zero:{IMAGES[1]}",
    ],
    "windows": ["--hosts", str(EXAMPLES / "fleet-windows.yaml")],
    "cluster": ["--hosts", str(EXAMPLES / "cluster-nodes.json")],
    "cluster-expanded": ["--hosts", str(EXAMPLES / "cluster-nodes.json"), "--expand"],
}
HOSTILE = '<img src=x onerror="window.pwned=1">"\'&amp;\x1b[31m\r\n</script>'


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["check", *argv])
    out, _ = capsys.readouterr()
    return code, out


def _artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("PULL_PLANNER_ARTIFACTS") or tmp_path / "artifacts")
    where.mkdir(parents=True, exist_ok=True)
    return where


# --------------------------------------------------------------------------- the page itself


def _hostile_matrix() -> Matrix:
    section = Section(title=HOSTILE, status="no-image", problem=HOSTILE, warnings=(HOSTILE,))
    return Matrix(
        title="t",
        columns=(Column(key=HOSTILE, label=HOSTILE),),
        rows=(Row(key=HOSTILE, members=(HOSTILE, "b"), label=HOSTILE, about=(HOSTILE, "x")),),
        cells=((Cell("no-image", HOSTILE, None, HOSTILE, 0),),),
        details=((section,),),
        checks=2,
        failures=2,
        inputs=(("Images", ((HOSTILE, HOSTILE),)),),
    )


def test_everything_is_escaped_and_data_attributes_read_back() -> None:
    page = render_html(_hostile_matrix())
    assert "<img" not in page and "</script>\n" not in page.split('id="pp-data">', 1)[1][:-30]
    assert page.count("<script") == 2  # the JSON block and the page's own script
    cells = [a for tag, a in DomCells(page).elements if tag == "td" and "status" in a]
    assert len(cells) == 1
    # control characters as references, which a browser reads back as they were (below)
    written = (
        "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;&quot;&#x27;&amp;amp;"
        "&#27;[31m&#13;\n&lt;/script&gt;"
    )
    assert f'data-host="{written}" data-image="{written}"' in page
    blob = page.split('<script type="application/json" id="pp-data">', 1)[1].split("</script>")[0]
    assert json.loads(blob)["details"][0][0]["title"] == HOSTILE


class _Attributes(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names |= {name for name, _ in attrs}


def test_the_policy_allows_only_the_pages_own_style_and_script() -> None:
    page = render_html(_hostile_matrix())
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    text = html.unescape(policy.group(1))
    rules = dict(part.strip().split(" ", 1) for part in text.split(";"))
    assert rules["default-src"] == "'none'" and rules["img-src"] == "data:"
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    for text, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert rules[directive] == f"'sha256-{digest}'"
    names = _Attributes(page).names  # nothing to fetch: no element names a URL
    assert not names & {"src", "href", "action", "srcset", "poster", "data", "background"}


def test_html_file_and_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    code, out = _check(capsys, *IMAGES, *FLEETS["windows"], "--html", str(page))
    assert code == 1 and out.startswith("[1]")  # the text matrix, and the page besides
    code, stdout_page = _check(capsys, *IMAGES, *FLEETS["windows"], "--format", "html")
    assert code == 1 and stdout_page.startswith("<!DOCTYPE html>")
    strip = re.compile(r"generated [^<]+")  # only the time differs
    assert strip.sub("", page.read_text()) == strip.sub("", stdout_page)
    assert "ws2025" in stdout_page and "WON&#x27;T RUN" not in stdout_page  # escaped as text
    code = main(["check", *IMAGES, *FLEETS["windows"], "--html", str(tmp_path / "no/such.html")])
    assert code == 3
    assert "cannot write" in capsys.readouterr().err


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_tool("chromium", "chromium")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """One headless chromium (1280 x 900) for this module's tests; each opens its own pages."""
    with Browser(chromium, 1280, 900) as opened:
        yield opened


def _json_report(capsys: pytest.CaptureFixture[str], fleet: str) -> dict[str, Any]:
    _, out = _check(capsys, *IMAGES, *FLEETS[fleet], "--format", "json")
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize("fleet", sorted(FLEETS))
def test_the_page_shows_what_json_says(
    chromium: str, fleet: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every host x image with its status and size, per-host and fleet totals, as JSON has them."""
    report = _json_report(capsys, fleet)
    page = tmp_path / f"{fleet}.html"
    _check(capsys, *IMAGES, *FLEETS[fleet], "--html", str(page))
    elements = DomCells(dump_dom(chromium, page.as_uri())).elements
    assert ("html", {"ready": "1", "class": "", "id": ""}) in elements  # the script ran
    cells = [a for tag, a in elements if tag == "td" and "status" in a]
    rows = [a for tag, a in elements if tag == "tr" and "hosts" in a]
    members: dict[str, list[str]] = {}  # each row's hosts: its pool's, listed, or itself
    current = ""
    for tag, a in elements:
        if tag == "tr" and "hosts" in a:
            current = a["host"]
            members[current] = []
        elif tag == "li" and "host" in a:
            members[current].append(a["host"])
    members = {first: hosts or [first] for first, hosts in members.items()}
    assert all(hosts[0] == first for first, hosts in members.items())
    assert all(len(members[r["host"]]) == int(r["hosts"]) for r in rows)
    shown = {}
    for cell in cells:
        size = int(cell["bytes"]) if "bytes" in cell else None  # no plan: no image
        for host in members[cell["host"]]:
            shown[(host, cell["image"])] = (cell["status"], size)
    expected = {
        (p["host"], p["image"]): (p["status"], (p["totals"] or {}).get("download_bytes"))
        for p in report["pairs"]
    }
    assert shown == expected
    if fleet == "linux":
        assert {s for s, _ in shown.values()} == {"ok", "no-image", "allowed"}
    downloads = [int(a["bytes"]) for tag, a in elements if tag == "td" and "dl" in a["class"]]
    assert downloads == [report["fleet"]["hosts"][r["host"]] for r in rows]
    figures = {a["id"]: a for _, a in elements if a["id"].startswith("total-")}
    assert int(figures["total-fleet"]["bytes"]) == report["fleet"]["total_bytes"]
    assert int(figures["total-mirror"]["bytes"]) == report["fleet"]["unique_bytes"]
    gate = next(a for _, a in elements if a["id"] == "gate")
    assert int(gate["failures"]) == report["failures"]
    assert int(gate["checks"]) == len(report["pairs"])
    bars = [a for tag, a in elements if tag == "g" and "bytes" in a]
    assert sum(int(b["bytes"]) for b in bars[:-2]) == report["fleet"]["total_bytes"]
    assert [int(b["bytes"]) for b in bars[-2:]] == [
        report["fleet"]["total_bytes"],
        report["fleet"]["unique_bytes"],
    ]


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records what is asked of it."""
    hits: list[str] = []
    handler = type("Handler", (_Counter,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_no_request_leaves_the_page(
    browser: Browser,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    listener: tuple[str, list[str]],
) -> None:
    """The page asks for nothing but itself; even markup slipped into it could not fetch."""
    page = tmp_path / "cluster.html"
    _check(capsys, *IMAGES, *FLEETS["cluster"], "--html", str(page))
    base, hits = listener
    leak = (
        f'<img src="{base}/img"><link rel="stylesheet" href="{base}/css">'
        f'<script src="{base}/js"></script><script>fetch("{base}/fetch")</script>'
        f'<iframe src="{base}/frame"></iframe>'
    )
    tampered = tmp_path / "tampered.html"
    tampered.write_text(page.read_text().replace("</footer>", f"</footer>{leak}"))
    control = tmp_path / "control.html"  # the same markup without the policy: it does fetch
    control.write_text(re.sub(r"<meta http-equiv=[^>]+>", "", tampered.read_text()))
    browser.open(page.as_uri())
    assert browser.requests() == [(page.as_uri(), "")]
    assert browser.messages() == []  # its own style and script are what the policy allows
    browser.open(tampered.as_uri())
    browser.evaluate("new Promise(r => setTimeout(r, 300))")
    assert browser.evaluate("document.documentElement.dataset.ready") == "1"
    # data: URLs are the blocked frame's error page, drawn by the browser itself
    asked = [(url, why) for url, why in browser.requests() if not url.startswith("data:")]
    assert asked[0] == (tampered.as_uri(), "")
    assert {why for _, why in asked[1:]} == {"csp"}  # fetch() and the frame: not even asked
    assert hits == []
    assert any("Content Security Policy" in m for m in browser.messages())  # seen when it is
    browser.open(control.as_uri())
    browser.evaluate("new Promise(r => setTimeout(r, 300))")
    sent = [url for url, why in browser.requests() if url.startswith(base) and not why]
    assert len(sent) >= 4
    deadline = time.monotonic() + 10  # the listener's thread may still be answering
    while len(set(hits)) < len(set(sent)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(set(hits)) == sorted({url[len(base) :] for url in sent})


def test_keyboard_details_sorting_dark_and_print(
    browser: Browser, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "windows.html"
    _check(capsys, *IMAGES, *FLEETS["windows"], "--html", str(page))
    report = _json_report(capsys, "windows")
    artifacts = _artifacts(tmp_path)
    b = browser
    b.open(page.as_uri())
    # keyboard: Tab reaches the matrix, its cells are one tab stop, arrows move, Enter/Space
    # open the details, Escape closes them
    assert b.evaluate("document.getElementById('details').hidden")
    b.evaluate("document.getElementById('only-failing').focus()")
    b.press("Tab")  # the legend has no stops; the column headers come first
    assert b.evaluate("document.activeElement.closest('th').dataset.image") == IMAGES[0]
    stops = "[...document.querySelectorAll('td.c button')].filter(x => x.tabIndex === 0)"
    assert b.evaluate(f"{stops}.length") == 1
    b.evaluate("document.querySelector('td.c button').focus()")
    b.press("ArrowDown")
    b.press("ArrowDown")
    assert b.evaluate("document.activeElement.closest('td').dataset.host") == "ws2025"
    assert b.evaluate(f"{stops}[0] === document.activeElement")  # the stop moved along
    b.press("Enter")
    text = b.evaluate("document.getElementById('detail').innerText")
    failing = next(p for p in report["pairs"] if p["host"] == "ws2025")
    assert failing["problem"] in text and failing["selected"]["digest"] in text
    assert "rank 1: windows build 17763" in text  # explain.py's reason for the pick
    b.press("ArrowRight")
    b.press(" ")
    text = b.evaluate("document.getElementById('detail').innerText")
    assert "ws2025 \u00d7 " + IMAGES[1] in text and "Blobs" in text
    b.screenshot(artifacts / "report-details.png")
    b.press("Escape")  # closes the details, the cell keeps the focus
    assert b.evaluate("document.getElementById('details').hidden")
    assert b.evaluate("document.activeElement.closest('td').dataset.image") == IMAGES[1]
    # sorting puts failing rows first; a column header sorts by that column
    first = "document.querySelector('#matrix tbody tr').dataset.host"
    b.evaluate(
        "s = document.getElementById('sort'); s.value = 'failures';"
        " s.dispatchEvent(new Event('change'))"
    )
    assert b.evaluate(first) == "ws2025"
    b.evaluate("document.querySelector('#matrix th.col button').click()")
    assert b.evaluate(first) == "ws2025"
    assert b.evaluate("document.querySelector('th[aria-sort]').dataset.image") == IMAGES[0]
    b.evaluate("c = document.getElementById('only-failing'); c.click()")
    assert b.evaluate(
        "[...document.querySelectorAll('#matrix tbody tr')].filter(r => r.offsetParent)"
        ".map(r => r.dataset.host)"
    ) == ["ws2025"]
    b.evaluate("c.click()")
    background = "getComputedStyle(document.body).backgroundColor"
    light = b.evaluate(background)
    b.emulate(color_scheme="dark")
    assert b.evaluate(background) != light
    b.screenshot(artifacts / "report-dark.png")
    b.emulate(media="print")
    assert b.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "none"
    b.emulate()
    b.screenshot(artifacts / "report.png")
    assert b.messages() == []  # no error, no policy violation, after all of the above
    shots = sorted(p.name for p in artifacts.glob("report*.png"))
    assert shots == ["report-dark.png", "report-details.png", "report.png"]
    print(f"screenshots: {artifacts}")


def test_hostile_names_stay_data_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    """In the markup and in rows the script draws from the JSON block alike."""
    rules = load_rules("docker")
    hosts = [
        HostProfile("x86", Platform.parse("linux/amd64"), rules),
        HostProfile(HOSTILE, Platform.parse("linux/arm/v6"), rules),
    ]
    matrix = fleet_matrix(run_fleet(IMAGES[:1], hosts))
    b = browser
    for budget in (100, 1):  # both rows in the markup; the second drawn later
        page = tmp_path / f"hostile-{budget}.html"
        page.write_text(render_html(matrix, cell_budget=budget), encoding="utf-8")
        b.open(page.as_uri())
        b.evaluate("document.getElementById('show-all')?.click()")
        assert b.evaluate("document.documentElement.dataset.ready") == "1"
        assert b.evaluate("window.pwned === undefined && document.images.length === 0")
        names = b.evaluate("[...document.querySelectorAll('td.c')].map(td => td.dataset.host)")
        assert names == ["x86", HOSTILE]
        b.evaluate("document.querySelectorAll('td.c button')[1].click()")
        text = b.evaluate("document.getElementById('detail').innerText")
        assert "no compatible image" in text


ROWS = """[...document.querySelectorAll("#matrix tbody tr")].map(tr => [
  Object.fromEntries([...tr.attributes].map(a => [a.name, a.value])),
  [...tr.querySelectorAll("th, td, li, summary")].map(c => [c.tagName, c.textContent,
    Object.fromEntries([...c.attributes].map(a => [a.name, a.value]))])])"""


def test_rows_drawn_later_are_the_rows_of_the_markup(browser: Browser, tmp_path: Path) -> None:
    """Past its cell budget the page draws rows from its JSON block: the same elements."""
    report = run_fleet(IMAGES, load_inventory(EXAMPLES / "cluster-nodes.json"))
    matrix = fleet_matrix(report)
    assert len(matrix.rows[1].members) == 2  # a pool row among those drawn later
    whole, later = tmp_path / "whole.html", tmp_path / "later.html"
    whole.write_text(render_html(matrix), encoding="utf-8")
    later.write_text(render_html(matrix, cell_budget=1), encoding="utf-8")
    b = browser
    b.open(whole.as_uri())
    expected = b.evaluate(ROWS)
    assert len(expected) == len(matrix.rows) and b.evaluate("!document.getElementById('more')")
    b.open(later.as_uri())
    assert len(b.evaluate(ROWS)) == 1
    pending = b.evaluate("document.getElementById('more').dataset.pending")
    assert pending == str(len(expected) - 1)
    b.evaluate("document.getElementById('show-all').click()")
    assert b.evaluate(ROWS) == expected
    assert b.evaluate("document.getElementById('more').hidden")
    b.open(later.as_uri())  # sorting draws every row first
    b.evaluate(
        "s = document.getElementById('sort'); s.value = 'name';"
        " s.dispatchEvent(new Event('change'))"
    )
    hosts = b.evaluate(
        "[...document.querySelectorAll('#matrix tbody tr')].map(r => r.dataset.host)"
    )
    assert hosts == sorted(r.key for r in matrix.rows)


def _workload_matrix() -> Matrix:
    """What a workload adapter gives (issue 13): node pools x workloads, containers as
    sections, a pool a workload is not scheduled on as no cell, a workload no node runs."""
    init = Section(title="init: busybox:1.36", status="will-not-run", problem="amd64 only")
    app = Section(title="app: web:2.1", status="ok", selected="sha256:" + "a" * 64)
    ok, bad = Cell("ok", "linux/amd64", 1000, "", 0), Cell("will-not-run", "", 10, "x", 1)
    return Matrix(
        title="pull-planner check -f",
        columns=tuple(
            Column(key=k, label=k, problem=p)
            for k, p in (
                ("Deployment/default/web", ""),
                ("DaemonSet/kube-system/agent", ""),
                ("CronJob/default/report", "no eligible node"),
            )
        ),
        rows=(
            Row("amd-1", ("amd-1", "amd-2"), "amd-1", ("linux/amd64", "containerd"), 1000),
            Row("arm-1", ("arm-1",), "arm-1", ("linux/arm64", "containerd"), 10),
        ),
        cells=((ok, ok, None), (bad, None, None)),
        details=((app,), (init, app)),
        column_kind="workload",
        checks=5,
        failures=2,
    )


def test_a_workload_matrix_renders_the_same_way(browser: Browser, tmp_path: Path) -> None:
    matrix = _workload_matrix()
    b = browser
    shown = []
    for budget in (100, 1):
        page = tmp_path / f"workloads-{budget}.html"
        page.write_text(render_html(matrix, cell_budget=budget), encoding="utf-8")
        b.open(page.as_uri())
        b.evaluate("document.getElementById('show-all')?.click()")
        shown.append(b.evaluate(ROWS))
        cells = b.evaluate(
            "[...document.querySelectorAll('#matrix tbody td[data-workload]')]"
            ".map(td => [td.dataset.host, td.dataset.workload, td.dataset.status ?? null])"
        )
        assert cells == [
            ["amd-1", "Deployment/default/web", "ok"],
            ["amd-1", "DaemonSet/kube-system/agent", "ok"],
            ["amd-1", "CronJob/default/report", None],
            ["arm-1", "Deployment/default/web", "will-not-run"],
            ["arm-1", "DaemonSet/kube-system/agent", None],
            ["arm-1", "CronJob/default/report", None],
        ]
        b.evaluate("document.querySelectorAll('td.c button')[2].click()")
        text = b.evaluate("document.getElementById('detail').innerText")
        assert "init: busybox:1.36" in text and "app: web:2.1" in text
        assert "FAIL CronJob/default/report: no eligible node" in b.evaluate(
            "document.querySelector('.problems').innerText"
        )
    assert shown[0] == shown[1]
