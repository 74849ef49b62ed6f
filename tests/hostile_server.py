"""A scriptable HTTP/1.1 server on 127.0.0.1 for faults a real registry does not produce.

Each :class:`HostileServer` listens on its own port (so two of them are two
origins), answers every request with the handler routed to its path, and
records what it received (method, path, headers, body). Handlers write raw
bytes, so they can do what no well-behaved server does: redirect to another
origin or in a loop, challenge with any ``WWW-Authenticate``, dribble headers
or body a byte at a time, send endless or gzip-bomb bodies, bad gzip, odd
``Retry-After`` values. Every connection serves one request and is closed.

The server runs its own event loop in a daemon thread, so that the code under
test can run its loop in the test's thread. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import hashlib
import http
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from tests.loopback import LoopbackServer

__all__ = [
    "Handler",
    "HostileServer",
    "Received",
    "Writer",
    "answer",
    "challenge",
    "dribble_body",
    "dribble_head",
    "endless",
    "gzip_bomb",
    "manifest",
    "redirect",
    "sequence",
]


@dataclass
class Received:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names; a repeated header keeps its last value."""
    body: bytes = b""

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


class Writer:
    """Raw access to the connection, for handlers."""

    def __init__(self, stream: asyncio.StreamWriter) -> None:
        self.stream = stream

    async def send(self, data: bytes) -> None:
        self.stream.write(data)
        await self.stream.drain()

    async def head(self, status: int, headers: Iterable[tuple[str, str | bytes]] = ()) -> None:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        lines = [f"HTTP/1.1 {status} {phrase}".encode()]
        for name, value in headers:
            raw = value if isinstance(value, bytes) else value.encode("latin-1")
            lines.append(name.encode() + b": " + raw)
        lines.append(b"Connection: close")
        await self.send(b"\r\n".join(lines) + b"\r\n\r\n")


Handler = Callable[[Received, Writer], Awaitable[None]]


@dataclass
class HostileServer(LoopbackServer):
    """An HTTP server on 127.0.0.1 that answers from scripts and records requests."""

    tls: ssl.SSLContext | None = None
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._setup_loop()

    # ------------------------------------------------------------------ life

    def start(self) -> HostileServer:
        self._listen()
        return self

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    # ------------------------------------------------------------------ routing

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` (exact, without query) with ``handler``."""
        self.routes[path] = handler

    def received(self, path: str | None = None) -> list[Received]:
        return [r for r in self.requests if path is None or r.path.split("?")[0] == path]

    async def _serve(self, reader: asyncio.StreamReader, stream: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = b""
            if headers.get("content-length", "0").isdigit():
                body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(method, target, headers, body)
            self.requests.append(received)
            handler = self.routes.get(target.split("?")[0], not_found)
            await handler(received, Writer(stream))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ssl.SSLError):
            pass
        finally:
            self._tasks.discard(task)
            stream.close()


# --------------------------------------------------------------------------- handlers


async def not_found(request: Received, writer: Writer) -> None:
    body = b'{"errors": [{"code": "NOT_FOUND", "message": "no route"}]}'
    await writer.head(
        404, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    await writer.send(body)


def answer(
    status: int = 200, body: bytes = b"", headers: Iterable[tuple[str, str | bytes]] = ()
) -> Handler:
    """A complete response with Content-Length."""

    async def handle(request: Received, writer: Writer) -> None:
        await writer.head(status, [*headers, ("Content-Length", str(len(body)))])
        if request.method != "HEAD":
            await writer.send(body)

    return handle


def manifest(data: bytes, media_type: str, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    """A manifest as a registry serves it: media type and Docker-Content-Digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return answer(
        200, data, [("Content-Type", media_type), ("Docker-Content-Digest", digest), *headers]
    )


def redirect(location: str, status: int = 307) -> Handler:
    return answer(status, b"", [("Location", location)])


def challenge(*www_authenticate: str | bytes, body: bytes = b"") -> Handler:
    """401 with the given WWW-Authenticate header values (one header each)."""
    return answer(401, body, [("WWW-Authenticate", value) for value in www_authenticate])


def sequence(*handlers: Handler) -> Handler:
    """The first request gets the first handler, and so on; the last one repeats."""
    queue = list(handlers)

    async def handle(request: Received, writer: Writer) -> None:
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        await current(request, writer)

    return handle


def dribble_head(
    status: int, body: bytes, interval: float, headers: Iterable[tuple[str, str]] = ()
) -> Handler:
    """Status line at once, then the headers one byte every ``interval`` seconds."""

    async def handle(request: Received, writer: Writer) -> None:
        await writer.send(f"HTTP/1.1 {status} OK\r\n".encode())
        rest = b"".join(f"{n}: {v}\r\n".encode() for n, v in headers)
        rest += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        for byte in rest:
            await writer.send(bytes([byte]))
            await asyncio.sleep(interval)
        await writer.send(body)

    return handle


def dribble_body(body: bytes, interval: float, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    """Headers at once, then the body one byte every ``interval`` seconds."""

    async def handle(request: Received, writer: Writer) -> None:
        await writer.head(200, [*headers, ("Content-Length", str(len(body)))])
        for byte in body:
            await writer.send(bytes([byte]))
            await asyncio.sleep(interval)

    return handle


def endless(
    total: int,
    *,
    chunk: bytes = b"a" * (64 << 10),
    prefix: bytes = b"",
    declare_length: bool = False,
    headers: Iterable[tuple[str, str]] = (),
) -> Handler:
    """A body of ``total`` bytes made on the fly (never held whole); stops when the peer leaves."""

    async def handle(request: Received, writer: Writer) -> None:
        framing = [("Content-Length", str(total))] if declare_length else []
        await writer.head(200, [*headers, *framing])
        await writer.send(prefix)
        sent = len(prefix)
        while sent < total:
            piece = chunk[: total - sent]
            await writer.send(piece)
            sent += len(piece)

    return handle


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """gzip of ``size`` zero bytes (about 1000:1), made once per size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    parts = [
        compressor.compress(zeros[: min(len(zeros), size - done)])
        for done in range(0, size, len(zeros))
    ]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)
