"""The Distribution API client: manifests, blobs and blob locations over httpx.

What it guarantees:

* **Few requests.** A digest-pinned manifest or config already in the cache
  costs nothing. A tag whose last digest is cached costs one ``HEAD``
  (``Docker-Content-Digest``), which Docker Hub does not count as a pull; a
  tag seen for the first time costs one ``GET`` (a ``HEAD`` first would only
  add a request). Connections are kept alive and reused (HTTP/1.1).
* **Nothing unverified.** Content fetched by digest must hash to it and have
  the descriptor's size; a tag's content must match ``Docker-Content-Digest``
  when the registry sends it. Bodies are read as streams with a cap on their
  decompressed size (:mod:`~planner.transport.body`): manifests 4 MiB,
  configs 16 MiB, before anything is parsed. A mismatch is an error.
* **Bounded.** Redirects, auth, timeouts, the deadline, retries and proxies
  are the sender's (:mod:`~planner.transport.sender`); credentials go only
  where :mod:`~planner.transport.auth` says.
* **Plain HTTP only where asked**, or for loopback registries (Docker's default
  insecure registries); TLS is verified otherwise (``SSL_CERT_FILE`` honoured).
* **One-line errors.** A reference whose host or port no URL can hold is
  :class:`~planner.model.errors.InvalidReference`; registry answers become the
  messages of :mod:`~planner.transport.errors`.
"""

from __future__ import annotations

import httpx

from planner.model.errors import InvalidManifest, InvalidReference, RegistryError, Unauthorized
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
from planner.transport.auth import RegistryAuth, origin_of
from planner.transport.body import declared_length
from planner.transport.cache import Cache, default_cache_dir
from planner.transport.errors import json_or_none, printable, quoted, registry_error
from planner.transport.options import BlobLocation, Fetched, Presence, RegistryOptions
from planner.transport.presence import presence
from planner.transport.sender import REDIRECTS, Reply, Sender, redirect_target
from planner.transport.stats import Stats, request_kind

__all__ = ["MANIFEST_ACCEPT", "RegistryClient"]

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
MAX_ERRORS = 10
"""Error-body entries looked at (a registry sends one or two)."""


def _strip_query(url: httpx.URL) -> str:
    return str(url.copy_with(query=None, fragment=None))


def _media_type(reply: Reply) -> str | None:
    value = reply.headers.get("content-type")
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
        """origin -> registry name as written, for credentials and messages"""
        self._origins: dict[str, str] = {}
        """scheme://host as the reference writes it -> origin"""
        self._auth = RegistryAuth(
            self.options.credentials,
            self._registries,
            self.cache,
            notify=self.options.notify,
            helper_time=lambda: self._sender.time_left(),
        )
        self._sender = Sender(self.options, self.stats, self._auth)

    async def aclose(self) -> None:
        await self._sender.aclose()

    # ------------------------------------------------------------------ URLs

    def base_url(self, ref: Reference) -> str:
        """``scheme://host:port`` of the registry; InvalidReference when no URL can hold it."""
        host = ref.api_host
        scheme = "http" if self.options.plain_http or is_loopback(host) else "https"
        written = f"{scheme}://{host}"
        origin = self._origins.get(written)
        if origin is None:
            origin = self._origins[written] = self._check_host(ref, written)
            self._registries[origin] = ref.registry
        return origin

    @staticmethod
    def _check_host(ref: Reference, written: str) -> str:
        """The origin as httpx writes it (lower case, no default port), which is what the
        auth flow sees; InvalidReference for the hosts and ports the reference grammar
        allows but no URL holds."""
        try:
            url = httpx.URL(written + "/")
            host, port = url.host, url.port  # host decodes IDNA, and may raise
        except (httpx.InvalidURL, ValueError):
            host, port = "", None
        if not host:
            problem = f"registry {ref.registry!r} does not name a valid host"
        elif port is not None and not 0 < port < 65536:
            problem = f"port {port} is not between 1 and 65535"
        else:
            return origin_of(url)
        raise InvalidReference(f"invalid reference {str(ref)!r}: {problem}")

    def _url(self, ref: Reference, kind: str, target: str) -> str:
        return f"{self.base_url(ref)}/v2/{ref.repository}/{kind}/{target}"

    async def _get(
        self,
        method: str,
        url: str,
        ref: Reference,
        what: str,
        *,
        limit: int | None = None,
        kind: str | None = None,
        follow: bool = True,
        credentials: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return await self._sender.fetch(
            method,
            url,
            registry=ref.registry,
            what=what,
            kind=kind or request_kind(method, httpx.URL(url).path),
            headers=headers,
            limit=limit,
            follow=follow,
            credentials=credentials,
        )

    def _error(self, reply: Reply, ref: Reference, what: str) -> RegistryError:
        """The error an answer of 400 or more stands for, from its status and body."""
        if reply.left_origin and reply.status == 401:
            where = reply.url.netloc.decode("ascii")
            return Unauthorized(
                f"unauthorized: {ref.registry} redirected {what} to {where}, which asks for"
                f" authentication; credentials are sent only to {ref.registry} and the token"
                " service it names, never after a redirect to another origin",
                401,
            )
        codes: list[str] = []
        messages: list[str] = []
        body = json_or_none(reply.body)
        errors = body.get("errors", []) if isinstance(body, dict) else []
        for error in errors[:MAX_ERRORS] if isinstance(errors, list) else []:
            if isinstance(error, dict):
                if isinstance(error.get("code"), str):
                    codes.append(printable(error["code"], 64))
                if isinstance(error.get("message"), str):
                    messages.append(error["message"])
        sent = None
        if reply.status == 401 and not reply.left_origin:
            credential = self._auth.credential_for(self.base_url(ref))
            sent = credential.origin or "the credential store" if credential else None
        return registry_error(
            reply.status, tuple(codes), messages, ref, what, attempts=reply.attempts, sent=sent
        )

    # ------------------------------------------------------------------ manifests

    async def head_manifest(self, ref: Reference) -> tuple[str | None, str | None, int | None]:
        """(digest, media type, size) of what the tag or digest points to, via HEAD."""
        url = self._url(ref, "manifests", ref.target)
        reply = await self._get(
            "HEAD", url, ref, f"manifest {ref}", headers={"Accept": MANIFEST_ACCEPT}
        )
        if reply.status >= 400:
            raise self._error(reply, ref, f"manifest {ref}")
        digest = reply.headers.get("docker-content-digest")
        try:
            digest = validate_digest(digest, "Docker-Content-Digest") if digest else None
        except InvalidManifest:
            digest = None
        return digest, _media_type(reply), declared_length(reply.headers)

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
        what = f"manifest {ref}"
        reply = await self._get(
            "GET", url, ref, what, limit=MAX_MANIFEST_BYTES, headers={"Accept": MANIFEST_ACCEPT}
        )
        if reply.status >= 400:
            raise self._error(reply, ref, what)
        header = reply.headers.get("docker-content-digest")
        if header:
            try:
                validate_digest(header, "Docker-Content-Digest")
            except InvalidManifest:
                raise RegistryError(
                    f"{ref.registry} sent an invalid Docker-Content-Digest {quoted(header)}"
                ) from None
            verify_content(reply.body, header, f"{what} (Docker-Content-Digest)")
            digest = header
        else:
            digest = compute_digest(reply.body)
        if self.cache is not None:
            self.cache.put(digest, reply.body)
            self.cache.set_tag_hint(key, digest)
        return Fetched(reply.body, _media_type(reply), digest)

    async def _manifest_by_digest(self, ref: Reference, digest: str, size: int | None) -> Fetched:
        if self.cache is not None:
            cached = self.cache.get(digest, MAX_MANIFEST_BYTES)
            if cached is not None and (size is None or len(cached) == size):
                self.stats.add_cache_hit()
                return Fetched(cached, None, digest)
        url = self._url(ref, "manifests", digest)
        what = f"manifest {ref.name}@{digest}"
        reply = await self._get(
            "GET", url, ref, what, limit=MAX_MANIFEST_BYTES, headers={"Accept": MANIFEST_ACCEPT}
        )
        if reply.status >= 400:
            raise self._error(reply, ref, what)
        verify_content(reply.body, digest, what, size)
        if self.cache is not None:
            self.cache.put(digest, reply.body)
        return Fetched(reply.body, _media_type(reply), digest)

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
        what = f"blob {ref.name}@{digest}"
        reply = await self._get("GET", url, ref, what, limit=limit)
        if reply.status >= 400:
            raise self._error(reply, ref, what)
        verify_content(reply.body, digest, what, size)
        if self.cache is not None:
            self.cache.put(digest, reply.body)
        return reply.body

    async def blob_location(self, ref: Reference, digest: str) -> BlobLocation:
        """Where the blob is served from, without downloading it.

        ``HEAD``, redirects followed (the seed workflow's last step; hops that
        leave the registry go without credentials). A registry that refuses
        ``HEAD`` (405) is asked with a ``GET`` that does not follow its
        redirect and is not read; the redirect is then followed with ``HEAD``.
        """
        url = self._url(ref, "blobs", digest)
        what = f"blob {ref.name}@{digest}"
        reply = await self._get("HEAD", url, ref, what, kind="blob HEAD")
        redirected = reply.redirects > 0
        if reply.status == 405 and not redirected:
            reply = await self._get("GET", url, ref, what, kind="blob GET", follow=False)
            location = reply.headers.get("location") if reply.status in REDIRECTS else None
            if location is not None:
                start = httpx.URL(url)
                target = redirect_target(start, location, what)
                same = origin_of(target) == origin_of(start)
                reply = await self._get(
                    "HEAD", str(target), ref, what, kind="blob HEAD", credentials=same
                )
                redirected = True
        if reply.status >= 400 and not reply.left_origin:
            raise self._error(reply, ref, what)
        return BlobLocation(_strip_query(reply.url), reply.url.netloc.decode("ascii"), redirected)

    # ------------------------------------------------------------------ presence (verify)

    async def presence(self, ref: Reference, digest: str, *, manifest: bool = False) -> Presence:
        """Whether the repository holds this manifest or blob, and its length, without
        downloading it (:func:`~planner.transport.presence.presence`): a ``HEAD``; for a blob,
        a ranged ``GET`` of zero bytes when the ``HEAD`` is refused or tells no length."""
        url = self._url(ref, "manifests" if manifest else "blobs", digest)
        what = f"{'manifest' if manifest else 'blob'} {ref.name}@{digest}"
        noun = "manifest" if manifest else "blob"

        async def ask(method: str, headers: dict[str, str] | None) -> Reply:
            kind = f"{noun} HEAD" if method == "HEAD" else f"{noun} ranged GET"
            return await self._get(method, url, ref, what, kind=kind, headers=headers)

        accept = {"Accept": MANIFEST_ACCEPT} if manifest else None
        return await presence(ask, accept, ranged=not manifest)

    async def url_presence(self, url: str, registry: str) -> Presence:
        """:meth:`presence` of a foreign layer at one of its ``urls`` (no credentials go there)."""
        what = f"foreign layer {url}"

        async def ask(method: str, headers: dict[str, str] | None) -> Reply:
            kind = "foreign HEAD" if method == "HEAD" else "foreign ranged GET"
            return await self._sender.fetch(
                method,
                url,
                registry=registry,
                what=what,
                kind=kind,
                headers=headers,
                credentials=False,
            )

        return await presence(ask, None, ranged=True)
