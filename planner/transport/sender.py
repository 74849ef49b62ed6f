"""One request to a registry, start to finish: auth, redirects, body, time bounds, retries.

:meth:`Sender.fetch` answers with a :class:`Reply` whose body is already read
(with the caller's cap) and whose connection is released. Its rules:

* **Redirects** (301, 302, 303, 307, 308) are followed here, not by httpx, up
  to :data:`MAX_REDIRECTS` (Go's ``http.Client`` limit). Requests to the
  registry's origin go through the auth flow (:mod:`~planner.transport.auth`);
  once a redirect leaves that origin, the request and every later hop go
  without it: no ``Authorization``, and a ``401`` there is an answer, not a
  question. A ``Location`` that is not an http(s) URL with a host is an error.
* **Time.** Each attempt, everything included (connecting, headers, body,
  token requests, redirects), must finish within ``timeout``; a server that
  sends a byte at a time fails there. The optional ``deadline`` bounds all the
  work of the client from its first request: an attempt is cut at it, and a
  retry that would start after it is not made.
* **Retries.** What can heal is retried ``retries`` times with exponential
  backoff and jitter, or after ``Retry-After`` (delta-seconds or an HTTP date,
  ASCII only; any other value is ignored; more than ``max_retry_after`` fails at
  once): ``429``, ``502``, ``503``, ``504``, timed-out attempts, connections
  that break or reset. What cannot heal fails at once (:func:`_hopeless`): a name
  that does not resolve, a refused connection to a loopback address (nothing
  listens on that port), a proxy that refuses the tunnel; so does an interrupt
  (Ctrl-C cancels the run: no retry, no message). ``notify`` hears the first
  failure of each request that is retried, in one line.
* **Proxies.** Requests go through :class:`~planner.transport.proxy.Router`,
  which honours ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import socket
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import httpx

from planner.model import __version__
from planner.model.errors import InvalidManifest, PlannerError, RateLimited, RegistryError
from planner.model.record import dataclass, replace
from planner.model.reference import is_loopback
from planner.model.text import plural
from planner.transport.auth import MAX_TOKEN_RESPONSE, Answer, RegistryAuth, origin_of
from planner.transport.body import ACCEPT_ENCODING, read_body
from planner.transport.errors import printable, quoted, status_text
from planner.transport.options import RegistryOptions
from planner.transport.proxy import ProxySettings, Router, describe
from planner.transport.stats import KIND_EXTENSION, Stats, request_kind

__all__ = [
    "MAX_ERROR_BODY",
    "MAX_REDIRECTS",
    "REDIRECTS",
    "Reply",
    "Sender",
    "redirect_target",
    "retry_after",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_ERROR_BODY = 64 << 10
MAX_REDIRECTS = 10
KEEP_ALIVE = 40
"""Idle connections kept open (httpx keeps 20): more than the 32 presence checks a session
runs at once (verify), so that each reuses a connection instead of opening one."""
BAD_LOCATION = "pull_planner.bad_location"
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    """A finished response: status, headers, the body read (``b""`` when not asked for)."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL
    """The URL that answered (after redirects)."""
    redirects: int
    left_origin: bool
    """A redirect led to another origin (so the answer came without credentials)."""
    attempts: int = 1


class _Failure(RegistryError):
    """An attempt that may be retried; ``str`` is one line saying what happened.

    Caught by :meth:`Sender.fetch`, which retries or raises a RegistryError of its own;
    ``final``: retrying cannot help (:func:`_hopeless`).
    """

    final = False


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or during, innermost last (at most 16)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 16 and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def _hopeless(exc: httpx.TransportError, host: str) -> str:
    """Why no retry heals this failure ('' when one may): the name does not resolve
    (``EAI_NONAME``; a temporary ``EAI_AGAIN`` is retried), nothing listens on a loopback
    port (refused), or a proxy refused the tunnel (``ProxyError``: CONNECT answered with
    an error status)."""
    if isinstance(exc, httpx.ProxyError):
        return "the proxy refused the connection"
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_NAME:
            return "the name does not resolve"
        if isinstance(cause, ConnectionRefusedError) and is_loopback(host):
            return "connection refused: nothing listens on that port"
    return ""


def _interrupted(exc: BaseException) -> bool:
    """The run is being cancelled (Ctrl-C): the transport error is its echo, not a fault."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+
    if cancelling is not None and cancelling():
        return True
    return any(isinstance(c, (asyncio.CancelledError, KeyboardInterrupt)) for c in _causes(exc))


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` value asks for, or None when it is not one (RFC 9110 10.2.3)."""
    text = (value or "").strip()
    if not text or not text.isascii() or len(text) > 64:
        return None
    if text.isdigit():
        return float(min(int(text), 1 << 31))
    try:
        when = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return max(0.0, when - now)


def _exception_text(exc: Exception) -> str:
    """``ReadError: detail``, the detail escaped (it may quote what a server sent)."""
    detail = printable(str(exc))
    return f"{type(exc).__name__}{': ' + detail if detail else ''}"


def _transport_text(exc: httpx.TransportError, host: str, proxy: httpx.URL | None) -> str:
    via = f" through the proxy {describe(proxy)}" if proxy is not None else ""
    return f"cannot reach {host}{via}: {_exception_text(exc)}"


class Sender:
    """The HTTP side of a :class:`~planner.transport.client.RegistryClient`."""

    def __init__(self, options: RegistryOptions, stats: Stats, auth: RegistryAuth) -> None:
        self.options = options
        self.stats = stats
        self.auth = auth
        self._router = (
            Router(ProxySettings.from_env(os.environ)) if options.transport is None else None
        )
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(options.timeout, connect=options.connect_timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=KEEP_ALIVE),
            headers={
                "User-Agent": f"pull-planner/{__version__}",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            event_hooks={"response": [self._on_response]},
            transport=options.transport or self._router,
            trust_env=False,  # the proxy variables are read by the Router
        )
        self._deadline_at: float | None = None

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _on_response(self, response: httpx.Response) -> None:
        """Count and log every response; set aside a ``Location`` that is no URL.

        httpx parses ``Location`` even when it does not follow redirects, and
        fails on one it cannot parse or one with a scheme but no host
        (``javascript:…``, ``data:…``: it would put the request's host in);
        moved to an extension, it is reported by :func:`redirect_target` as the
        registry's mistake.
        """
        location = response.headers.get("location")
        if location is not None and response.status_code in REDIRECTS:
            try:
                url = httpx.URL(location)
                if url.scheme and not url.host:  # also decodes IDNA
                    raise ValueError("a scheme without a host")
            except (httpx.InvalidURL, ValueError):
                del response.headers["location"]
                response.extensions[BAD_LOCATION] = location
        request = response.request
        kind = request.extensions.get(KIND_EXTENSION) or request_kind(
            request.method, request.url.path
        )
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        host = f"[{url.host}]" if ":" in url.host else url.host
        self.stats.count_request(kind, response.status_code, f"{host}:{port}")
        limit = response.headers.get("ratelimit-limit")
        if limit is not None:  # Docker Hub's pull limit, sent with manifest answers
            self.stats.note_rate_limit(
                f"{host}:{port}",
                limit[:100],
                (response.headers.get("ratelimit-remaining") or "")[:100],
            )
        if self.options.log is not None:
            url = request.url.copy_with(query=None, fragment=None)
            self.options.log(
                f"{request.method} {printable(str(url), 400)} -> {response.status_code}"
            )

    def _proxy(self, url: httpx.URL) -> httpx.URL | None:
        return self._router.route(url) if self._router is not None else None

    # ------------------------------------------------------------------ one request

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        registry: str,
        what: str,
        kind: str,
        headers: dict[str, str] | None = None,
        limit: int | None = None,
        follow: bool = True,
        credentials: bool = True,
    ) -> Reply:
        """``method url`` until it succeeds or retries run out; see the module's rules.

        ``limit`` caps the body (None: the body is not read, as for ``HEAD``);
        error bodies are read up to 64 KiB. ``credentials=False`` sends the
        request as a redirected one (no auth flow).
        """
        if self.options.deadline is not None and self._deadline_at is None:
            self._deadline_at = time.monotonic() + self.options.deadline
        host = httpx.URL(url).netloc.decode("ascii")
        attempt = 0
        while True:
            attempt_of = self._attempt(method, url, what, kind, headers, limit, follow, credentials)
            try:
                reply = await self._bounded(attempt_of, what, host)
            except _Failure as failure:
                if failure.final:
                    raise RegistryError(str(failure)) from None
                if attempt >= self.options.retries:
                    raise RegistryError(
                        f"{failure} (after {plural(attempt + 1, 'attempt')})"
                    ) from None
                await self._pause(attempt, None, str(failure), what, host)
                attempt += 1
                continue
            if reply.status in RETRY_STATUSES and attempt < self.options.retries:
                wait = retry_after(reply.headers.get("retry-after"), time.time())
                if wait is not None and wait > self.options.max_retry_after:
                    raise RateLimited(
                        f"too many requests: {registry} asks to wait {wait:.0f} s before"
                        f" retrying; try again later; for a higher limit, log in with docker login"
                        f" {registry}",
                        reply.status,
                        ("TOOMANYREQUESTS",),
                        login=registry,
                    )
                said = f"{host} answered {status_text(reply.status)} for {what}"
                await self._pause(attempt, wait, said, what, host)
                attempt += 1
                continue
            return replace(reply, attempts=attempt + 1)

    def time_left(self) -> float:
        """Seconds that work done now may take: the timeout, or less when the deadline is nearer."""
        if self._deadline_at is None:
            return self.options.timeout
        return max(0.0, min(self.options.timeout, self._deadline_at - time.monotonic()))

    async def _bounded(self, work: Coroutine[Any, Any, T], what: str, host: str) -> T:
        """``work`` within ``timeout``, and within the deadline when there is one."""
        limit = self.options.timeout
        cut_by_deadline = False
        if self._deadline_at is not None:
            left = self._deadline_at - time.monotonic()
            if left <= 0:
                work.close()
                raise self._past_deadline(what, host)
            if left < limit:
                limit, cut_by_deadline = left, True
        try:
            return await asyncio.wait_for(work, limit)
        except asyncio.TimeoutError:
            if cut_by_deadline:
                raise self._past_deadline(what, host) from None
            raise _Failure(
                f"{host} did not finish answering {what} within {self.options.timeout:g} s"
            ) from None

    def _past_deadline(self, what: str, host: str, retrying: str = "") -> RegistryError:
        """The deadline has passed or, with ``retrying`` (why), would pass before the retry."""
        when = f"would pass before the next retry ({retrying})" if retrying else "has passed"
        return RegistryError(
            f"gave up on {what} from {host}: the deadline of {self.options.deadline:g} s for"
            f" registry work {when}"
        )

    async def _pause(
        self, attempt: int, wait: float | None, reason: str, what: str, host: str
    ) -> None:
        if wait is not None:
            delay = wait
        else:
            delay = min(self.options.max_backoff, self.options.backoff * (2**attempt))
            delay *= random.uniform(0.5, 1.0)  # jitter: spread retries of concurrent clients
        if self._deadline_at is not None and time.monotonic() + delay >= self._deadline_at:
            raise self._past_deadline(what, host, reason)
        self.stats.add_retry()
        if attempt == 0 and self.options.notify is not None:
            self.options.notify(
                f"{reason}; retrying in {delay:.1f} s"
                f" (attempt {attempt + 2} of {self.options.retries + 1})"
            )
        pause: Awaitable[Any] = (self.options.sleep or asyncio.sleep)(delay)
        await pause

    # ------------------------------------------------------------------ one attempt

    async def _attempt(
        self,
        method: str,
        url: str,
        what: str,
        kind: str,
        headers: dict[str, str] | None,
        limit: int | None,
        follow: bool,
        credentials: bool,
    ) -> Reply:
        current = httpx.URL(url)
        home = origin_of(current)
        left = not credentials
        for redirects in range(MAX_REDIRECTS + 1):
            request = self.http.build_request(
                method, current, headers=headers, extensions={KIND_EXTENSION: kind}
            )
            reading = False
            try:
                response = await (
                    self.http.send(request, stream=True) if left else self._authed(request)
                )
                try:
                    location = response.headers.get("location") or response.extensions.get(
                        BAD_LOCATION
                    )
                    if follow and response.status_code in REDIRECTS and location is not None:
                        target = redirect_target(current, location, what)
                        left = left or origin_of(target) != home
                        if response.status_code == 303 and method != "HEAD":
                            method = "GET"
                        current = target
                        continue
                    reading = True
                    body = await self._body(response, method, limit, what)
                finally:
                    await response.aclose()  # read already, or never to be (a redirect, a cut)
            except httpx.TransportError as exc:
                if _interrupted(exc):
                    raise asyncio.CancelledError from None
                failed = exc.request.url if _has_request(exc) else current
                host = failed.netloc.decode("ascii")
                if reading:
                    raise _Failure(
                        f"the connection to {host} broke while reading {what}:"
                        f" {_exception_text(exc)}"
                    ) from None
                text = _transport_text(exc, host, self._proxy(failed))
                hopeless = _hopeless(exc, host)
                failure = _Failure(f"{text} ({hopeless}; not retried)" if hopeless else text)
                failure.final = bool(hopeless)
                raise failure from None
            return Reply(response.status_code, response.headers, body, current, redirects, left)
        raise RegistryError(
            f"{what}: more than {MAX_REDIRECTS} redirects (last from {current.netloc.decode('ascii')})"
        )

    async def _body(
        self, response: httpx.Response, method: str, limit: int | None, what: str
    ) -> bytes:
        if response.status_code >= 400:
            try:
                return await read_body(response, MAX_ERROR_BODY, what, self.stats.add_bytes)
            except (PlannerError, httpx.TransportError):
                return b""  # the status says enough
        if method == "HEAD":
            await response.aread()  # nothing to read, but the connection is then kept alive
            return b""
        if limit is None or response.is_redirect:
            return b""  # the caller closes the response
        return await read_body(response, limit, what, self.stats.add_bytes)

    async def _authed(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the auth flow; the last response, unread."""
        flow = self.auth.flow(request)
        try:
            outgoing = await flow.__anext__()
            while True:
                is_token = outgoing.extensions.get(KIND_EXTENSION) == "token"
                if is_token:
                    answer = await self._token_answer(outgoing)
                    outgoing = await flow.asend(answer)
                    continue
                response = await self.http.send(outgoing, stream=True)
                try:
                    outgoing = await flow.asend(
                        Answer(response.status_code, response.headers, response.url)
                    )
                except StopAsyncIteration:
                    return response
                except BaseException:
                    await response.aclose()
                    raise
                await response.aclose()
        finally:
            await flow.aclose()

    async def _token_answer(self, request: httpx.Request) -> Answer:
        """A token response read with its 1 MiB cap; failures become the answer's ``problem``."""
        try:
            response = await self.http.send(request, stream=True)
        except httpx.TransportError as exc:
            if _interrupted(exc):
                raise asyncio.CancelledError from None
            text = _transport_text(
                exc, request.url.netloc.decode("ascii"), self._proxy(request.url)
            )
            return Answer(0, httpx.Headers(), request.url, problem=text, error=exc)
        try:
            body = await read_body(response, MAX_TOKEN_RESPONSE, "token", self.stats.add_bytes)
        except InvalidManifest:
            problem = f"sent more than {MAX_TOKEN_RESPONSE} bytes"
            return Answer(response.status_code, response.headers, response.url, problem=problem)
        except PlannerError as exc:
            problem = f"sent an unreadable response ({str(exc).removeprefix('token: ')})"
            return Answer(response.status_code, response.headers, response.url, problem=problem)
        except httpx.TransportError as exc:
            text = _transport_text(
                exc, request.url.netloc.decode("ascii"), self._proxy(request.url)
            )
            return Answer(
                response.status_code, response.headers, response.url, problem=text, error=exc
            )
        return Answer(response.status_code, response.headers, response.url, body=body)


def redirect_target(current: httpx.URL, location: str, what: str) -> httpx.URL:
    """Where a ``Location`` leads from ``current``: an http(s) URL with a host, without userinfo."""
    try:
        target: httpx.URL | None = current.join(location)
        port = target.port if target is not None else None
        if (
            target is None
            or target.scheme not in ("http", "https")
            or not target.host
            or not (port is None or 0 < port < 65536)
        ):
            target = None
    except (httpx.InvalidURL, ValueError):
        target = None
    if target is None:
        raise RegistryError(
            f"{current.netloc.decode('ascii')} redirected {what} to an unusable location"
            f" {quoted(location)}"
        )
    return target.copy_with(userinfo=b"") if target.userinfo else target


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when the error has no request
    except RuntimeError:
        return False
    return True
