"""Every transport failure is one PlannerError with one safe line.

What a registry says (error messages, realms, headers) is data: control
characters and newlines are escaped and long text is cut, so a message stays
one line however hostile the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from planner import PlannerError, RegistryOptions, resolve
from planner.transport.errors import printable
from tests.hostile_server import HostileServer, answer

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
