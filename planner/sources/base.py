"""The interface every source implements."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from planner.model.errors import InvalidInput, InvalidManifest, SourceError
from planner.model.files import path_kind, read_capped
from planner.model.manifest import Descriptor, ImageManifest, Index
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.transport.options import BlobLocation

__all__ = ["Source", "read_local"]


def read_local(path: Path, limit: int, source: str, *, missing: str | None = None) -> bytes:
    """At most ``limit`` bytes of a regular local file; errors name the source and the file.

    A missing file is a SourceError (``missing`` says what it should have been);
    a file that is not regular or is too large is InvalidManifest.
    """
    if missing is not None and path_kind(path) == "missing":
        raise SourceError(f"{source}: {missing}")
    return read_capped(
        path, limit, error=SourceError, invalid=InvalidManifest, what=f"{source}: {path}"
    )


class Source(abc.ABC):
    """A place to read an index or manifest from, and the documents it points to.

    Sources are context managers; :meth:`close` releases connections.
    """

    name: str
    """How the source is shown to users (the SOURCE argument)."""

    def __init__(self) -> None:
        self.stats = Stats()

    @abc.abstractmethod
    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The document SOURCE names, and a descriptor of it."""

    def head_top(self) -> str | None:
        """The top document's digest by the cheapest request the source has (a registry:
        one ``HEAD``); None when it cannot say without reading the document."""
        return None

    @property
    def endpoint(self) -> str:
        """``HOST:PORT`` a registry source asks; '' for files and layouts."""
        return ""

    @property
    def can_read_children(self) -> bool:
        """Whether documents referenced by digest can be read from this source."""
        return True

    @abc.abstractmethod
    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A manifest or index by descriptor, verified against its digest and size."""

    def read_documents(self, descriptors: Sequence[Descriptor]) -> list[Index | ImageManifest]:
        """Several documents; sources that can, fetch them concurrently."""
        return [self.read_document(d) for d in descriptors]

    @abc.abstractmethod
    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        """A blob (e.g. an image config) verified against its descriptor; None if absent."""

    def read_index(self, descriptor: Descriptor) -> Index:
        """A nested index by descriptor."""
        document = self.read_document(descriptor)
        if not isinstance(document, Index):
            raise InvalidManifest(
                f"{self.name}: {descriptor.digest} is listed as {descriptor.media_type}"
                " but is an image manifest"
            )
        return document

    @property
    def registry_host(self) -> str | None:
        """The host manifests and blobs are requested from, for registry sources."""
        return None

    def blob_url(self, digest: str) -> str | None:
        """Where the client requests a blob (before any redirect), when known."""
        return None

    def blob_locations(self, digests: Sequence[str]) -> dict[str, BlobLocation]:
        """Where each blob is really served from (following redirects); registry sources only."""
        raise InvalidInput(f"blob locations need a registry SOURCE; {self.name} is not one")

    def close(self) -> None:  # noqa: B027 - an optional hook: most sources hold nothing
        """Release what the source holds (connections); reading afterwards is an error."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
