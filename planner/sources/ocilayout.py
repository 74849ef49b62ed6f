"""OCI image layout directories (``oci:DIR[:TAG|@DIGEST]``).

Layout per the OCI image spec ``image-layout.md``: an ``oci-layout`` file,
``index.json``, and ``blobs/<algorithm>/<encoded>``. Every blob read is
verified against its digest and descriptor size; blobs that are absent (layers
are often left out) are fine until something needs them.

Which document SOURCE names, as skopeo's ``oci:`` transport decides it:
``@DIGEST`` names a blob; ``:TAG`` the ``index.json`` entry whose
``org.opencontainers.image.ref.name`` is TAG; with neither, the only entry of
``index.json``, or ``index.json`` itself when its entries carry no names.
"""

from __future__ import annotations

from pathlib import Path

from planner.model.errors import InvalidManifest, InvalidSource
from planner.model.files import path_kind
from planner.model.manifest import (
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    Descriptor,
    ImageManifest,
    Index,
    load_json_object,
    parse_document,
    validate_digest,
    verify_content,
)
from planner.sources.base import Source, read_local

__all__ = ["OciLayoutSource"]

REF_NAME = "org.opencontainers.image.ref.name"
MAX_LAYOUT_FILE = 4 << 20
"""``oci-layout`` and ``index.json`` larger than 4 MiB are refused."""


class OciLayoutSource(Source):
    """An OCI image layout on disk."""

    def __init__(self, root: Path, tag: str | None = None, digest: str | None = None) -> None:
        super().__init__()
        self.root = root
        self.tag = tag
        self.digest = digest
        suffix = f":{tag}" if tag else f"@{digest}" if digest else ""
        self.name = f"oci:{root}{suffix}"
        self._check_layout()
        self._top: tuple[Index | ImageManifest, Descriptor] | None = None
        self._documents: dict[tuple[str, str], Index | ImageManifest] = {}

    @classmethod
    def from_spec(cls, spec: str) -> OciLayoutSource:
        """Parse ``oci:DIR[:TAG|@DIGEST]``."""
        rest = spec[len("oci:") :]
        tag = digest = None
        if "@" in rest:
            rest, digest = rest.rsplit("@", 1)
            validate_digest(digest, spec)
        elif ":" in rest:
            head, candidate = rest.rsplit(":", 1)
            if candidate and "/" not in candidate:
                rest, tag = head, candidate
        if not rest:
            raise InvalidSource(f"{spec!r}: no directory given, expected oci:DIR[:TAG|@DIGEST]")
        return cls(Path(rest), tag, digest)

    def _check_layout(self) -> None:
        if path_kind(self.root) != "directory":
            raise InvalidSource(f"{self.name}: no such directory {str(self.root)!r}")
        marker = self.root / "oci-layout"
        if path_kind(marker) == "missing":
            raise InvalidSource(f"{self.name}: not an OCI image layout ({marker} is missing)")
        data = load_json_object(
            read_local(marker, MAX_LAYOUT_FILE, self.name), str(marker), MAX_LAYOUT_FILE
        )
        if data.get("imageLayoutVersion") != "1.0.0":
            raise InvalidManifest(
                f"{self.name}: {marker} does not declare imageLayoutVersion 1.0.0"
            )

    def _index_json(self) -> Index:
        path = self.root / "index.json"
        data = read_local(path, MAX_LAYOUT_FILE, self.name)
        document = parse_document(data, str(path), media_type=OCI_INDEX)
        if not isinstance(document, Index):
            raise InvalidManifest(f"{path}: must be an image index")
        return document

    def read_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        """The document SOURCE names, found and parsed once per source."""
        if self._top is None:
            self._top = self._find_top()
        return self._top

    def _find_top(self) -> tuple[Index | ImageManifest, Descriptor]:
        index = self._index_json()
        if self.digest:
            listed = [d for d in index.manifests if d.digest == self.digest]
            data = self._blob_bytes(
                self.digest, MAX_MANIFEST_BYTES, listed[0].size if listed else None
            )
            document = parse_document(
                data,
                f"{self.name}",
                digest=self.digest,
                media_type=listed[0].media_type if listed else None,
            )
            return document, document.descriptor
        if self.tag:
            named = [d for d in index.manifests if d.annotations.get(REF_NAME) == self.tag]
            if not named:
                raise InvalidSource(
                    f"{self.name}: no image named {self.tag!r}; {self._names(index)}"
                )
            if len(named) > 1:
                raise InvalidSource(f"{self.name}: {len(named)} entries are named {self.tag!r}")
            return self.read_document(named[0]), named[0]
        if len(index.manifests) == 1:
            return self.read_document(index.manifests[0]), index.manifests[0]
        if any(REF_NAME in d.annotations for d in index.manifests):
            raise InvalidSource(
                f"{self.name}: index.json lists {len(index.manifests)} images; choose one with"
                f" oci:DIR:TAG ({self._names(index)})"
            )
        return index, index.descriptor

    @staticmethod
    def _names(index: Index) -> str:
        names = sorted(
            {d.annotations[REF_NAME] for d in index.manifests if REF_NAME in d.annotations}
        )
        return f"names: {', '.join(names)}" if names else "index.json names no images"

    def _blob_path(self, digest: str) -> Path:
        algorithm, _, encoded = digest.partition(":")
        return self.root / "blobs" / algorithm / encoded

    def _blob_bytes(self, digest: str, limit: int, size: int | None) -> bytes:
        path = self._blob_path(digest)
        data = read_local(path, limit, self.name, missing=f"blob {digest} is missing ({path})")
        verify_content(data, digest, f"{self.name}", size)
        return data

    def read_document(self, descriptor: Descriptor) -> Index | ImageManifest:
        """A blob by descriptor, read, verified and parsed once per source."""
        key = (descriptor.digest, descriptor.media_type)
        done = self._documents.get(key)
        if done is None:
            data = self._blob_bytes(descriptor.digest, MAX_MANIFEST_BYTES, descriptor.size)
            done = self._documents[key] = self._parse(data, descriptor)
        return done

    def _parse(self, data: bytes, descriptor: Descriptor) -> Index | ImageManifest:
        return parse_document(
            data,
            f"{self.name}: {descriptor.digest}",
            digest=descriptor.digest,
            media_type=descriptor.media_type,
        )

    def blob_url(self, digest: str) -> str | None:
        """The blob's file in the layout; None when the layout does not hold it."""
        path = self._blob_path(digest)
        return str(path) if path.is_file() else None

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes | None:
        if not self._blob_path(descriptor.digest).is_file():
            return None
        return self._blob_bytes(descriptor.digest, limit, descriptor.size)
