"""Registry answers as one-line errors that say what happened and what to do.

Everything a registry says is data: the ``message`` fields of its error body,
the realm of a challenge, the value of a header. Such text reaches a message
only through :func:`printable`, which escapes what is not printable (control
characters, newlines, bidirectional overrides) and cuts it to a fixed length,
so that every message of this package is one safe line however hostile the
server.
"""

from __future__ import annotations

import http
import json
from typing import Any

from planner.model.errors import Denied, NotFound, RateLimited, RegistryError, Unauthorized
from planner.model.reference import Reference
from planner.model.text import plural

__all__ = ["MAX_TEXT", "json_or_none", "printable", "quoted", "registry_error", "status_text"]

MAX_TEXT = 200
"""Characters of one piece of registry-provided text kept in a message (escapes count)."""
MAX_MESSAGES = 3
"""Error-body messages quoted in one error (registries send one; a hostile one sends many)."""


def json_or_none(data: bytes | str) -> Any:
    """What JSON text a server (or a file it influenced) sent says; None when it is not JSON.

    Hostile JSON is not JSON here: nesting deep enough to exhaust the
    interpreter's recursion (``RecursionError``), an integer longer than
    Python's digit limit or bytes that are not UTF-8 (``ValueError``).
    """
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` escaped to printable characters and cut to ``limit`` characters (then ``…``).

    Escapes as Python's ``repr`` does (``\\n``, ``\\x1b``, ``\\u202e``), for every
    character ``str.isprintable`` refuses: C0 and C1 controls, line and
    paragraph separators, format characters such as bidirectional overrides.
    Printable non-ASCII text (``é``, ``中文``) is kept as it is.
    """
    out: list[str] = []
    length = 0
    for char in text:
        piece = char if char.isprintable() else repr(char)[1:-1]
        if length + len(piece) > limit:
            out.append("…")
            break
        out.append(piece)
        length += len(piece)
    return "".join(out)


def quoted(text: str, limit: int = MAX_TEXT) -> str:
    """:func:`printable` text in single quotes, as ``!r`` would show it."""
    return f"'{printable(text, limit)}'"


def status_text(status: int) -> str:
    """``503 Service Unavailable``; just the number for a status HTTP does not name."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def registry_error(
    status: int,
    codes: tuple[str, ...],
    messages: list[str],
    ref: Reference,
    what: str,
    *,
    attempts: int = 1,
    sent: str | None = None,
) -> RegistryError:
    """A one-line error that says what happened and what to do.

    ``messages`` are the registry's own words (its error body): at most
    :data:`MAX_MESSAGES` of them are quoted, each through :func:`printable`.
    ``attempts`` above one is said at the end (the status came back every time).
    ``sent``: where the credentials the request carried came from (a ``401`` then
    means they were rejected, not missing); never the secret.
    """
    registry = ref.registry
    generic = {code.replace("_", " ").lower() for code in codes}
    useful = [
        printable(m) for m in messages if m.strip().lower() not in generic
    ]  # not "manifest unknown" again
    detail = f" ({'; '.join(useful[:MAX_MESSAGES])})" if useful else ""
    tried = f" (after {plural(attempts, 'attempt')})" if attempts > 1 else ""
    login = f"log in with docker login {registry}"
    if (status == 401 or "UNAUTHORIZED" in codes) and sent is not None:
        return Unauthorized(
            f"unauthorized: {registry} rejected the credentials from {printable(sent)} for"
            f" {ref.repository}{detail}; check them, or log in again with docker login {registry}",
            status,
            codes,
            login=registry,
            rejected=sent,
        )
    if status == 401 or "UNAUTHORIZED" in codes:
        return Unauthorized(
            f"unauthorized: {registry} requires authentication for {ref.repository}{detail}"
            f" (some registries also answer this for repositories that do not exist); {login}",
            status,
            codes,
            login=registry,
        )
    if status == 403 or "DENIED" in codes:
        return Denied(
            f"denied: {registry} refused access to {ref.repository}{detail}; {login}",
            status,
            codes,
            login=registry,
        )
    if "NAME_UNKNOWN" in codes:
        return NotFound(
            f"repository {ref.repository} not found on {registry}{detail}", status, codes
        )
    if "MANIFEST_UNKNOWN" in codes or (status == 404 and what.startswith("manifest ")):
        return NotFound(
            f"manifest unknown: {what.removeprefix('manifest ')} not found on {registry}{detail};"
            " check the repository, tag or digest",
            status,
            codes,
        )
    if "BLOB_UNKNOWN" in codes or status == 404:
        return NotFound(f"{what} not found on {registry}{detail}", status, codes)
    if status == 429 or "TOOMANYREQUESTS" in codes:
        return RateLimited(
            f"too many requests: {registry} is rate-limiting{detail}{tried}; try again later;"
            f" for a higher limit, {login}",
            status,
            codes,
            login=registry,
        )
    answered = status_text(status) if status else "no answer"
    return RegistryError(f"{registry} answered {answered} for {what}{detail}{tried}", status, codes)
