"""Registry authentication as a flow (Distribution token auth and Basic).

The flow (distribution ``docs/spec/auth/token.md``, as Docker and containerd do it):

1. Send the request, with a token or Basic credentials if this origin already
   told us how it wants to be asked (see the rule below for the cache).
2. On ``401``, read every challenge of every ``WWW-Authenticate`` header and
   prefer Bearer over Basic.
3. Bearer: ask ``realm`` for a token for ``service`` and the repository's
   ``pull`` scope, anonymously or with the registry's credentials (Basic), or
   with an identity token (OAuth2 ``refresh_token`` grant). Tokens are kept in
   memory per (realm, service, scope) until they expire, and concurrent
   requests for one scope wait for a single token request.
4. Retry the request once with ``Authorization``.

**Where credentials may go** (Docker's and containerd's rule, written down):

* they are looked up for the registry that asks (the origin of the request),
  and sent only to that registry, or to the token realm named by a ``401``
  that this registry's origin answered **in this run**;
* never after a redirect to another origin: :mod:`~planner.transport.sender`
  runs this flow only for requests to the registry's own origin, so a
  redirected request carries nothing and its ``401`` is not answered;
* never over plain HTTP, unless the receiver is loopback: the registry itself
  for Basic, the realm for a token (a loopback registry naming an
  ``http://`` realm elsewhere gets a refusal, not the credentials); a realm on
  another host over TLS is the normal Docker flow and allowed;
* a challenge read from the cache (scheme, realm, service of an earlier
  run) may save the ``401`` round trip only for an anonymous token request,
  for credentials whose realm is on the registry's own host (same host name,
  any port), or for Basic
  credentials to the registry itself; a cached
  challenge that does not parse (:meth:`Challenge.from_saved`), or whose token
  request fails in any way, is dropped and the request goes without, so that
  the registry's ``401`` rewrites it;
* and only from a cache nobody else can write to (:meth:`Cache.challenges_distrusted`,
  ssh's rule for its files): a challenge planted in a shared cache would send the
  credentials to a realm of the planter's choosing (another port of the
  registry's host) before the registry asks. Such a cache's challenges are not
  read, and ``notify`` hears why, once.

The flow does no I/O: it yields requests and receives :class:`Answer`\\ s, and
the sender drives it, reading token responses with a 1 MiB cap.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import AsyncGenerator, Callable
from urllib.parse import urlencode

import httpx

from planner.model.errors import PlannerError, Unauthorized
from planner.model.record import dataclass
from planner.model.reference import is_loopback
from planner.transport.cache import Cache
from planner.transport.challenge import Challenge, parse_challenges, usable_realm
from planner.transport.credentials import Credential, CredentialStore
from planner.transport.errors import json_or_none, printable, quoted, status_text
from planner.transport.stats import KIND_EXTENSION

__all__ = ["MAX_TOKEN_RESPONSE", "Answer", "RegistryAuth", "origin_of"]

_REPOSITORY = re.compile(r"^/v2/(.+?)/(?:manifests|blobs|tags)/")
DEFAULT_TOKEN_LIFETIME = 60  # seconds, per the token spec when expires_in is absent
EXPIRY_MARGIN = 10
MAX_TOKEN_RESPONSE = 1 << 20


@dataclass(frozen=True)
class Answer:
    """What the flow learns of a response to a request it yielded."""

    status: int
    headers: httpx.Headers
    url: httpx.URL
    body: bytes = b""
    """Token responses only, read with the :data:`MAX_TOKEN_RESPONSE` cap."""
    problem: str | None = None
    """Token responses only: why there is no body (too large, not decodable, no answer)."""
    error: Exception | None = None
    """The transport error behind ``problem``, if that is what it was."""


def origin_of(url: httpx.URL) -> str:
    """``scheme://host:port`` (the port only when the URL names one)."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _basic(credential: Credential) -> str:
    raw = f"{credential.username}:{credential.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _may_receive_secrets(url: httpx.URL) -> bool:
    """TLS, or a loopback host (Docker's default insecure registries)."""
    return url.scheme == "https" or is_loopback(url.host)


class RegistryAuth:
    """Bearer-token and Basic authentication for Distribution API requests."""

    def __init__(
        self,
        credentials: CredentialStore,
        registries: dict[str, str],
        cache: Cache | None = None,
        *,
        notify: Callable[[str], None] | None = None,
        helper_time: Callable[[], float | None] | None = None,
    ) -> None:
        """``notify`` hears once that the cache's challenges are not believed, and why;
        ``helper_time`` says how many seconds a credential helper may take now (None: its own
        limit), so that the run's timeout and deadline bound it too."""
        self.credentials = credentials
        self.registries = registries
        """origin (scheme://host:port) -> registry name as users write it, for credential lookup"""
        self.cache = cache
        self.notify = notify
        self.helper_time = helper_time
        self._live: dict[str, Challenge] = {}
        """Challenges answered by each origin in this run."""
        self._told = False
        self._saved: dict[str, Challenge | None] = {}
        """Challenges read from the cache (None: none, or not to be used)."""
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    # ------------------------------------------------------------------ what is known

    def _name(self, origin: str) -> str:
        return self.registries.get(origin) or origin.partition("://")[2]

    def _credential(self, origin: str) -> Credential | None:
        registry = self.registries.get(origin)
        if not registry:
            return None
        return self.credentials.lookup(
            registry, timeout=self.helper_time() if self.helper_time is not None else None
        )

    def credential_for(self, origin: str) -> Credential | None:
        """The credential this run offered ``origin`` when it asked (looked up then, and
        memoized); None when it has none or never asked, so nothing was sent."""
        if origin not in self._live:
            return None
        try:
            return self._credential(origin)
        except PlannerError:  # a helper that failed: that was said when it failed
            return None

    def _saved_challenge(self, origin: str) -> Challenge | None:
        if origin not in self._saved:
            data = None
            if self.cache is not None:
                data = self.cache.challenge(origin)
                self._tell_doubt()
            saved = Challenge.from_saved(data) if data is not None else None
            if data is not None and saved is None:
                self._distrust(origin)
            self._saved[origin] = saved
        return self._saved[origin]

    def _tell_doubt(self) -> None:
        """Say, once, that a saved challenge was ignored as someone else's writing."""
        assert self.cache is not None
        why = self.cache.doubt
        if why is not None and not self._told and self.notify is not None:
            self._told = True
            said = (
                f"ignoring the authentication challenges saved in the cache {self.cache.root}:"
                f" {why}; registries are asked first"
            )
            self.notify(printable(said, 1000))

    def _distrust(self, origin: str) -> None:
        """Forget the cached challenge: this run asks the registry, whose 401 rewrites it."""
        self._saved[origin] = None
        if self.cache is not None:
            self.cache.drop_challenge(origin)

    def _remember(self, origin: str, challenge: Challenge) -> None:
        self._live[origin] = challenge
        saved = challenge.saved()
        if self.cache is not None and saved is not None:
            self.cache.set_challenge(origin, saved)

    def _preemptive(self, url: httpx.URL) -> tuple[Challenge, bool] | None:
        """(challenge, from the cache) to answer before the registry asks, if any."""
        origin = origin_of(url)
        if origin in self._live:
            return self._live[origin], False
        saved = self._saved_challenge(origin)
        if saved is None:
            return None
        credential = self._credential(origin)
        if saved.scheme == "basic":
            usable = credential is not None and _may_receive_secrets(url)
        elif credential is None:
            usable = True  # an anonymous token request carries nothing to protect
        else:  # credentials: only to a realm on the registry's own host
            try:
                realm = httpx.URL(saved.params["realm"])
            except (httpx.InvalidURL, ValueError):
                self._distrust(origin)
                return None
            usable = realm.host == url.host and _may_receive_secrets(realm)
        return (saved, True) if usable else None

    @staticmethod
    def _scope(request: httpx.Request, challenge: Challenge) -> str:
        if challenge.params.get("scope"):
            return challenge.params["scope"]
        match = _REPOSITORY.match(request.url.path)
        return f"repository:{match.group(1)}:pull" if match else ""

    # ------------------------------------------------------------------ flow

    async def flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, Answer]:
        """Yield ``request`` (with ``Authorization`` when known), token requests, and the retry.

        The flow ends right after it receives the answer to a yielded
        ``request``; that response is the result.
        """
        origin = origin_of(request.url)
        tried: str | None = None
        known = self._preemptive(request.url)
        if known is not None:
            steps = self._authorization(request, known[0], saved=known[1])
            try:
                step = await steps.asend(None)
                while isinstance(step, httpx.Request):
                    step = await steps.asend((yield step))
            finally:
                await steps.aclose()
            if step:
                request.headers["Authorization"] = tried = step
        answer = yield request
        if answer.status != 401 or origin_of(answer.url) != origin:
            return
        challenges = parse_challenges(answer.headers.get_list("www-authenticate"))
        chosen = next((c for c in challenges if c.scheme == "bearer"), None) or next(
            (c for c in challenges if c.scheme == "basic"), None
        )
        if chosen is None:
            return
        self._remember(origin, chosen)
        steps = self._authorization(request, chosen, saved=False, stale=tried)
        try:
            step = await steps.asend(None)
            while isinstance(step, httpx.Request):
                step = await steps.asend((yield step))
        finally:
            await steps.aclose()
        if not step or step == tried:
            return
        request.headers["Authorization"] = step
        yield request

    async def _authorization(
        self, request: httpx.Request, challenge: Challenge, *, saved: bool, stale: str | None = None
    ) -> AsyncGenerator[httpx.Request | str | None, Answer | None]:
        """Yield token requests (and receive their answers), then the header value or None.

        ``saved``: the challenge comes from the cache; then nothing is raised,
        and a failure drops the cached challenge. ``stale`` is a header the
        registry just refused: a cached token equal to it is not offered again.
        """
        origin = origin_of(request.url)
        name = self._name(origin)
        credential = self._credential(origin)
        if challenge.scheme == "basic":
            if credential is None or credential.identity_token:
                yield None
            elif _may_receive_secrets(request.url):
                yield _basic(credential)
            elif saved:
                yield None
            else:
                raise Unauthorized(f"refusing to send credentials for {name} over plain HTTP", 401)
            return
        realm = challenge.params.get("realm", "")
        try:
            realm_url = httpx.URL(realm) if usable_realm(realm) else None
        except (httpx.InvalidURL, ValueError):
            realm_url = None
        if realm_url is None:
            if saved:
                self._distrust(origin)
                yield None
                return
            raise Unauthorized(
                f"{name} asked for a token from an invalid realm {quoted(realm)}", 401
            )
        if credential is not None and not _may_receive_secrets(realm_url):
            if saved:
                yield None
                return
            raise Unauthorized(
                f"refusing to send credentials for {name} to {realm_url.netloc.decode('ascii')}"
                " over plain HTTP (a token service gets them only over TLS, or on loopback)",
                401,
            )
        service = challenge.params.get("service", "")
        scope = self._scope(request, challenge)
        key = (realm, service, scope)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached and cached[1] > time.monotonic() and f"Bearer {cached[0]}" != stale:
                yield f"Bearer {cached[0]}"
                return
            answered = False
            try:
                answer = yield self._token_request(realm_url, service, scope, credential)
                answered = True
            finally:
                if saved and not answered:  # cancelled or failed on the way: ask the registry next
                    self._distrust(origin)
            assert answer is not None
            try:
                token, lifetime = self._parse_token(answer, name, credential)
            except (PlannerError, httpx.TransportError):
                if not saved:
                    raise
                self._distrust(origin)
                yield None
                return
            self._tokens[key] = (token, time.monotonic() + max(lifetime - EXPIRY_MARGIN, 1))
            yield f"Bearer {token}"

    @staticmethod
    def _token_request(
        realm: httpx.URL, service: str, scope: str, credential: Credential | None
    ) -> httpx.Request:
        extensions = {KIND_EXTENSION: "token"}
        if credential is not None and credential.identity_token:
            body = {
                "grant_type": "refresh_token",
                "refresh_token": credential.secret,
                "client_id": "pull-planner",
                "service": service,
                "scope": scope,
            }
            return httpx.Request(
                "POST",
                realm,
                content=urlencode(body).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                extensions=extensions,
            )
        params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
        url = realm.copy_merge_params(params)
        headers = {"Authorization": _basic(credential)} if credential is not None else {}
        return httpx.Request("GET", url, headers=headers, extensions=extensions)

    @staticmethod
    def _parse_token(answer: Answer, name: str, credential: Credential | None) -> tuple[str, float]:
        if answer.error is not None:
            raise answer.error  # a transport error: the sender may retry
        if answer.problem is not None:
            raise Unauthorized(f"the token service of {name} {answer.problem}", answer.status)
        if answer.status in (401, 403):
            if credential is None:
                raise Unauthorized(
                    f"unauthorized: the token service of {name} refused anonymous access;"
                    f" log in with docker login {name}",
                    answer.status,
                    login=name,
                )
            origin = credential.origin or "the credential store"
            raise Unauthorized(
                f"unauthorized: the token service of {name} rejected the credentials from"
                f" {origin}; check them, or log in again with docker login {name}",
                answer.status,
                login=name,
                rejected=origin,
            )
        if answer.status != 200:
            raise Unauthorized(
                f"the token service of {name} answered {status_text(answer.status)}",
                answer.status,
            )
        body = json_or_none(answer.body)
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if (
            not isinstance(token, str)
            or not token
            or not token.isascii()
            or not token.isprintable()
        ):
            raise Unauthorized(
                f"the token service of {name} returned no usable token", answer.status
            )
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(lifetime, (int, float)) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        return token, float(lifetime)
