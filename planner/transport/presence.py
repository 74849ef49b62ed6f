"""Whether a manifest or blob is there, and its length, without downloading it (verify).

One ``HEAD``; a registry that refuses it (405) or answers without a length is asked
with a ranged ``GET`` of zero bytes (``Range: bytes=0-0``, which the Distribution
spec allows for blobs) whose ``206`` names the total in ``Content-Range``; its body
is never read. A ``404`` is ``missing``; anything else that tells no length is
``unknown`` (a warning for the caller, not a failure).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from planner.transport.body import declared_length
from planner.transport.errors import status_text
from planner.transport.options import Presence
from planner.transport.sender import Reply

__all__ = ["RANGE_HEADERS", "content_range_total", "presence"]

RANGE_HEADERS = {"Range": "bytes=0-0"}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:\d+-\d+|\*)/(\d{1,19})")

Ask = Callable[[str, dict[str, str] | None], Awaitable[Reply]]
"""Sends one request (method, extra headers) to the object's URL; the body is not read."""


def content_range_total(headers: httpx.Headers) -> int | None:
    """The complete length a ``Content-Range: bytes 0-0/TOTAL`` names (None: none, or ``*``)."""
    found = _CONTENT_RANGE.fullmatch(headers.get("content-range", "").strip())
    return int(found.group(1)) if found else None


async def presence(ask: Ask, headers: dict[str, str] | None, ranged: bool) -> Presence:
    """Ask by ``HEAD``; ``ranged``: fall back to a ranged ``GET`` when the ``HEAD`` tells no length."""
    reply = await ask("HEAD", headers)
    if reply.status == 404:
        return Presence("missing", None, "HEAD: 404")
    if reply.status < 300:
        length = declared_length(reply.headers)
        if length is not None:
            return Presence("present", length, "HEAD")
        why = f"HEAD: {reply.status} without a length"
    else:
        why = f"HEAD: {status_text(reply.status)}"
        if reply.status != 405:
            return Presence("unknown", None, why)
    if not ranged:
        return Presence("unknown", None, why)
    reply = await ask("GET", {**(headers or {}), **RANGE_HEADERS})
    if reply.status == 404:
        return Presence("missing", None, "ranged GET: 404")
    if reply.status == 206:
        total = content_range_total(reply.headers)
        if total is not None:
            return Presence("present", total, "ranged GET")
        return Presence("unknown", None, f"{why}; ranged GET: 206 without a total")
    return Presence("unknown", None, f"{why}; ranged GET: {status_text(reply.status)}")
