"""Bounded time and memory, against tests/hostile_server.py.

* ``timeout`` bounds each whole request (connect, headers, body): a server that
  dribbles headers or body a byte at a time fails at the timeout;
* ``deadline`` bounds all the registry work of a run, retries included;
* ``notify`` hears, in one line without secrets, what is retried and when;
* every body is read as a stream with a cap on its decompressed bytes
  (token responses 1 MiB, error bodies 64 KiB, manifests 4 MiB, configs 16 MiB),
  so huge bodies and gzip bombs cost no more memory than the cap.

Time is asserted only as "fails within 3x the bound"; memory with tracemalloc
(every bytes object the client makes is a Python allocation).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import re
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from planner import InvalidManifest, RegistryError, RegistryOptions, Unauthorized, resolve
from planner.model.manifest import OCI_INDEX
from planner.model.reference import Reference
from planner.sources import open_source
from planner.transport.client import RegistryClient
from planner.transport.credentials import Credential, CredentialStore
from tests.hostile_server import (
    HostileServer,
    answer,
    challenge,
    dribble_body,
    dribble_head,
    endless,
    gzip_bomb,
    manifest,
    sequence,
)
from tests.test_registry_faults import CHILD, INDEX, digest

MANIFEST = "/v2/app/manifests/1"
MiB = 1 << 20


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def options(**kw: Any) -> RegistryOptions:
    kw.setdefault("use_cache", False)
    kw.setdefault("retries", 0)
    return RegistryOptions(**kw)


def timed(call: Callable[[], object]) -> tuple[BaseException | None, float]:
    start = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


def peak_allocated(call: Callable[[], object]) -> tuple[BaseException | None, int]:
    """Run ``call`` under tracemalloc: (what it raised, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        try:
            call()
            raised = None
        except Exception as exc:
            raised = exc
        return raised, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dribbling_server_fails_at_the_timeout(server: HostileServer, where: str) -> None:
    if where == "headers":
        slow = dribble_head(
            200, INDEX, 0.05, [("Content-Type", OCI_INDEX), ("X-Padding", "p" * 60)]
        )
    else:
        slow = dribble_body(INDEX, 0.05, [("Content-Type", OCI_INDEX)])
    server.route(MANIFEST, slow)  # each byte well within any read timeout; the whole takes > 3 s
    error, elapsed = timed(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=options(timeout=0.5))
    )
    assert isinstance(error, RegistryError), error
    assert (
        f"{server.host} did not finish answering manifest {server.host}/app:1 within 0.5 s"
        in str(error)
    )
    assert "(after 1 attempt)" in str(error)
    assert elapsed < 1.5


def test_the_deadline_bounds_retries(server: HostileServer) -> None:
    server.route(MANIFEST, dribble_body(INDEX, 0.05))
    registry = options(timeout=0.4, retries=10, backoff=0.05, deadline=1.0)
    error, elapsed = timed(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=registry)
    )
    assert isinstance(error, RegistryError), error
    assert "deadline of 1 s for registry work" in str(error)
    assert elapsed < 3.0
    assert 2 <= len(server.requests) < 11  # the deadline stopped it, not the retries


def test_the_deadline_cuts_a_request_under_way(server: HostileServer) -> None:
    """The deadline runs over the session: the index is quick, the manifest is cut."""
    server.route(MANIFEST, manifest(INDEX, OCI_INDEX))
    server.route(f"/v2/app/manifests/{digest(CHILD)}", dribble_body(CHILD, 0.05))
    with open_source(f"{server.host}/app:1", options(timeout=5, deadline=0.6)) as source:
        index, _ = source.read_top()
        error, elapsed = timed(lambda: source.read_documents(list(index.manifests)))  # type: ignore[union-attr]
    assert isinstance(error, RegistryError), error
    assert str(error) == (
        f"gave up on manifest {server.host}/app@{digest(CHILD)} from {server.host}:"
        " the deadline of 0.6 s for registry work has passed"
    )
    assert elapsed < 1.8


def test_notify_says_what_is_retried_and_when_without_secrets(server: HostileServer) -> None:
    password = "s3cret-pass"
    basic = "Basic " + base64.b64encode(f"u:{password}".encode()).decode()
    lines: list[str] = []

    async def guarded(request: Any, writer: Any) -> None:
        if request.authorization != basic:
            await challenge('Basic realm="r"')(request, writer)
        else:
            await flaky(request, writer)

    flaky = sequence(answer(503, b"busy"), answer(503, b"busy"), manifest(INDEX, OCI_INDEX))
    server.route(MANIFEST, guarded)
    registry = options(
        retries=4,
        backoff=0.01,
        notify=lines.append,
        credentials=CredentialStore(Credential("u", password), registry=server.host),
    )
    assert resolve(f"{server.host}/app:1", "linux/amd64", registry=registry).selected is not None
    assert len(lines) == 1, lines  # once, at the first failure
    assert re.fullmatch(
        rf"{server.host} answered 503 Service Unavailable for manifest {server.host}/app:1;"
        r" retrying in \d+\.\d s \(attempt 2 of 5\)",
        lines[0],
    ), lines
    assert password not in lines[0] and basic not in lines[0] and "\n" not in lines[0]


def test_no_notify_without_failure(server: HostileServer) -> None:
    lines: list[str] = []
    server.route(MANIFEST, manifest(INDEX, OCI_INDEX))
    resolve(f"{server.host}/app:1", "linux/amd64", registry=options(notify=lines.append))
    assert lines == []


# --------------------------------------------------------------------------- memory


def token_challenger(server: HostileServer) -> None:
    server.route(MANIFEST, challenge(f'Bearer realm="{server.url}/token",service="s"'))


@pytest.mark.parametrize("declare_length", [False, True])
def test_a_huge_token_response_is_not_read_past_its_cap(
    server: HostileServer, declare_length: bool
) -> None:
    token_challenger(server)
    server.route("/token", endless(256 * MiB, prefix=b'{"token": "', declare_length=declare_length))
    error, peak = peak_allocated(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=options(timeout=10))
    )
    assert isinstance(error, Unauthorized), error
    assert f"the token service of {server.host} sent more than 1048576 bytes" in str(error)
    assert peak < 24 * MiB, peak


def test_a_gzip_bomb_token_response_is_not_inflated_past_its_cap(server: HostileServer) -> None:
    token_challenger(server)
    bomb = gzip_bomb(64 * MiB)
    server.route(
        "/token",
        answer(200, bomb, [("Content-Encoding", "gzip"), ("Content-Type", "application/json")]),
    )
    error, peak = peak_allocated(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=options(timeout=10))
    )
    assert isinstance(error, Unauthorized), error
    assert "sent more than 1048576 bytes" in str(error)
    assert peak < 24 * MiB, peak


def test_a_gzip_bomb_manifest_is_capped_decompressed(server: HostileServer) -> None:
    bomb = gzip_bomb(64 * MiB)
    server.route(
        MANIFEST, answer(200, bomb, [("Content-Encoding", "gzip"), ("Content-Type", OCI_INDEX)])
    )
    error, peak = peak_allocated(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=options(timeout=10))
    )
    assert isinstance(error, InvalidManifest), error
    assert f"manifest {server.host}/app:1: more than the {4 * MiB}-byte limit" in str(error)
    assert peak < 4 * MiB + 24 * MiB, peak


def test_a_gzip_bomb_config_is_capped_decompressed(server: HostileServer) -> None:
    config = "sha256:" + "c" * 64
    server.route(
        f"/v2/app/blobs/{config}",
        answer(200, gzip_bomb(64 * MiB), [("Content-Encoding", "gzip")]),
    )

    async def fetch() -> bytes:
        client = RegistryClient(options(timeout=10))
        try:  # no size from a descriptor: only the stream's cap stops it
            return await client.blob(
                Reference.parse(f"{server.host}/app:1"), config, None, 16 * MiB
            )
        finally:
            await client.aclose()

    error, peak = peak_allocated(lambda: asyncio.run(fetch()))
    assert isinstance(error, InvalidManifest), error
    assert f"more than the {16 * MiB}-byte limit" in str(error)
    assert peak < 16 * MiB + 24 * MiB, peak


def test_a_huge_error_body_is_not_read_past_64_kib(server: HostileServer) -> None:
    server.route(MANIFEST, endless(256 * MiB, chunk=b"x" * 65536))
    server.routes[MANIFEST] = _status(500, server.routes[MANIFEST])
    error, peak = peak_allocated(
        lambda: resolve(f"{server.host}/app:1", "linux/amd64", registry=options(timeout=10))
    )
    assert isinstance(error, RegistryError) and "answered 500 Internal Server Error" in str(
        error
    ), error
    assert peak < 16 * MiB, peak


def _status(code: int, handler: Any) -> Any:
    """``handler`` with its 200 status line replaced by ``code``."""

    async def handle(request: Any, writer: Any) -> None:
        original = writer.head

        async def head(status: int, headers: Any = ()) -> None:
            await original(code, headers)

        writer.head = head
        await handler(request, writer)

    return handle


def test_a_gzipped_token_response_is_decoded(server: HostileServer) -> None:
    """A normal gzip-encoded token response still works (Content-Encoding is honoured)."""

    async def guarded(request: Any, writer: Any) -> None:
        if request.authorization == "Bearer t0k3n":
            await manifest(INDEX, OCI_INDEX)(request, writer)
        else:
            await challenge(f'Bearer realm="{server.url}/token",service="s"')(request, writer)

    server.route(MANIFEST, guarded)
    server.route(
        "/token", answer(200, gzip.compress(b'{"token": "t0k3n"}'), [("Content-Encoding", "gzip")])
    )
    assert resolve(f"{server.host}/app:1", "linux/amd64", registry=options()).selected is not None


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", _raw_deflate)],
    ids=["gzip", "deflate-raw"],
)
def test_encoded_manifests_are_decoded(
    server: HostileServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    headers = [("Content-Type", OCI_INDEX), ("Docker-Content-Digest", digest(INDEX))]
    server.route(MANIFEST, answer(200, encode(INDEX), [*headers, ("Content-Encoding", encoding)]))
    result = resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    assert result.selected is not None
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"  # nothing else
