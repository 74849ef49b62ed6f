"""Make docs/html-report.png, the README's picture of the HTML report.

    python docs/screenshot.py [OUT.png]

Runs ``pull-planner check oci:examples/webapp:2.1 oci:examples/webapp:2.0
--hosts examples/fleet-linux.yaml --allow-missing pi-zero:oci:examples/webapp:2.0
--html …`` (the README's fleet example, both tags), opens the page in Debian's headless chromium (``tests/browser.py``),
selects the failing cell of ``pi-zero`` as a user would (focus, Enter) and
captures the top of the page, 1360 pixels wide. The PNG is made smaller with
``pngquant`` and ``optipng`` when they are installed (``apt-get install
pngquant optipng``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import Browser, find_chromium  # noqa: E402

WIDTH, HEIGHT = 1360, 760
COMMAND = [
    "check",
    "oci:examples/webapp:2.1",
    "oci:examples/webapp:2.0",
    "--hosts",
    "examples/fleet-linux.yaml",
    "--allow-missing",
    "pi-zero:oci:examples/webapp:2.0",
]


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "html-report.png"
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="pull-planner-shot-") as temp:
        page = Path(temp) / "report.html"
        done = subprocess.run(
            [sys.executable, "-m", "planner", *COMMAND, "--html", str(page)],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if done.returncode not in (0, 1):
            raise SystemExit(done.stderr.decode())
        with Browser(chromium, WIDTH, HEIGHT) as browser:
            browser.open(page.as_uri())
            browser.evaluate("document.querySelector('td.c[data-host=\"pi-zero\"] button').focus()")
            browser.press("Enter")
            browser.evaluate("document.activeElement.blur()")
            shot = browser.screenshot(Path(temp) / "shot.png", full_page=False)
        if shutil.which("pngquant"):
            subprocess.run(
                ["pngquant", "--force", "--skip-if-larger", "--output", str(shot), "64", str(shot)],
                check=False,
            )
        if shutil.which("optipng"):
            subprocess.run(["optipng", "-quiet", "-o5", str(shot)], check=False)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, out)
    print(f"{out}: {out.stat().st_size} bytes, {WIDTH}x{HEIGHT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
