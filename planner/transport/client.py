"""The Distribution API client: manifests, blobs and blob locations over httpx.

What it guarantees:

* **Few requests.** A digest-pinned manifest or config already in the cache
  costs nothing. A tag whose last digest is cached costs one ``HEAD``
  (``Docker-Content-Digest``), which Docker Hub does not count as a pull; a
  tag seen for the first time costs one ``GET`` (a ``HEAD`` first would only
  add a request). Connections are kept alive and reused (HTTP/1.1).
* **Nothing unverified.** Content fetched by digest must hash to it and have
  the descriptor's size; a tag's content must match ``Docker-Content-Digest``
  when the registry sends it. Manifests are capped at 4 MiB and configs at
  16 MiB while streaming, before anything is parsed. A mismatch is an error.
* **Faults.** ``429`` (honouring ``Retry-After``), ``502/503/504``, resets and
  timeouts are retried with bounded exponential backoff and jitter; then the
  registry's JSON error codes become one-line messages that say what to do.
* **Plain HTTP only where asked**, or for loopback registries (Docker's default
  insecure registries); TLS is verified otherwise (``SSL_CERT_FILE`` and proxy
  variables are honoured by httpx).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from typing import Any

import httpx

from planner.model.errors import InvalidManifest, RateLimited, RegistryError
from planner.model.manifest import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    OCI_MANIFEST,
    compute_digest,
    validate_digest,
    verify_content,
)
from planner.model.reference import Reference, is_loopback
from planner.model.stats import KIND_EXTENSION, Stats, request_kind
from planner.model.version import __version__
from planner.transport.auth import RegistryAuth
from planner.transport.cache import Cache, default_cache_dir
from planner.transport.errors import registry_error
from planner.transport.options import BlobLocation, Fetched, RegistryOptions

__all__ = ["MANIFEST_ACCEPT", "RegistryClient"]

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_ERRORS = (httpx.TransportError,)  # connect/read/write errors, resets, timeouts
MAX_ERROR_BODY = 64 << 10
MAX_REDIRECT_HOPS = 5


class _PlainTransport(httpx.AsyncHTTPTransport):
    """http:// only: no TLS, so no certificate store to load."""

    def __init__(self) -> None:
        super().__init__(verify=False)


class _LazyTlsTransport(httpx.AsyncBaseTransport):
    """https:// with verified TLS, created on first use.

    httpx loads the CA bundle when a transport is made (about 0.1 s); a run
    against loopback or plain-HTTP registries never needs it.
    """

    def __init__(self) -> None:
        self._transport: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._transport is None:
            self._transport = httpx.AsyncHTTPTransport()  # verify=True; honours SSL_CERT_FILE
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()


def _strip_query(url: httpx.URL) -> str:
    return str(url.copy_with(query=None, fragment=None))


def _media_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return value.split(";", 1)[0].strip() or None if value else None


class RegistryClient:
    """One async client for a run: shared connections, auth, cache and stats."""

    def __init__(self, options: RegistryOptions | None = None, stats: Stats | None = None) -> None:
        self.options = options or RegistryOptions()
        self.stats = stats or Stats()
        self.cache = (
            Cache(self.options.cache_dir or default_cache_dir()) if self.options.use_cache else None
        )
        self._registries: dict[str, str] = {}
        self._auth = RegistryAuth(self.options.credentials, self._registries, self.cache)
        timeout = httpx.Timeout(self.options.timeout, connect=self.options.connect_timeout)
        hooks = {"response": [self._on_response]}
        common: dict[str, Any] = {
            "timeout": timeout,
            "headers": {"User-Agent": f"pull-planner/{__version__}"},
            "event_hooks": hooks,
        }
        if self.options.transport is not None:
            common["transport"] = self.options.transport
        self._http = httpx.AsyncClient(auth=self._auth, **common, **self._transports())
        # Redirect targets (CDNs) get their own client: no auth flow, no credentials.
        self._anonymous = httpx.AsyncClient(**common, **self._transports())

    def _transports(self) -> dict[str, Any]:
        if self.options.transport is not None:
            return {}
        # The default transport serves https (TLS set up on first use), the mount plain http.
        return {"transport": _LazyTlsTransport(), "mounts": {"http://": _PlainTransport()}}

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._anonymous.aclose()

    async def _on_response(self, response: httpx.Response) -> None:
        request = response.request
        kind = request.extensions.get(KIND_EXTENSION) or request_kind(
            request.method, request.url.path
        )
        self.stats.count_request(kind, response.status_code)
        if self.options.log is not None:
            self.options.log(
                f"{request.method} {_strip_query(request.url)} -> {response.status_code}"
            )

    # ------------------------------------------------------------------ URLs

    def base_url(self, ref: Reference) -> str:
        host = ref.api_host
        scheme = "http" if self.options.plain_http or is_loopback(host) else "https"
        origin = f"{scheme}://{host}"
        self._registries[origin] = ref.registry
        return origin

    def _url(self, ref: Reference, kind: str, target: str) -> str:
        return f"{self.base_url(ref)}/v2/{ref.repository}/{kind}/{target}"

    # ------------------------------------------------------------------ sending

    async def _send(
        self,
        method: str,
        url: str,
        ref: Reference,
        *,
        headers: dict[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        follow_redirects: bool = True,
        kind: str | None = None,
    ) -> httpx.Response:
        """Send with retries; the response is streamed and must be read or closed."""
        client = client or self._http
        kind = kind or request_kind(method, httpx.URL(url).path)
        attempt = 0
        while True:
            try:
                request = client.build_request(
                    method, url, headers=headers, extensions={KIND_EXTENSION: kind}
                )
                response = await client.send(
                    request, stream=True, follow_redirects=follow_redirects
                )
            except RETRY_ERRORS as exc:
                if attempt >= self.options.retries:
                    raise RegistryError(
                        f"cannot reach {httpx.URL(url).host}: {type(exc).__name__}"
                        f"{': ' + str(exc) if str(exc) else ''} (after {attempt + 1} attempts)"
                    ) from None
                await self._pause(attempt, None)
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.options.retries:
                wait = self._retry_after(response)
                if wait is not None and wait > self.options.max_retry_after:
                    await response.aclose()
                    raise RateLimited(
                        f"too many requests: {ref.registry} asks to wait {wait:.0f} s before"
                        f" retrying; try again later; for a higher limit, log in with docker login"
                        f" {ref.registry}",
                        response.status_code,
                        ("TOOMANYREQUESTS",),
                        login=ref.registry,
                    )
                await response.aclose()
                await self._pause(attempt, wait)
                attempt += 1
                continue
            return response

    async def _pause(self, attempt: int, retry_after: float | None) -> None:
        self.stats.add_retry()
        if retry_after is not None:
            delay = retry_after
        else:
            delay = min(self.options.max_backoff, self.options.backoff * (2**attempt))
            delay *= random.uniform(0.5, 1.0)  # jitter: spread retries of concurrent clients
        await (self.options.sleep or asyncio.sleep)(delay)

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        if value.strip().isdigit():
            return float(value.strip())
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())

    async def _read(self, response: httpx.Response, limit: int, what: str) -> bytes:
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            await response.aclose()
            raise InvalidManifest(f"{what}: {length} bytes, more than the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                self.stats.add_bytes(len(chunk))
                if size > limit:
                    raise InvalidManifest(f"{what}: more than the {limit}-byte limit")
                chunks.append(chunk)
        except httpx.TransportError as exc:
            raise RegistryError(f"{what}: connection broke while reading: {exc}") from None
        finally:
            await response.aclose()
        return b"".join(chunks)

    async def _error(self, response: httpx.Response, ref: Reference, what: str) -> RegistryError:
        try:
            body = await self._read(response, MAX_ERROR_BODY, what)
        except (InvalidManifest, RegistryError):
            body = b""
        codes: list[str] = []
        messages: list[str] = []
        try:
            errors = json.loads(body).get("errors", [])
            for error in errors if isinstance(errors, list) else []:
                if isinstance(error, dict):
                    if isinstance(error.get("code"), str):
                        codes.append(error["code"])
                    if isinstance(error.get("message"), str):
                        messages.append(error["message"])
        except (ValueError, AttributeError):
            pass
        return registry_error(response.status_code, tuple(codes), messages, ref, what)

    # ------------------------------------------------------------------ manifests

    async def head_manifest(self, ref: Reference) -> tuple[str | None, str | None, int | None]:
        """(digest, media type, size) of what the tag or digest points to, via HEAD."""
        url = self._url(ref, "manifests", ref.target)
        response = await self._send("HEAD", url, ref, headers={"Accept": MANIFEST_ACCEPT})
        await response.aclose()
        if response.status_code >= 400:
            raise registry_error(response.status_code, (), [], ref, f"manifest {ref}")
        digest = response.headers.get("docker-content-digest")
        length = response.headers.get("content-length")
        try:
            digest = validate_digest(digest, "Docker-Content-Digest") if digest else None
        except InvalidManifest:
            digest = None
        return digest, _media_type(response), int(length) if length and length.isdigit() else None

    async def manifest(
        self, ref: Reference, *, digest: str | None = None, size: int | None = None
    ) -> Fetched:
        """A manifest or index by digest (verified) or by the reference's tag."""
        digest = digest or ref.digest
        if digest is not None:
            return await self._manifest_by_digest(ref, digest, size)
        key = str(ref)
        if self.cache is not None and (hint := self.cache.tag_hint(key)) is not None:
            cached = self.cache.get(hint, MAX_MANIFEST_BYTES)
            if cached is not None:
                current, _, _ = await self.head_manifest(ref)
                if current == hint:
                    self.stats.add_cache_hit()
                    return Fetched(cached, None, hint)
                if current is not None:
                    fetched = await self._manifest_by_digest(ref, current, None)
                    self.cache.set_tag_hint(key, current)
                    return fetched
        url = self._url(ref, "manifests", ref.target)
        response = await self._send("GET", url, ref, headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code >= 400:
            raise await self._error(response, ref, f"manifest {ref}")
        header = response.headers.get("docker-content-digest")
        media_type = _media_type(response)
        data = await self._read(response, MAX_MANIFEST_BYTES, f"manifest {ref}")
        if header:
            try:
                validate_digest(header, "Docker-Content-Digest")
            except InvalidManifest:
                raise RegistryError(
                    f"{ref.registry} sent an invalid Docker-Content-Digest {header!r}"
                ) from None
            verify_content(data, header, f"manifest {ref} (Docker-Content-Digest)")
            digest = header
        else:
            digest = compute_digest(data)
        if self.cache is not None:
            self.cache.put(digest, data)
            self.cache.set_tag_hint(key, digest)
        return Fetched(data, media_type, digest)

    async def _manifest_by_digest(self, ref: Reference, digest: str, size: int | None) -> Fetched:
        if self.cache is not None:
            cached = self.cache.get(digest, MAX_MANIFEST_BYTES)
            if cached is not None and (size is None or len(cached) == size):
                self.stats.add_cache_hit()
                return Fetched(cached, None, digest)
        url = self._url(ref, "manifests", digest)
        response = await self._send("GET", url, ref, headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code >= 400:
            raise await self._error(response, ref, f"manifest {ref.name}@{digest}")
        media_type = _media_type(response)
        data = await self._read(response, MAX_MANIFEST_BYTES, f"manifest {ref.name}@{digest}")
        verify_content(data, digest, f"manifest {ref.name}@{digest}", size)
        if self.cache is not None:
            self.cache.put(digest, data)
        return Fetched(data, media_type, digest)

    # ------------------------------------------------------------------ blobs

    async def blob(self, ref: Reference, digest: str, size: int | None, limit: int) -> bytes:
        """A small blob (an image config) by digest, verified, through the cache."""
        if size is not None and size > limit:
            raise InvalidManifest(f"blob {digest}: {size} bytes, more than the {limit}-byte limit")
        if self.cache is not None:
            cached = self.cache.get(digest, limit)
            if cached is not None and (size is None or len(cached) == size):
                self.stats.add_cache_hit()
                return cached
        url = self._url(ref, "blobs", digest)
        response = await self._send("GET", url, ref)
        if response.status_code >= 400:
            raise await self._error(response, ref, f"blob {ref.name}@{digest}")
        data = await self._read(response, limit, f"blob {ref.name}@{digest}")
        verify_content(data, digest, f"blob {ref.name}@{digest}", size)
        if self.cache is not None:
            self.cache.put(digest, data)
        return data

    async def blob_location(self, ref: Reference, digest: str) -> BlobLocation:
        """Where the blob is served from, without downloading it.

        ``HEAD`` without following redirects (the seed workflow's last step);
        each redirect is followed with another ``HEAD``, without credentials,
        until a host answers itself.
        """
        url = httpx.URL(self._url(ref, "blobs", digest))
        client = self._http
        redirected = False
        for _ in range(MAX_REDIRECT_HOPS + 1):
            response = await self._send(
                "HEAD", str(url), ref, client=client, follow_redirects=False, kind="blob HEAD"
            )
            await response.aclose()
            if response.status_code == 405 and client is self._http:
                response = await self._send(
                    "GET", str(url), ref, client=client, follow_redirects=False, kind="blob GET"
                )
                await response.aclose()
            if response.is_redirect and "location" in response.headers:
                url = url.join(response.headers["location"])
                client = self._anonymous
                redirected = True
                continue
            if response.status_code >= 400 and client is self._http:
                raise registry_error(response.status_code, (), [], ref, f"blob {ref.name}@{digest}")
            return BlobLocation(_strip_query(url), url.netloc.decode("ascii"), redirected)
        raise RegistryError(f"blob {digest}: more than {MAX_REDIRECT_HOPS} redirects")
