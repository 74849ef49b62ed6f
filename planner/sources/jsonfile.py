"""A manifest list, index or image manifest saved as JSON (a file or stdin).

This is the ``curl -H 'Accept: ...' https://REGISTRY/v2/REPO/manifests/TAG``
output of the seed workflow, byte for byte. Documents it points to (image
manifests, nested indexes, configs) are read from files saved next to it and
named by digest: ``sha256:<hex>.json``, ``sha256:<hex>``, ``sha256-<hex>.json``
or ``<hex>.json``, each verified against its digest. From stdin there are none.
"""

from __future__ import annotations

from pathlib import Path

from planner.model.errors import SourceError
from planner.model.files import read_stdin
from planner.model.manifest import (
    MAX_MANIFEST_BYTES,
    Descriptor,
    ImageManifest,
    Index,
    parse_document,
    verify_content,
)
from planner.sources.base import Source, read_local

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
        self._top: tuple[Index | ImageManifest, Descriptor] | None = None
        self._documents: dict[tuple[str, str], Index | ImageManifest] = {}

    @classmethod
    def from_stdin(cls) -> JsonFileSource:
        data = read_stdin(MAX_MANIFEST_BYTES + 1, "SOURCE -")
        return cls(None, data, name="-")

    def _read(self) -> bytes:
        if self._data is None:
            assert self.path is not None
            self._data = read_local(self.path, MAX_MANIFEST_BYTES, self.name)
        return self._data

    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The saved document, parsed once (documents are immutable values)."""
        if self._top is None:
            document = parse_document(self._read(), self.name)
            self._top = (document, document.descriptor)
        return self._top

    @property
    def can_read_children(self) -> bool:
        return self.path is not None

    def _sibling(self, digest: str) -> Path | None:
        if self.path is None:
            return None
        algorithm, _, encoded = digest.partition(":")
        for name in (f"{digest}.json", digest, f"{algorithm}-{encoded}.json", f"{encoded}.json"):
            candidate = self.path.parent / name
            if candidate.is_file():
                return candidate
        return None

    def _read_sibling(self, descriptor: Descriptor, limit: int) -> bytes | None:
        path = self._sibling(descriptor.digest)
        if path is None:
            return None
        data = read_local(path, limit, self.name)
        verify_content(data, descriptor.digest, str(path), descriptor.size)
        return data

    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A sibling by digest, read, verified and parsed once per source."""
        key = (descriptor.digest, descriptor.media_type)
        done = self._documents.get(key)
        if done is None:
            done = self._documents[key] = self._parse_sibling(descriptor)
        return done

    def _parse_sibling(self, descriptor: Descriptor) -> Index | ImageManifest:
        data = self._read_sibling(descriptor, MAX_MANIFEST_BYTES)
        if data is None:
            where = f"next to {self.path}" if self.path else "(standard input holds one document)"
            raise SourceError(
                f"{self.name}: {descriptor.digest} is needed but not saved {where}; save it as"
                f" {descriptor.digest}.json (curl .../manifests/{descriptor.digest}), or use the"
                " registry or an OCI layout as SOURCE"
            )
        return parse_document(
            data,
            str(self._sibling(descriptor.digest)),
            digest=descriptor.digest,
            media_type=descriptor.media_type,
        )

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        return self._read_sibling(descriptor, limit)
