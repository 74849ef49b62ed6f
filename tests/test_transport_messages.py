"""Every transport failure is one PlannerError with one safe line, never a traceback.

* redirect loops, bad gzip, odd Retry-After values, hosts or ports no URL can
  hold: each becomes a RegistryError or InvalidInput naming what went wrong;
* what a registry says (error messages, realms, headers) is data: control
  characters and newlines are escaped and long text is cut, so a message stays
  one line however hostile the server;
* counts are worded for their number ("after 1 attempt").
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from planner import (
    InvalidReference,
    PlannerError,
    RegistryError,
    RegistryOptions,
    Unauthorized,
    resolve,
)
from planner.model.manifest import OCI_INDEX
from planner.transport.errors import printable
from tests.hostile_server import (
    HostileServer,
    Writer,
    answer,
    challenge,
    manifest,
    redirect,
    sequence,
)
from tests.registry import free_port
from tests.test_registry_faults import INDEX

MANIFEST = "/v2/app/manifests/1"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def options(**kw: object) -> RegistryOptions:
    kw.setdefault("use_cache", False)
    kw.setdefault("retries", 0)
    return RegistryOptions(**kw)  # type: ignore[arg-type]


def one_safe_line(error: BaseException) -> str:
    text = str(error)
    assert isinstance(error, PlannerError), repr(error)
    assert text.isprintable(), repr(text)
    assert len(text) < 700, len(text)
    return text


# --------------------------------------------------------------------------- tracebacks


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_loop(server: HostileServer, status: int) -> None:
    server.route(MANIFEST, redirect(MANIFEST, status))
    with pytest.raises(RegistryError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    assert one_safe_line(info.value) == (
        f"manifest {server.host}/app:1: more than 10 redirects (last from {server.host})"
    )
    assert len(server.requests) == 11


def test_redirect_between_two_origins_loops(server: HostileServer) -> None:
    with HostileServer() as other:
        server.route(MANIFEST, redirect(f"{other.url}/bounce"))
        other.route("/bounce", redirect(f"{server.url}{MANIFEST}"))
        with pytest.raises(RegistryError, match="more than 10 redirects"):
            resolve(f"{server.host}/app:1", "linux/amd64", registry=options())


@pytest.mark.parametrize(
    "location", ["ftp://127.0.0.1/x", "http://[zz]/x", "http://127.0.0.1:99999/x"]
)
def test_redirect_to_nowhere(server: HostileServer, location: str) -> None:
    server.route(MANIFEST, redirect(location))
    with pytest.raises(
        RegistryError, match=r"redirected manifest .* to an unusable location"
    ) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    one_safe_line(info.value)


def test_bad_gzip_body(server: HostileServer) -> None:
    server.route(
        MANIFEST,
        answer(200, b"\x1f\x8b\x08\x00 this is not deflate", [("Content-Encoding", "gzip")]),
    )
    with pytest.raises(RegistryError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    assert one_safe_line(info.value) == (
        f"manifest {server.host}/app:1: {server.host} sent a body that is not valid gzip data"
    )


def test_truncated_gzip_body(server: HostileServer) -> None:
    import gzip

    server.route(MANIFEST, answer(200, gzip.compress(INDEX)[:-12], [("Content-Encoding", "gzip")]))
    with pytest.raises(RegistryError, match="not valid gzip data"):
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())


def test_unknown_content_encoding(server: HostileServer) -> None:
    server.route(MANIFEST, answer(200, INDEX, [("Content-Encoding", "br\x1b[31m")]))
    with pytest.raises(RegistryError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    assert "Content-Encoding 'br\\x1b[31m'" in one_safe_line(info.value)


@pytest.mark.parametrize(
    "value",
    [
        b"\xc2\xb2",
        "٣".encode(),
        b"soon",
        b"-5",
        b"1e9",
        b"9" * 400,
        b"Mon, 99 Foo 2024 25:61:61 GMT",
        b"\xff\xfe",
    ],
    ids=[
        "superscript-two",
        "arabic-indic-three",
        "word",
        "negative",
        "float",
        "huge",
        "bad-date",
        "latin1",
    ],
)
def test_odd_retry_after_is_ignored(server: HostileServer, value: bytes) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    server.route(
        MANIFEST, sequence(answer(503, b"", [("Retry-After", value)]), manifest(INDEX, OCI_INDEX))
    )
    result = resolve(
        f"{server.host}/app:1", "linux/amd64", registry=options(retries=1, sleep=sleep)
    )
    assert result.selected is not None
    assert len(sleeps) == 1 and sleeps[0] <= 0.5  # the ordinary backoff, not the header


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("localhost:65536/app:1", "port 65536 is not between 1 and 65535"),
        ("localhost:0/app:1", "port 0 is not between 1 and 65535"),
        ("[zz::1]:5000/app:1", "invalid registry host"),  # refused by the grammar already
        ("[:::::]:5000/app:1", "registry '[:::::]:5000' does not name a valid host"),
        ("xn--a:5000/app:1", "registry 'xn--a:5000' does not name a valid host"),
    ],
)
def test_reference_no_url_can_hold(reference: str, problem: str) -> None:
    with pytest.raises(InvalidReference) as info:
        resolve(reference, "linux/amd64", registry=options())
    assert problem in one_safe_line(info.value)


def test_unreachable_keeps_the_port() -> None:
    port = free_port()
    with pytest.raises(RegistryError) as info:
        resolve(f"127.0.0.1:{port}/app:1", "linux/amd64", registry=options())
    assert one_safe_line(info.value).startswith(f"cannot reach 127.0.0.1:{port}: ConnectError")
    assert one_safe_line(info.value).endswith("nothing listens on that port; not retried)")


def test_attempts_are_counted_in_plural(server: HostileServer) -> None:
    server.route(MANIFEST, answer(503))
    with pytest.raises(RegistryError) as info:

        async def no_sleep(seconds: float) -> None:
            pass

        resolve(f"{server.host}/app:1", "linux/amd64", registry=options(retries=2, sleep=no_sleep))
    assert one_safe_line(info.value).endswith("(after 3 attempts)")


# --------------------------------------------------------------------------- registry text is data

HOSTILE = "line one\nline two\r\x1b[2J\u202eevil\x00" + "x" * 5000


def test_error_messages_from_the_registry_are_escaped_and_cut(server: HostileServer) -> None:
    body = json.dumps(
        {"errors": [{"code": "DENIED", "message": HOSTILE}, {"code": "X", "message": HOSTILE}]}
    ).encode()
    server.route(MANIFEST, answer(403, body, [("Content-Type", "application/json")]))
    with pytest.raises(PlannerError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    text = one_safe_line(info.value)
    assert "line one\\nline two\\r\\x1b[2J\\u202eevil\\x00xxx" in text
    assert "…" in text


def test_realm_text_is_escaped_and_cut(server: HostileServer) -> None:
    """HTTP/1.1 header values cannot hold controls or newlines, but UTF-8 can bring
    line separators and bidirectional overrides."""
    realm = "line one\u2028line two\u202eevil" + "x" * 5000
    server.route(MANIFEST, challenge(f'Bearer realm="{realm}"'.encode()))
    with pytest.raises(Unauthorized) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    text = one_safe_line(info.value)
    assert text.startswith(
        f"{server.host} asked for a token from an invalid realm 'line one\\u2028line two\\u202eevil"
    )
    assert text.endswith("…'")


def test_invalid_digest_header_is_escaped(server: HostileServer) -> None:
    server.route(
        MANIFEST,
        answer(
            200,
            INDEX,
            [("Content-Type", OCI_INDEX), ("Docker-Content-Digest", "sha256:\x1b[31m" + "f" * 300)],
        ),
    )
    with pytest.raises(RegistryError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    text = one_safe_line(info.value)
    assert "sent an invalid Docker-Content-Digest 'sha256:\\x1b[31mfff" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),
        ("\u202e\u2028\ufeff", "\\u202e\\u2028\\ufeff"),
        ("\U000e0041", "\\U000e0041"),
        ("é ü 中文", "é ü 中文"),
        ("x" * 300, "x" * 200 + "…"),
        ("\n" * 300, "\\n" * 100 + "…"),
    ],
)
def test_printable(text: str, expected: str) -> None:
    assert printable(text) == expected


def test_a_body_cut_short_is_retried(server: HostileServer) -> None:
    async def cut(request: object, writer: Writer) -> None:
        await writer.head(200, [("Content-Type", OCI_INDEX), ("Content-Length", str(len(INDEX)))])
        await writer.send(INDEX[:10])

    server.route(MANIFEST, cut)
    with pytest.raises(RegistryError) as info:
        resolve(f"{server.host}/app:1", "linux/amd64", registry=options())
    assert one_safe_line(info.value).startswith(
        f"the connection to {server.host} broke while reading manifest {server.host}/app:1:"
        " RemoteProtocolError"
    )
    server.route(MANIFEST, sequence(cut, manifest(INDEX, OCI_INDEX)))
    lines: list[str] = []
    registry = options(retries=1, backoff=0.01, notify=lines.append)
    assert resolve(f"{server.host}/app:1", "linux/amd64", registry=registry).selected is not None
    assert lines and lines[0].startswith(f"the connection to {server.host} broke while reading")
