"""Reading a response body as a stream, with a cap on its decompressed size.

httpx decodes ``Content-Encoding`` without a bound on what one network chunk
inflates to (a 64 KiB chunk of a gzip bomb is 64 MiB), and ``aread()`` keeps
all of it. Here the raw bytes are read chunk by chunk and inflated with
``zlib``'s ``max_length``, so that no more than ``limit + 1`` decoded bytes
ever exist, and the read stops as soon as the cap is passed:

* ``identity``, ``gzip`` (``x-gzip``; several members, as Go's reader) and
  ``deflate`` (zlib-wrapped or raw, as browsers accept) are decoded; the client
  asks for nothing else (``Accept-Encoding: gzip, deflate``), and anything
  else, or more than one encoding stacked, is an error;
* a declared ``Content-Length`` over the cap is refused before reading (for
  unencoded bodies, where it is the decoded size);
* a body that does not decode, or ends in the middle of a gzip stream, is an
  error naming the host that sent it.

Caps (the callers'): token responses 1 MiB, error bodies 64 KiB, manifests
4 MiB, configs 16 MiB.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncGenerator, Callable
from typing import cast

import httpx

from planner.model.errors import InvalidManifest, RegistryError
from planner.transport.errors import quoted

__all__ = ["ACCEPT_ENCODING", "declared_length", "read_body"]

ACCEPT_ENCODING = "gzip, deflate"
_GZIP = 16 + zlib.MAX_WBITS


class _Inflater:
    """gzip or deflate, inflating at most ``room`` bytes per call."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._gzip = encoding in ("gzip", "x-gzip")
        self._inflate = zlib.decompressobj(_GZIP if self._gzip else zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflate ``data``; stops at ``room`` bytes (then the body is over its cap anyway)."""
        out = bytearray()
        while data and len(out) < room:
            try:
                out += self._inflate.decompress(data, room - len(out))
            except zlib.error:
                if not (self._first and not self._gzip):
                    raise
                # "deflate" is sometimes sent raw, without the zlib wrapper (RFC 9110 8.4.1.2)
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                out += self._inflate.decompress(data, room - len(out))
            self._first = False
            if self._inflate.unconsumed_tail:
                data = self._inflate.unconsumed_tail
            elif self._inflate.eof and self._inflate.unused_data:
                if not self._gzip:
                    raise zlib.error("data after the end of the deflate stream")
                data = self._inflate.unused_data  # another gzip member
                self._inflate = zlib.decompressobj(_GZIP)
            else:
                data = b""
        return bytes(out)

    def finish(self) -> None:
        if not self._inflate.eof and not self._first:
            raise zlib.error("the stream ends before its end marker")


def _decoder(response: httpx.Response, what: str) -> _Inflater | None:
    header = response.headers.get("content-encoding", "")
    encodings = [
        e.strip().lower() for e in header.split(",") if e.strip().lower() not in ("", "identity")
    ]
    if not encodings:
        return None
    if len(encodings) > 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise RegistryError(
            f"{what}: {response.url.netloc.decode('ascii')} sent Content-Encoding"
            f" {quoted(header)}, which is not decoded (only gzip or deflate are asked for)"
        )
    return _Inflater(encodings[0])


def declared_length(headers: httpx.Headers) -> int | None:
    """``Content-Length`` when it is a plain ASCII number (``"²".isdigit()`` is true)."""
    value = headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


async def read_body(
    response: httpx.Response, limit: int, what: str, received: Callable[[int], None]
) -> bytes:
    """The decoded body of ``response``, at most ``limit`` bytes; the response is closed after.

    ``received`` is told the raw (network) bytes of each chunk. Over the cap:
    :class:`InvalidManifest` ``"{what}: more than the {limit}-byte limit"``; an
    undecodable body: :class:`RegistryError`. Transport errors (a connection
    broken mid-body) are left to the caller, which may retry.
    """
    host = response.url.netloc.decode("ascii")
    try:
        decoder = _decoder(response, what)
        declared = declared_length(response.headers)
        if decoder is None and declared is not None and declared > limit:
            raise InvalidManifest(f"{what}: {declared} bytes, more than the {limit}-byte limit")
        if response.is_stream_consumed:  # given whole (a test's mock transport): decoded already
            data = response.content
            received(len(data))
            if len(data) > limit:
                raise InvalidManifest(f"{what}: more than the {limit}-byte limit")
            return data
        body = bytearray()
        # closed here, not by the garbage collector once the loop may be gone
        chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
        try:
            async for chunk in chunks:
                received(len(chunk))
                body += decoder.feed(chunk, limit + 1 - len(body)) if decoder else chunk
                if len(body) > limit:
                    raise InvalidManifest(f"{what}: more than the {limit}-byte limit")
            if decoder is not None:
                decoder.finish()
        except zlib.error:
            encoding = decoder.encoding if decoder else "compressed"
            raise RegistryError(
                f"{what}: {host} sent a body that is not valid {encoding} data"
            ) from None
        finally:
            await chunks.aclose()
        return bytes(body)
    finally:
        await response.aclose()
