"""The capped body reader (planner/transport/body.py) on its own: decoding, caps, bad data."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Iterable

import httpx
import pytest

from planner import InvalidManifest, RegistryError
from planner.transport.body import read_body

DATA = b'{"schemaVersion": 2, "manifests": []}' * 50


class Chunks(httpx.AsyncByteStream):
    """A response body arriving in the given chunks, as from the network."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.sent += 1
            yield chunk


def read(body: bytes | list[bytes], limit: int = 1 << 20, **headers: str) -> tuple[bytes, int]:
    chunks = (
        body if isinstance(body, list) else [body[i : i + 100] for i in range(0, len(body), 100)]
    )
    response = httpx.Response(
        200,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        stream=Chunks(chunks),
        request=httpx.Request("GET", "http://registry.test/v2/x/manifests/1"),
    )
    counted: list[int] = []
    data = asyncio.run(read_body(response, limit, "manifest x", counted.append))
    assert response.is_closed
    return data, sum(counted)


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("", DATA),
        ("identity", DATA),
        ("gzip", gzip.compress(DATA)),
        ("GZIP", gzip.compress(DATA)),
        ("x-gzip", gzip.compress(DATA)),
        ("gzip", gzip.compress(DATA[:700]) + gzip.compress(DATA[700:])),
        ("deflate", zlib.compress(DATA)),
        ("deflate", raw_deflate(DATA)),
        ("identity, gzip", gzip.compress(DATA)),
    ],
    ids=[
        "none",
        "identity",
        "gzip",
        "GZIP",
        "x-gzip",
        "gzip-members",
        "deflate",
        "deflate-raw",
        "identity-then-gzip",
    ],
)
def test_decoded(encoding: str, encoded: bytes) -> None:
    data, counted = read(encoded, content_encoding=encoding)
    assert data == DATA
    assert counted == len(encoded)  # the network bytes


def test_cap_counts_decoded_bytes_and_stops_reading() -> None:
    bomb = gzip.compress(bytes(64 << 20))  # 64 KiB that inflate to 64 MiB
    chunks = [bomb[i : i + 4096] for i in range(0, len(bomb), 4096)]
    stream = Chunks(chunks)
    response = httpx.Response(
        200,
        headers={"content-encoding": "gzip"},
        stream=stream,
        request=httpx.Request("GET", "http://r.test/"),
    )
    with pytest.raises(InvalidManifest, match="manifest x: more than the 1048576-byte limit"):
        asyncio.run(read_body(response, 1 << 20, "manifest x", lambda n: None))
    assert stream.sent < len(chunks) / 8  # stopped soon after the cap


def test_declared_length_over_the_cap_is_refused_before_reading() -> None:
    with pytest.raises(
        InvalidManifest, match="manifest x: 5000 bytes, more than the 4000-byte limit"
    ):
        read(DATA[:100], limit=4000, content_length="5000")


def test_exactly_the_cap_is_fine() -> None:
    assert read(DATA, limit=len(DATA))[0] == DATA
    with pytest.raises(InvalidManifest):
        read(DATA, limit=len(DATA) - 1)


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", b"\x1f\x8b\x08\x00garbage", "not valid gzip data"),
        ("gzip", gzip.compress(DATA)[:-8], "not valid gzip data"),  # cut before its end
        ("gzip", gzip.compress(DATA) + b"trailing", "not valid gzip data"),
        ("deflate", b"\x00\x01garbage", "not valid deflate data"),
        ("br", DATA, "sent Content-Encoding 'br', which is not decoded"),
        ("gzip, gzip", gzip.compress(gzip.compress(DATA)), "sent Content-Encoding 'gzip, gzip'"),
    ],
    ids=["gzip-garbage", "gzip-truncated", "gzip-trailing", "deflate-garbage", "brotli", "stacked"],
)
def test_undecodable(encoding: str, body: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        read(body, content_encoding=encoding)
    assert str(info.value).startswith("manifest x: registry.test ")
