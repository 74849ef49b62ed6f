"""The interface every source implements."""

from __future__ import annotations

import abc

from planner.manifest import Descriptor, ImageManifest, Index

__all__ = ["Source"]


class Source(abc.ABC):
    """A place to read an index or manifest from, and the documents it points to."""

    name: str
    """How the source is shown to users (the SOURCE argument)."""

    @abc.abstractmethod
    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The document SOURCE names, and a descriptor of it."""

    @property
    def can_read_children(self) -> bool:
        """Whether documents referenced by digest can be read from this source."""
        return True

    @abc.abstractmethod
    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A manifest or index by descriptor, verified against its digest and size."""

    @abc.abstractmethod
    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        """A blob (e.g. an image config) verified against its descriptor; None if absent."""

    def read_index(self, descriptor: Descriptor) -> Index:
        """A nested index by descriptor."""
        document = self.read_document(descriptor)
        if not isinstance(document, Index):
            from planner.errors import InvalidManifest

            raise InvalidManifest(
                f"{self.name}: {descriptor.digest} is listed as {descriptor.media_type}"
                f" but is an image manifest"
            )
        return document
