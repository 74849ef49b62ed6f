"""The progress line tracks the network (issue 22, item 4): on a terminal (a pseudo-terminal
here) and only there, per phase, with counts that move as requests finish, from the first
second on, against a loopback registry that answers slowly (tests/hostile_server.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from planner.model.manifest import OCI_INDEX, OCI_MANIFEST
from tests.helpers import EXAMPLES, ROOT
from tests.hostile_server import Handler, HostileServer, Received, Writer, manifest

LAYOUT = EXAMPLES / "webapp"
FRAME = re.compile(r"pull-planner: ((?:[a-z ]+ \d+/\d+(?:, )?)+)")


def _blob(digest: str) -> bytes:
    return (LAYOUT / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def _slow(handler: Handler, delay: float) -> Handler:
    async def handle(request: Received, writer: Writer) -> None:
        await asyncio.sleep(delay)
        await handler(request, writer)

    return handle


def _serve_webapp(registry: HostileServer) -> list[str]:
    """The example layout's two tags, each index answered after 0.9 s or more, each image
    manifest after its own delay (0.25 s apart), so that requests finish one by one."""
    tags = {
        m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"]
        for m in json.loads((LAYOUT / "index.json").read_text())["manifests"]
    }
    children: dict[str, bytes] = {}
    for n, (tag, digest) in enumerate(sorted(tags.items())):
        data = _blob(digest)
        registry.route(
            f"/v2/webapp/manifests/{tag}", _slow(manifest(data, OCI_INDEX), 0.9 + 0.4 * n)
        )
        for entry in json.loads(data)["manifests"]:
            children.setdefault(entry["digest"], _blob(entry["digest"]))
    for n, (digest, data) in enumerate(children.items()):
        handler = manifest(data, OCI_MANIFEST)
        registry.route(f"/v2/webapp/manifests/{digest}", _slow(handler, 0.1 + 0.25 * n))
    return [f"{registry.host}/webapp:{tag}" for tag in sorted(tags)]


def _on_a_terminal(
    args: list[str], cwd: Path, columns: int = 80
) -> tuple[int, list[tuple[float, str]]]:
    """Run the CLI with stderr on a pseudo-terminal: its exit code and what the terminal
    received, split at carriage returns, with the time since the start of each piece."""
    master, slave = pty.openpty()
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns), "NO_COLOR": "1"},
    )
    os.close(slave)
    pieces: list[tuple[float, str]] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal
                return
            if not chunk:
                return
            when = time.monotonic() - start
            pieces.extend((when, part) for part in chunk.decode().split("\r") if part)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert process.stdout is not None
    process.stdout.read()
    code = process.wait(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    return code, pieces


def _counts(pieces: list[tuple[float, str]], phase: str) -> list[tuple[float, int, int]]:
    out = []
    for when, text in pieces:
        match = FRAME.search(text)
        if match:
            found = re.search(rf"{phase} (\d+)/(\d+)", match.group(1))
            if found:
                out.append((when, int(found.group(1)), int(found.group(2))))
    return out


def test_counts_move_as_requests_finish(tmp_path: Path) -> None:
    with HostileServer() as registry:
        images = _serve_webapp(registry)
        code, pieces = _on_a_terminal(
            ["check", *images, "--hosts", str(EXAMPLES / "fleet-linux.yaml"), "--retries", "0",
             "--cache-dir", str(tmp_path / "cache"), "--allow-missing", "pi-zero:*"],
            ROOT,
        )  # fmt: skip
        manifests = len(registry.received()) - 2
    assert code in (0, 1), pieces
    indexes = _counts(pieces, "reading indexes")
    assert [(done, total) for _, done, total in indexes][:2] == [(0, 2), (1, 2)], pieces
    assert indexes[0][0] < indexes[1][0] - 0.2  # shown while the first index is out
    read = _counts(pieces, "reading manifests")
    assert manifests >= 4 and read[-1][1:] == (manifests, manifests), pieces
    moving = sorted({done for _, done, _ in read})
    assert moving == list(range(manifests + 1)), pieces  # every request, as it finishes
    resolving = _counts(pieces, "resolving")
    assert resolving and resolving[-1][1] == resolving[-1][2]
    assert all(len(text.replace("\x1b[K", "")) < 80 for _, text in pieces)  # one line of 80
    assert pieces[-1][1] == "\x1b[K"  # cleared at the end


def test_no_progress_off_a_terminal(tmp_path: Path) -> None:
    with HostileServer() as registry:
        images = _serve_webapp(registry)
        done = subprocess.run(
            [sys.executable, "-m", "planner", "check", *images, "--hosts",
             str(EXAMPLES / "fleet-windows.yaml"), "--retries", "0", "--cache-dir",
             str(tmp_path / "cache")],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    assert "reading" not in done.stderr and "\r" not in done.stderr, done.stderr


def test_the_progress_line_fits_a_narrow_terminal(tmp_path: Path) -> None:
    """Below the layouts' 40 columns the line is cut to the terminal (a line that wraps
    cannot be redrawn in place), the current phase's count kept; with no room for a
    count, no line at all."""
    for columns in (30, 8):
        with HostileServer() as registry:
            images = _serve_webapp(registry)
            code, pieces = _on_a_terminal(
                ["check", *images, "--hosts", str(EXAMPLES / "fleet-linux.yaml"), "--retries",
                 "0", "--cache-dir", str(tmp_path / f"cache{columns}"), "--allow-missing",
                 "pi-zero:*"],
                ROOT,
                columns,
            )  # fmt: skip
        assert code in (0, 1), pieces
        drawn = [text.replace("\x1b[K", "") for _, text in pieces]
        drawn = [text for text in drawn if text.strip()]
        if columns == 8:
            assert drawn == [], drawn
            continue
        assert drawn and all(len(text) < columns for text in drawn), drawn
        assert any(re.search(r"\d+/\d+$", text) for text in drawn), drawn
