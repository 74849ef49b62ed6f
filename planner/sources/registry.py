"""A registry reference as a source (``ghcr.io/org/app:1.0``, ``localhost:5000/x@sha256:...``).

The Source interface is synchronous; underneath, one event loop and one
:class:`~planner.registry.RegistryClient` serve the whole run, so that
connections, tokens and the in-memory document store are shared, and
:meth:`RegistrySource.read_documents` fetches several manifests concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from planner.errors import InvalidManifest
from planner.manifest import Descriptor, ImageManifest, Index, parse_document
from planner.reference import Reference
from planner.registry import BlobLocation, RegistryClient, RegistryOptions
from planner.sources.base import Source

__all__ = ["RegistrySource"]

T = TypeVar("T")


class RegistrySource(Source):
    """Reads an image reference through the Distribution API."""

    def __init__(self, reference: Reference, options: RegistryOptions | None = None) -> None:
        super().__init__()
        self.reference = reference
        self.name = str(reference)
        self._loop = asyncio.new_event_loop()
        self.client = RegistryClient(options, self.stats)
        self._documents: dict[str, Index | ImageManifest] = {}
        self._top: tuple[Index | ImageManifest, Descriptor] | None = None

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._run(self.client.aclose())
            self._loop.close()

    # ------------------------------------------------------------------ documents

    async def _document(self, descriptor: Descriptor | None) -> Index | ImageManifest:
        """The reference's own document (descriptor None) or one it points to."""
        if descriptor is not None and descriptor.digest in self._documents:
            return self._documents[descriptor.digest]
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
        self._documents[document.digest] = document
        return document

    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        if self._top is None:
            document = self._run(self._document(None))
            self._top = (document, document.descriptor)
        return self._top

    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        return self._run(self._document(descriptor))

    def read_documents(self, descriptors: Sequence[Descriptor]) -> list[Index | ImageManifest]:
        """Several documents at once, each distinct digest fetched once, concurrently."""
        unique = {d.digest: d for d in descriptors}

        async def fetch_all() -> dict[str, Index | ImageManifest]:
            results = await asyncio.gather(*(self._document(d) for d in unique.values()))
            return dict(zip(unique, results, strict=True))

        by_digest = self._run(fetch_all())
        return [by_digest[d.digest] for d in descriptors]

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        return self._run(
            self.client.blob(self.reference, descriptor.digest, descriptor.size, limit)
        )

    @property
    def registry_host(self) -> str:
        return self.reference.api_host

    def blob_url(self, digest: str) -> str:
        return (
            f"{self.client.base_url(self.reference)}/v2/{self.reference.repository}/blobs/{digest}"
        )

    def blob_locations(self, digests: Sequence[str]) -> dict[str, BlobLocation]:
        """Where each blob is served from, asked concurrently (at most 8 at a time)."""
        limit = asyncio.Semaphore(8)

        async def one(digest: str) -> BlobLocation:
            async with limit:
                return await self.client.blob_location(self.reference, digest)

        async def all_of() -> list[BlobLocation]:
            return await asyncio.gather(*(one(d) for d in dict.fromkeys(digests)))

        unique = list(dict.fromkeys(digests))
        return dict(zip(unique, self._run(all_of()), strict=True))
