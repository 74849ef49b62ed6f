"""Parse ``WWW-Authenticate`` headers (RFC 7235 / RFC 9110 section 11.6.1).

One header may carry several challenges (``Bearer realm="...",service="x",
Basic realm="y"``) and a response may carry several headers; values may be
tokens or quoted strings with backslash escapes. Scheme names are
case-insensitive and returned lower-cased.

A challenge is also what the cache keeps per registry (:meth:`Challenge.saved`),
and what is read back from it is checked before use
(:meth:`Challenge.from_saved`): anything else is as if nothing were saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from planner.model.record import dataclass, field

__all__ = ["Challenge", "parse_challenges", "usable_realm"]

_TOKEN_CHARS = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


MAX_SAVED_VALUE = 2048
"""Longest realm or service kept in (and accepted from) the cache."""


def usable_realm(realm: str) -> bool:
    """An absolute http(s) URL with a host, printable, of a sane length."""
    if not realm or len(realm) > MAX_SAVED_VALUE or not realm.isprintable() or not realm.isascii():
        return False
    try:
        parts = urlsplit(realm)
        port = parts.port  # raises ValueError when out of range
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and (port is None or port > 0)
        and " " not in realm
    )


@dataclass(frozen=True)
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    def saved(self) -> dict[str, str] | None:
        """What the cache keeps: scheme, realm and service (None when not worth keeping)."""
        kept = {"scheme": self.scheme}
        for key in ("realm", "service"):
            if key in self.params:
                kept[key] = self.params[key]
        return kept if Challenge.from_saved(kept) is not None else None

    @staticmethod
    def from_saved(data: Any) -> Challenge | None:
        """A challenge read back from the cache, or None when it is not one we would save.

        Rules: an object with ``scheme`` ``bearer`` or ``basic``; ``realm`` and
        ``service``, when present, printable strings of at most 2048
        characters; a bearer challenge must name a realm that is an http(s) URL
        with a host. Other keys are ignored.
        """
        if not isinstance(data, dict) or data.get("scheme") not in ("bearer", "basic"):
            return None
        params: dict[str, str] = {}
        for key in ("realm", "service"):
            value = data.get(key)
            if value is None:
                continue
            if (
                not isinstance(value, str)
                or len(value) > MAX_SAVED_VALUE
                or not value.isprintable()
            ):
                return None
            params[key] = value
        if data["scheme"] == "bearer" and not usable_realm(params.get("realm", "")):
            return None
        return Challenge(str(data["scheme"]), params)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self, chars: str = " \t") -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def token(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _TOKEN_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def token68(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos] in _TOKEN_CHARS or self.text[self.pos] in "/="
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        assert self.peek() == '"'
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            self.pos += 1
            if c == "\\" and self.pos < len(self.text):
                out.append(self.text[self.pos])
                self.pos += 1
            elif c == '"':
                break
            else:
                out.append(c)
        return "".join(out)


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """All challenges in the given ``WWW-Authenticate`` header values, in order.

    Malformed parts are skipped rather than raised: a challenge we cannot read
    is one we cannot answer, and the caller reports the 401.
    """
    challenges: list[Challenge] = []
    for header in headers:
        s = _Scanner(header)
        current: Challenge | None = None
        while s.pos < len(s.text):
            s.skip(" \t,")
            start = s.pos
            name = s.token()
            if not name:
                s.pos += 1  # skip a character we cannot read
                continue
            s.skip()
            if s.peek() == "=" and current is not None:
                # auth-param of the current challenge
                s.pos += 1
                s.skip()
                value = s.quoted() if s.peek() == '"' else s.token()
                current.params[name.lower()] = value
                continue
            if s.peek() == "=" and current is None:
                s.pos = start
                s.token68()
                continue
            # a new challenge: scheme, then token68 or params
            current = Challenge(name.lower())
            challenges.append(current)
            after_scheme = s.pos
            maybe = s.token68()
            s.skip()
            if maybe and (s.peek() in (",", "") and "=" not in maybe.rstrip("=")):
                current.params["token68"] = maybe
            else:
                s.pos = after_scheme
    return challenges
