"""A real headless browser for the HTML report's tests and benchmarks: Debian's chromium.

Two ways in, both on a fresh profile with everything that could reach the
network on its own switched off (:data:`FLAGS`):

* :func:`dump_dom`: ``chromium --headless --dump-dom URL``, the DOM as it is
  once the page's scripts ran, serialized (parse it with :class:`DomCells`).
* :class:`Browser`: the Chrome DevTools protocol over ``--remote-debugging-pipe``
  (JSON messages ending in NUL on file descriptors 3 and 4; no port is
  opened), to evaluate script in the page, press keys, emulate dark mode or
  print, take screenshots, and record every request the page makes
  (``Network.requestWillBeSent``, the document's own included).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["FLAGS", "Browser", "DomCells", "dump_dom", "find_chromium"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--metrics-recording-only",
)


def find_chromium() -> str | None:
    return shutil.which("chromium")


def dump_dom(chromium: str, url: str, timeout: float = 60) -> str:
    """The page's DOM after its scripts ran (``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="pp-chromium-") as profile:
        done = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    return done.stdout.decode()


class DomCells(HTMLParser):
    """Elements with ``data-*`` attributes, from serialized HTML: (tag, {data attrs})."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {k[5:]: v or "" for k, v in attrs if k.startswith("data-")}
        classes = dict(attrs).get("class") or ""
        ident = dict(attrs).get("id") or ""
        if data or ident:
            self.elements.append((tag, {**data, "class": classes, "id": ident}))


class Browser:
    """chromium driven over the DevTools protocol; one page (tab)."""

    def __init__(self, chromium: str, width: int = 1280, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="pp-chromium-")
        commands, self._write = os.pipe()
        self._read, replies = os.pipe()
        # the browser reads commands on fd 3 and writes replies on fd 4: bash puts the
        # pipe's ends there (no Python runs in the child between fork and exec), from fds
        # above 9 so that neither redirection overwrites the other's source
        to_browser = fcntl.fcntl(commands, fcntl.F_DUPFD, 10)
        from_browser = fcntl.fcntl(replies, fcntl.F_DUPFD, 10)
        os.close(commands)
        os.close(replies)
        self.process = subprocess.Popen(
            [
                "/bin/bash",
                "-c",
                f'exec "$@" 3<&{to_browser} 4>&{from_browser}',
                "bash",
                chromium,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        try:
            targets = self.call("Target.getTargets")["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            self.session = self.call(
                "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
            )["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                self.call(f"{domain}.enable", session=True)
            self.viewport(width, height)
        except BaseException:
            self.close()
            raise

    # -- protocol

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ConnectionError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        result: dict[str, Any] = json.loads(message)
        return result

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: bool = False,
        timeout: float = 60,
    ) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                answer: dict[str, Any] = reply.get("result", {})
                return answer
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 60) -> dict[str, Any]:
        """The next event named ``event`` (events already received count)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, seen in enumerate(self.events):
                if seen.get("method") == event:
                    del self.events[i]
                    return seen
            self.events.append(self._receive(deadline))

    # -- the page

    def viewport(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def emulate(self, *, media: str = "", color_scheme: str = "") -> None:
        """``media="print"``, ``color_scheme="dark"``; empty strings reset."""
        features = [{"name": "prefers-color-scheme", "value": color_scheme}]
        self.call(
            "Emulation.setEmulatedMedia", {"media": media, "features": features}, session=True
        )

    def open(self, url: str, timeout: float = 60) -> float:
        """Load ``url``; seconds from navigating to the load event."""
        self.events.clear()
        start = time.perf_counter()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired", timeout)
        return time.perf_counter() - start

    def evaluate(self, expression: str) -> Any:
        reply = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def requests(self) -> list[tuple[str, str]]:
        """Every URL the page asked for since :meth:`open`, with the reason it was blocked
        before leaving the browser (``csp``…; '' when it was sent)."""
        self.evaluate("0")  # a round trip: events sent before it have arrived
        blocked = {
            e["params"]["requestId"]: e["params"].get("blockedReason") or ""
            for e in self.events
            if e.get("method") == "Network.loadingFailed"
        }
        return [
            (e["params"]["request"]["url"], blocked.get(e["params"]["requestId"], ""))
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def messages(self) -> list[str]:
        """What the page logged since :meth:`open`: errors, policy violations, exceptions."""
        self.evaluate("0")
        out = []
        for e in self.events:
            if e.get("method") == "Log.entryAdded":
                out.append(f"{e['params']['entry']['level']}: {e['params']['entry']['text']}")
            elif e.get("method") == "Runtime.exceptionThrown":
                out.append(f"exception: {e['params']['exceptionDetails']['text']}")
            elif e.get("method") == "Runtime.consoleAPICalled":
                out.append(f"console.{e['params']['type']}")
        return out

    def press(self, key: str) -> None:
        """A key press on the focused element: ``Enter``, ``" "`` (Space), ``ArrowDown``…"""
        codes = {"Enter": 13, " ": 32, "ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39}
        codes["ArrowDown"], codes["Tab"], codes["Escape"] = 40, 9, 27
        text = {"Enter": "\r", " ": " "}.get(key, "")
        common = {
            "key": key,
            "code": "Space" if key == " " else key,
            "windowsVirtualKeyCode": codes[key],
        }
        self.call(
            "Input.dispatchKeyEvent", {"type": "keyDown", "text": text, **common}, session=True
        )
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **common}, session=True)

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, ConnectionError, OSError, RuntimeError):
            self.call("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
