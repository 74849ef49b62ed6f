"""Registry authentication as an httpx auth flow (Distribution token auth and Basic).

The flow (distribution ``docs/spec/auth/token.md``, as Docker and containerd do it):

1. Send the request, with a token or Basic credentials if this origin already
   told us how it wants to be asked (remembered for the run, and its realm and
   service, never a token, in the cache for later runs).
2. On ``401``, read every challenge of every ``WWW-Authenticate`` header and
   prefer Bearer over Basic.
3. Bearer: ask ``realm`` for a token for ``service`` and the repository's
   ``pull`` scope, anonymously or with the registry's credentials (Basic), or
   with an identity token (OAuth2 ``refresh_token`` grant). Tokens are cached
   in memory per (realm, service, scope) until they expire, and concurrent
   requests for one scope wait for a single token request.
4. Retry the request once with ``Authorization``.

Registries that answer without a challenge (MCR) never cost a token request.
httpx drops ``Authorization`` when a redirect leaves the origin (a CDN), and
credentials are never sent over plain HTTP except to a loopback registry.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import AsyncGenerator
from urllib.parse import urlencode

import httpx

from planner.model.errors import Unauthorized
from planner.model.reference import is_loopback
from planner.model.stats import KIND_EXTENSION
from planner.transport.cache import Cache
from planner.transport.challenge import Challenge, parse_challenges
from planner.transport.credentials import Credential, CredentialStore

__all__ = ["RegistryAuth"]

_REPOSITORY = re.compile(r"^/v2/(.+?)/(?:manifests|blobs|tags)/")
DEFAULT_TOKEN_LIFETIME = 60  # seconds, per the token spec when expires_in is absent
EXPIRY_MARGIN = 10
MAX_TOKEN_RESPONSE = 1 << 20


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _basic(credential: Credential) -> str:
    raw = f"{credential.username}:{credential.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class RegistryAuth(httpx.Auth):
    """Bearer-token and Basic authentication for Distribution API requests."""

    def __init__(
        self,
        credentials: CredentialStore,
        registries: dict[str, str],
        cache: Cache | None = None,
    ) -> None:
        self.credentials = credentials
        self.registries = registries
        """origin (scheme://host:port) -> registry name as users write it, for credential lookup"""
        self.cache = cache
        self._challenges: dict[str, Challenge] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    # ------------------------------------------------------------------ helpers

    def _credential(self, origin: str) -> Credential | None:
        registry = self.registries.get(origin)
        return self.credentials.lookup(registry) if registry else None

    def _known_challenge(self, origin: str) -> Challenge | None:
        if origin not in self._challenges and self.cache is not None:
            saved = self.cache.challenge(origin)
            if saved and saved.get("scheme") in ("bearer", "basic"):
                params = {
                    k: v
                    for k, v in saved.items()
                    if k in ("realm", "service") and isinstance(v, str)
                }
                self._challenges[origin] = Challenge(saved["scheme"], params)
        return self._challenges.get(origin)

    def _remember(self, origin: str, challenge: Challenge) -> None:
        self._challenges[origin] = challenge
        if self.cache is not None:
            saved = {"scheme": challenge.scheme}
            saved.update(
                {k: challenge.params[k] for k in ("realm", "service") if k in challenge.params}
            )
            self.cache.set_challenge(origin, saved)

    @staticmethod
    def _scope(request: httpx.Request, challenge: Challenge) -> str:
        if challenge.params.get("scope"):
            return challenge.params["scope"]
        match = _REPOSITORY.match(request.url.path)
        return f"repository:{match.group(1)}:pull" if match else ""

    @staticmethod
    def _may_send_secret(request: httpx.Request, target: httpx.URL) -> bool:
        """Credentials travel over TLS, or to a loopback registry."""
        return target.scheme == "https" or is_loopback(target.host) or is_loopback(request.url.host)

    # ------------------------------------------------------------------ flow

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        origin = _origin(request.url)
        tried: str | None = None
        known = self._known_challenge(origin)
        if known is not None:
            steps = self._authorization(request, known)
            step = await steps.asend(None)
            while isinstance(step, httpx.Request):
                step = await steps.asend((yield step))
            await steps.aclose()
            if step:
                request.headers["Authorization"] = tried = step
        response = yield request
        if response.status_code != 401:
            return
        challenges = parse_challenges(response.headers.get_list("www-authenticate"))
        chosen = next((c for c in challenges if c.scheme == "bearer"), None) or next(
            (c for c in challenges if c.scheme == "basic"), None
        )
        if chosen is None:
            return
        self._remember(origin, chosen)
        steps = self._authorization(request, chosen, stale=tried)
        step = await steps.asend(None)
        while isinstance(step, httpx.Request):
            step = await steps.asend((yield step))
        await steps.aclose()
        if not step or step == tried:
            return
        request.headers["Authorization"] = step
        yield request

    async def _authorization(
        self, request: httpx.Request, challenge: Challenge, *, stale: str | None = None
    ) -> AsyncGenerator[httpx.Request | str | None, httpx.Response | None]:
        """Yield token requests (and receive their responses), then the header value or None.

        ``stale`` is a header the registry just refused: a cached token equal to
        it is not offered again.
        """
        credential = self._credential(_origin(request.url))
        if challenge.scheme == "basic":
            if credential is None or credential.identity_token:
                yield None
                return
            if not self._may_send_secret(request, request.url):
                raise Unauthorized(
                    f"refusing to send credentials for {request.url.host} over plain HTTP", 401
                )
            yield _basic(credential)
            return
        realm = challenge.params.get("realm", "")
        try:
            realm_url = httpx.URL(realm)
        except httpx.InvalidURL:
            realm_url = httpx.URL("")
        if realm_url.scheme not in ("http", "https") or not realm_url.host:
            raise Unauthorized(
                f"{request.url.host} asked for a token from an invalid realm {realm!r}", 401
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
            response = yield self._token_request(request, realm_url, service, scope, credential)
            assert response is not None
            await response.aread()
            token, lifetime = self._parse_token(response, request, credential)
            self._tokens[key] = (token, time.monotonic() + max(lifetime - EXPIRY_MARGIN, 1))
            yield f"Bearer {token}"

    def _token_request(
        self,
        request: httpx.Request,
        realm: httpx.URL,
        service: str,
        scope: str,
        credential: Credential | None,
    ) -> httpx.Request:
        if credential is not None and not self._may_send_secret(request, realm):
            raise Unauthorized(
                f"refusing to send credentials for {request.url.host} to {realm.host} over plain HTTP",
                401,
            )
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
                extensions={KIND_EXTENSION: "token"},
            )
        params = {k: v for k, v in (("service", service), ("scope", scope)) if v}
        url = realm.copy_merge_params(params)
        headers = {"Authorization": _basic(credential)} if credential is not None else {}
        return httpx.Request("GET", url, headers=headers, extensions={KIND_EXTENSION: "token"})

    @staticmethod
    def _parse_token(
        response: httpx.Response, request: httpx.Request, credential: Credential | None
    ) -> tuple[str, float]:
        host = request.url.host
        if response.status_code in (401, 403):
            who = f"the credentials from {credential.origin}" if credential else "anonymous access"
            raise Unauthorized(
                f"unauthorized: the token service of {host} refused {who};"
                f" log in with docker login {host}",
                response.status_code,
                login=host,
            )
        if response.status_code != 200 or len(response.content) > MAX_TOKEN_RESPONSE:
            raise Unauthorized(
                f"the token service of {host} answered {response.status_code}", response.status_code
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Unauthorized(
                f"the token service of {host} returned no token", response.status_code
            )
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(lifetime, (int, float)) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        return token, float(lifetime)
