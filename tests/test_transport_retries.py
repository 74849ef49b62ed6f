"""Retry what can heal, not what cannot (issue 22, items 3 and 9).

A refused connection to a loopback port, a name that does not resolve and a proxy that
refuses the tunnel fail at the first attempt, with one line saying why and that it was
not retried; a connection that breaks mid-transfer is still retried. Ctrl-C during a
read ends the run (exit 130) with no retry and no retry notice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from planner import RegistryError, RegistryOptions, resolve
from planner.model.manifest import OCI_INDEX
from tests.helpers import ROOT
from tests.hostile_server import HostileServer, Received, Writer, manifest, sequence
from tests.test_registry_faults import INDEX

MANIFEST = "/v2/app/manifests/1"


def options(notices: list[str], **kw: Any) -> RegistryOptions:
    return RegistryOptions(use_cache=False, retries=4, backoff=0.01, notify=notices.append, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_loopback_port_is_not_retried() -> None:
    notices: list[str] = []
    port = _free_port()  # closed again: nothing listens there
    with pytest.raises(RegistryError) as raised:
        resolve(f"127.0.0.1:{port}/app:1", "linux/amd64", registry=options(notices))
    assert str(raised.value).endswith(
        "(connection refused: nothing listens on that port; not retried)"
    )
    assert notices == []  # no "retrying in ..." line: it failed at the first attempt


def test_a_name_that_does_not_resolve_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver's answer is simulated (no DNS query leaves the machine in a test)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if host in ("registry.pull-planner.test", b"registry.pull-planner.test"):
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    notices: list[str] = []
    with pytest.raises(RegistryError, match=r"the name does not resolve; not retried\)$"):
        resolve(
            "registry.pull-planner.test/app:1",
            "linux/amd64",
            registry=options(notices, plain_http=True),
        )
    assert notices == [] and len(asked) == 1


def test_a_temporary_resolver_failure_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kw: Any) -> Any:
        if host in ("registry.pull-planner.test", b"registry.pull-planner.test"):
            asked.append(host)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    notices: list[str] = []
    with pytest.raises(RegistryError, match=r"after 5 attempts"):
        resolve(
            "registry.pull-planner.test/app:1",
            "linux/amd64",
            registry=options(notices, plain_http=True),
        )
    assert len(asked) == 5 and len(notices) == 1


def test_a_proxy_that_refuses_the_tunnel_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy answers CONNECT with an error status (a real proxy's 403 does the same)."""
    with HostileServer() as proxy:
        for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "")
        notices: list[str] = []
        with pytest.raises(RegistryError, match=r"the proxy refused the connection; not retried"):
            resolve("registry.example.test/app:1", "linux/amd64", registry=options(notices))
        assert [r.method for r in proxy.requests] == ["CONNECT"]
    assert notices == []


def test_a_connection_that_breaks_mid_read_is_still_retried() -> None:
    async def broken(request: Received, writer: Writer) -> None:
        await writer.head(200, [("Content-Type", OCI_INDEX), ("Content-Length", "100000")])
        await writer.send(b"{")  # then the connection closes

    with HostileServer() as server:
        server.route(MANIFEST, sequence(broken, manifest(INDEX, OCI_INDEX)))
        notices: list[str] = []
        result = resolve(f"{server.host}/app:1", "linux/amd64", registry=options(notices))
    assert result.selected is not None
    assert len(notices) == 1 and "broke while reading" in notices[0]


@pytest.fixture
def stalling() -> Iterator[int]:
    """A registry that starts an answer and then sends nothing more."""
    port: list[int] = []
    stop = threading.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: " + OCI_INDEX.encode() + b"\r\n"
            b"Content-Length: 100000\r\n\r\n{"
        )
        await writer.drain()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.05)
        server.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    while not port:
        time.sleep(0.01)
    yield port[0]
    stop.set()
    thread.join(5)


def test_ctrl_c_ends_the_run_without_a_retry(stalling: int) -> None:
    argv = ["resolve", f"127.0.0.1:{stalling}/app:1", "--platform", "linux/amd64", "--no-cache"]
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", *argv],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    time.sleep(1.5)  # the answer has started and stalls
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "retrying" not in err and "Traceback" not in err
