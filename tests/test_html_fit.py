"""The HTML report fits a laptop screen (issue 22, item 13): at 1,400 px with four images no
column hides behind a horizontal scroll, and no line breaks inside a name, a version or a
digest, in the matrix or in a cell's details; only at a separator (``/ : @ , = _ -``, a dot
before a letter) or a space.

Measured in Debian's headless chromium (tests/browser.py): every rendered character's line
box, from a DOM Range over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.cli import main
from tests.browser import Browser
from tests.helpers import EXAMPLES, require_tool

WEBAPP = f"oci:{EXAMPLES}/webapp"
FOUR = [
    f"{WEBAPP}:2.1",
    f"{WEBAPP}:2.0",
    f"{WEBAPP}@sha256:5a4221628f7910672b7223c0d542ebde7b7aeccf11086baefd642e76afadbce1",
    f"{WEBAPP}@sha256:c316330e87dc2e2c33561b7c358a31ca37d3e1578550dffd34db22b28a9aff06",
]
FLEETS = ["cluster-nodes.json", "fleet-windows.yaml", "fleet-linux.yaml"]

# Each character's text and line (its box's top), grouped by the box it is laid out in; a
# text node after anything but a <wbr> (a <br>, a block <small>) starts with a break mark.
BREAKS = """(sel => {
  const groups = new Map();
  for (const root of document.querySelectorAll(sel)) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n; (n = walk.nextNode());) {
      const box = n.parentElement.closest("td, th, dd, dt, li, h3, h4, summary, button");
      if (!box) continue;
      if (!groups.has(box)) groups.set(box, []);
      const line = groups.get(box);
      if (!n.previousSibling || n.previousSibling.nodeName !== "WBR") line.push([" ", 0]);
      for (let i = 0; i < n.data.length; i++) {
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + 1);
        const rects = r.getClientRects();
        if (rects.length) line.push([n.data[i], rects[0].top]);
      }
    }
  }
  const out = [];
  for (const line of groups.values()) {
    const text = line.map(c => c[0]).join("");
    for (let i = 1; i < line.length; i++) {
      const [a, top] = line[i - 1], [b, below] = line[i];
      if (below > top + 2 && /\\S/.test(a) && /\\S/.test(b)) out.push([text, a, b]);
    }
  }
  return out;
})"""
SCROLLS = """(() => { const s = document.querySelector(".scroll");
  return [s.scrollWidth, s.clientWidth, document.documentElement.scrollWidth, innerWidth]; })()"""


def _mid_token(breaks: list[list[str]]) -> list[str]:
    """The line breaks inside a token that are not after a separator."""
    return [
        f"{text.strip()!r}: {a}/{b}"
        for text, a, b in breaks
        if not (a in "/:@,=_-" or (a == "." and not b.isdigit()))
    ]


@pytest.fixture(scope="module")
def laptop() -> Iterator[Browser]:
    with Browser(require_tool("chromium", "chromium"), 1400, 900) as opened:
        yield opened


@pytest.mark.parametrize("fleet", FLEETS)
def test_four_images_fit_1400_pixels_and_break_only_at_separators(
    laptop: Browser, fleet: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "four.html"
    main(["check", *FOUR, "--hosts", str(EXAMPLES / fleet), "--html", str(page)])
    capsys.readouterr()
    b = laptop
    b.open(page.as_uri())
    wide, shown, page_wide, viewport = b.evaluate(SCROLLS)
    assert wide <= shown and page_wide <= viewport, (wide, shown, page_wide, viewport)
    assert _mid_token(b.evaluate(f"{BREAKS}('#matrix')")) == []
    cells = b.evaluate("document.querySelectorAll('td.c button').length")
    assert cells >= 4 * 3
    for at in range(cells):
        b.evaluate(f"document.querySelectorAll('td.c button')[{at}].click()")
        assert _mid_token(b.evaluate(f"{BREAKS}('#detail')")) == [], at
        inner = b.evaluate(
            "(d => [d.scrollWidth, d.clientWidth])(document.getElementById('details'))"
        )
        assert inner[0] <= inner[1], inner
        pick = b.evaluate("document.querySelector('#detail dd.hash')?.title")
        assert pick is None or (pick.startswith("sha256:") and len(pick) == 71)
