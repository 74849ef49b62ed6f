"""A registry reference as a source (``ghcr.io/org/app:1.0``, ``localhost:5000/x@sha256:...``).

The Source interface is synchronous; underneath, a :class:`RegistrySession`
(one event loop, one :class:`~planner.transport.client.RegistryClient`) serves the run,
so that connections, tokens and documents are shared between the sources of a
session, and independent fetches run concurrently
(:meth:`RegistrySource.read_documents`, :meth:`RegistrySession.gather`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from planner.model.errors import InvalidManifest, RegistryError
from planner.model.manifest import Descriptor, ImageManifest, Index, parse_document
from planner.model.reference import Reference
from planner.sources.base import Source
from planner.transport.client import RegistryClient
from planner.transport.options import BlobLocation, Presence, RegistryOptions
from planner.transport.stats import Stats

__all__ = ["RegistrySession", "RegistrySource"]

T = TypeVar("T")
PRESENCE_CONCURRENCY = 32
"""Presence requests (verify) in flight at once on a session; the sender keeps more idle
connections than this (:data:`planner.transport.sender.KEEP_ALIVE`), so each reuses one."""


class RegistrySession:
    """One event loop and one :class:`RegistryClient` for a run.

    Every source made from a session shares its connections, tokens, stats
    and the documents read so far (by digest: content-addressed, verified),
    and fetches of the same digest that overlap are made once.
    """

    def __init__(self, options: RegistryOptions | None = None) -> None:
        self.stats = Stats()
        self.loop = asyncio.new_event_loop()
        self.client = RegistryClient(options, self.stats)
        self.documents: dict[str, Index | ImageManifest] = {}
        self.pending: dict[str, asyncio.Task[Index | ImageManifest]] = {}
        self.blobs: dict[str, bytes] = {}
        """Small blobs (configs) read so far, verified, by digest."""
        self.locations: dict[str, BlobLocation] = {}
        self.presences: dict[tuple[str, str, str], Presence] = {}
        """What was asked of (endpoint, repository, digest) so far (verify): each once a run."""
        self._asking: asyncio.Semaphore | None = None

    async def presence(
        self, key: tuple[str, str, str], ask: Coroutine[Any, Any, Presence]
    ) -> Presence:
        """``ask`` once per key and run, at most :data:`PRESENCE_CONCURRENCY` at a time; a
        registry error (a timeout, the deadline, a refusal) is an ``unknown`` answer."""
        known = self.presences.get(key)
        if known is not None:
            ask.close()
            return known
        if self._asking is None:
            self._asking = asyncio.Semaphore(PRESENCE_CONCURRENCY)
        async with self._asking:
            try:
                answer = await ask
            except RegistryError as exc:
                answer = Presence("unknown", None, str(exc))
        self.presences[key] = answer
        return answer

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def gather(self, coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
        """Run coroutines concurrently; results in order."""

        async def all_of() -> list[T]:
            return list(await asyncio.gather(*coroutines))

        return self.run(all_of())

    def source(self, reference: Reference) -> RegistrySource:
        return RegistrySource(reference, session=self)

    def close(self) -> None:
        if not self.loop.is_closed():
            self.run(self.client.aclose())
            self.run(self.loop.shutdown_asyncgens())  # as asyncio.run does
            self.loop.close()

    def __enter__(self) -> RegistrySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RegistrySource(Source):
    """Reads an image reference through the Distribution API."""

    def __init__(
        self,
        reference: Reference,
        options: RegistryOptions | None = None,
        *,
        session: RegistrySession | None = None,
    ) -> None:
        super().__init__()
        self.reference = reference
        self.name = str(reference)
        self._owns_session = session is None
        self.session = session or RegistrySession(options)
        self.stats = self.session.stats
        self.client = self.session.client
        self._top: tuple[Index | ImageManifest, Descriptor] | None = None

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.session.run(coroutine)

    @property
    def endpoint(self) -> str:
        return self.reference.endpoint

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # ------------------------------------------------------------------ documents

    @property
    def has_top(self) -> bool:
        """Whether the top document was read (and is held)."""
        return self._top is not None

    async def top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The reference's own document (fetched once)."""
        if self._top is None:
            document = await self._fetch(None)
            self._top = (document, document.descriptor)
        return self._top

    async def document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A document by descriptor; concurrent requests for one digest share one fetch."""
        session = self.session
        if descriptor.digest in session.documents:
            return session.documents[descriptor.digest]
        task = session.pending.get(descriptor.digest)
        if task is None:
            task = asyncio.ensure_future(self._fetch(descriptor))
            session.pending[descriptor.digest] = task
        try:
            return await task
        finally:
            session.pending.pop(descriptor.digest, None)

    async def _fetch(self, descriptor: Descriptor | None) -> Index | ImageManifest:
        if descriptor is None:
            fetched = await self.client.manifest(self.reference)
            where = f"{self.reference}"
        else:
            fetched = await self.client.manifest(
                self.reference, digest=descriptor.digest, size=descriptor.size
            )
            where = f"{self.reference.name}@{descriptor.digest}"
        document = parse_document(
            fetched.data,
            where,
            digest=fetched.digest,
            media_type=fetched.media_type or (descriptor.media_type if descriptor else None),
        )
        if (
            descriptor is not None
            and document.media_type != descriptor.media_type
            and (descriptor.is_index or descriptor.is_manifest)
        ):
            raise InvalidManifest(
                f"{where}: listed as {descriptor.media_type} but is {document.media_type}"
            )
        self.session.documents[document.digest] = document
        return document

    def head_top(self) -> str | None:
        """The digest the reference points to, by one ``HEAD`` (None when the registry does
        not say): enough to tell that two endpoints serve the same copy."""
        if self._top is not None:
            return self._top[1].digest
        digest, _, _ = self._run(self.client.head_manifest(self.reference))
        return digest

    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The top document; once read, without running the event loop again."""
        if self._top is not None:
            return self._top
        return self._run(self.top())

    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A document by descriptor; one the session holds is returned without the event loop."""
        held = self.session.documents.get(descriptor.digest)
        if held is not None:
            return held
        return self._run(self.document(descriptor))

    def read_documents(self, descriptors: Sequence[Descriptor]) -> list[Index | ImageManifest]:
        """Several documents at once, each distinct digest fetched once, concurrently."""
        return self.session.gather(self.document(d) for d in descriptors)

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        blobs = self.session.blobs
        if descriptor.digest not in blobs:
            blobs[descriptor.digest] = self._run(
                self.client.blob(self.reference, descriptor.digest, descriptor.size, limit)
            )
        return blobs[descriptor.digest]

    @property
    def registry_host(self) -> str:
        return self.reference.api_host

    def blob_url(self, digest: str) -> str:
        return (
            f"{self.client.base_url(self.reference)}/v2/{self.reference.repository}/blobs/{digest}"
        )

    def blob_locations(self, digests: Sequence[str]) -> dict[str, BlobLocation]:
        """Where each blob is served from, asked concurrently (8 at a time), each digest once a run."""
        known = self.session.locations
        limit = asyncio.Semaphore(8)

        async def one(digest: str) -> None:
            async with limit:
                known[digest] = await self.client.blob_location(self.reference, digest)

        unique = list(dict.fromkeys(digests))
        self.session.gather(one(d) for d in unique if d not in known)
        return {d: known[d] for d in unique}

    # ------------------------------------------------------------------ presence (verify)

    async def presence(self, descriptor: Descriptor, *, manifest: bool = False) -> Presence:
        """Whether this repository holds the manifest or blob (:meth:`RegistryClient.presence`),
        asked once per (endpoint, repository, digest) a run."""
        key = (self.endpoint, self.reference.repository, descriptor.digest)
        ask = self.client.presence(self.reference, descriptor.digest, manifest=manifest)
        return await self.session.presence(key, ask)

    async def url_presence(self, url: str, digest: str) -> Presence:
        """A foreign layer at ``url`` (:meth:`RegistryClient.url_presence`), once per URL and digest."""
        ask = self.client.url_presence(url, self.reference.registry)
        return await self.session.presence((url, "", digest), ask)
