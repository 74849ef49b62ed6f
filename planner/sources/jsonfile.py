"""A manifest list, index or image manifest saved as JSON (a file or stdin).

This is the ``curl -H 'Accept: ...' https://REGISTRY/v2/REPO/manifests/TAG``
output of the seed workflow, byte for byte. The documents it points to are
not available, so nested indexes are not followed and a single image's
platform is unknown.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.errors import SourceError
from planner.manifest import MAX_MANIFEST_BYTES, Descriptor, ImageManifest, Index, parse_document
from planner.sources.base import Source

__all__ = ["JsonFileSource"]


class JsonFileSource(Source):
    """One saved JSON document."""

    def __init__(
        self, path: Path | None, data: bytes | None = None, name: str | None = None
    ) -> None:
        super().__init__()
        self.path = path
        self._data = data
        self.name = name or str(path)

    @classmethod
    def from_stdin(cls) -> JsonFileSource:
        data = sys.stdin.buffer.read(MAX_MANIFEST_BYTES + 1)
        return cls(None, data, name="-")

    def _read(self) -> bytes:
        if self._data is None:
            assert self.path is not None
            try:
                with self.path.open("rb") as handle:
                    self._data = handle.read(MAX_MANIFEST_BYTES + 1)
            except OSError as exc:
                raise SourceError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        return self._data

    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        document = parse_document(self._read(), self.name)
        return document, document.descriptor

    @property
    def can_read_children(self) -> bool:
        return False

    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        raise SourceError(
            f"{self.name}: a saved JSON file holds one document; {descriptor.digest} is not in it"
        )

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        return None
