"""A small forwarding HTTP proxy on 127.0.0.1 that records what passes through it.

It speaks the two ways clients use a proxy (RFC 9110 section 9.3.6, RFC 9112
section 3.2.2): ``CONNECT host:port`` opens a tunnel (for https), and an
absolute-form request (``GET http://host:port/path``) is forwarded (for
http). Whatever host a client names, the proxy connects to **127.0.0.1** at the
port named, so tests can give registries, token services and CDNs names of
their own without anything leaving the machine. Forwarded requests carry
``Connection: close`` both ways: one request per connection, so every request
is seen and recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.loopback import LoopbackServer

__all__ = ["ForwardProxy", "Passed"]


@dataclass(frozen=True)
class Passed:
    """One request the proxy handled: ``CONNECT`` or the forwarded method."""

    method: str
    authority: str
    """``host:port`` as the client named it."""
    path: str = ""
    proxy_authorization: str | None = None


@dataclass
class ForwardProxy(LoopbackServer):
    passed: list[Passed] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._setup_loop()

    def start(self) -> ForwardProxy:
        self._listen()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def authorities(self) -> list[str]:
        return [p.authority for p in self.passed]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = [line for line in lines[1:] if line]
            proxy_auth = next(
                (
                    h.partition(":")[2].strip()
                    for h in headers
                    if h.lower().startswith("proxy-authorization:")
                ),
                None,
            )
            if method == "CONNECT":
                authority = target
                path = ""
            else:
                scheme, _, rest = target.partition("://")
                authority, _, path = rest.partition("/")
                path = "/" + path
                if scheme != "http":
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    return
            self.passed.append(Passed(method, authority, path, proxy_auth))
            port = int(authority.rpartition(":")[2]) if ":" in authority else 80
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", port)
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
            else:
                kept = [
                    h
                    for h in headers
                    if not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))
                ]
                request = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close"])
                upstream.write(request.encode("latin-1") + b"\r\n\r\n")
                await upstream.drain()
                # the answer's head, with Connection: close, then everything else as it comes
                answer = await up_reader.readuntil(b"\r\n\r\n")
                answer_lines = [
                    line
                    for line in answer.decode("latin-1").split("\r\n")
                    if line and not line.lower().startswith(("connection:", "keep-alive:"))
                ]
                writer.write(
                    "\r\n".join([*answer_lines, "Connection: close"]).encode("latin-1")
                    + b"\r\n\r\n"
                )
                await writer.drain()
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            if upstream is not None:
                upstream.close()
            writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()
