"""Manifest documents: media types, descriptors, indexes, image manifests, configs.

Parsing is strict about what selection and planning rely on (digests, sizes,
media types, platform fields) and tolerant of everything else (unknown
fields, annotations). Schema 1 manifests are refused: they are deprecated and
carry no platform list. Documents larger than :data:`MAX_MANIFEST_BYTES` are
refused before parsing, as containerd does (``images.MaxManifestSize``).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from planner.model.arguments import check_argument, optional_argument
from planner.model.errors import DigestMismatch, InvalidManifest
from planner.model.platform import Platform
from planner.model.record import dataclass, field

__all__ = [
    "CONFIG_TYPES",
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "MAX_CONFIG_BYTES",
    "MAX_MANIFEST_BYTES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Descriptor",
    "ImageManifest",
    "Index",
    "compute_digest",
    "first_url",
    "load_json_object",
    "parse_config_platform",
    "parse_document",
    "url_host",
    "validate_digest",
    "verify_content",
]

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
CONFIG_TYPES = frozenset(
    {"application/vnd.docker.container.image.v1+json", "application/vnd.oci.image.config.v1+json"}
)
ATTESTATION_ANNOTATION = "vnd.docker.reference.type"
ZSTD_ANNOTATION = "io.github.containers.compression.zstd"

MAX_MANIFEST_BYTES = 4 << 20
"""containerd's limit for manifests and indexes (4 MiB)."""
MAX_CONFIG_BYTES = 16 << 20
"""Image configs carry history and can be larger than manifests; still capped."""

_DIGEST = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)")
_HEX_LENGTH = {"sha256": 64, "sha512": 128}


def validate_digest(value: Any, where: str) -> str:
    """Check an OCI digest string (``sha256:<64 hex>`` or ``sha512:<128 hex>``)."""
    if not isinstance(value, str):
        raise InvalidManifest(f"{where}: digest must be a string, not {type(value).__name__}")
    match = _DIGEST.fullmatch(value)
    if match is None:
        raise InvalidManifest(f"{where}: invalid digest {value!r}, expected algorithm:hex")
    algorithm, encoded = match.groups()
    length = _HEX_LENGTH.get(algorithm)
    if length is None:
        raise InvalidManifest(
            f"{where}: unsupported digest algorithm {algorithm!r} in {value!r} (sha256 or sha512)"
        )
    if len(encoded) != length or not re.fullmatch(r"[0-9a-f]+", encoded):
        raise InvalidManifest(
            f"{where}: invalid {algorithm} digest {value!r}: expected {length} lowercase hex digits"
        )
    return value


def compute_digest(data: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hexdigest`` of ``data``.

    SHA-256 of up to 1 MiB (a manifest, an index, a config) is computed by CPython's
    built-in implementation, the one :mod:`hashlib` falls back on: loading OpenSSL's
    bindings costs 2 ms, more than the built-in code takes on such a document; larger
    data goes to :mod:`hashlib` (OpenSSL is faster per byte)."""
    if algorithm == "sha256" and len(data) <= _BUILTIN_MAX:
        builtin = _builtin_sha256()
        if builtin is not None:
            return f"sha256:{builtin(data).hexdigest()}"
    import hashlib

    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


_BUILTIN_MAX = 1 << 20


def _builtin_sha256() -> Any:
    """CPython's built-in SHA-256 constructor (``_sha2`` from 3.12, ``_sha256`` before),
    or None where the interpreter has none."""
    for module in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(module).sha256
        except (ImportError, AttributeError):
            continue
    return None


def verify_content(data: bytes, digest: str, where: str, size: int | None = None) -> None:
    """Raise DigestMismatch unless ``data`` hashes to ``digest`` (and has ``size``)."""
    if size is not None and len(data) != size:
        raise DigestMismatch(
            f"{where}: size mismatch for {digest}: descriptor says {size} bytes, got {len(data)}"
        )
    algorithm = digest.partition(":")[0]
    actual = compute_digest(data, algorithm)
    if actual != digest:
        raise DigestMismatch(f"{where}: content does not match its digest {digest} (got {actual})")


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: an index entry, a config or a layer."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    urls: tuple[str, ...] = ()
    artifact_type: str = ""

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Descriptor:
        if not isinstance(obj, Mapping):
            raise InvalidManifest(f"{where}: descriptor must be an object")
        media_type = obj.get("mediaType")
        if not isinstance(media_type, str) or not media_type:
            raise InvalidManifest(f"{where}: descriptor has no mediaType")
        digest = validate_digest(obj.get("digest"), where)
        size = obj.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidManifest(f"{where}: size must be a non-negative integer, not {size!r}")
        platform = None
        if obj.get("platform") is not None:
            platform = Platform.from_oci(obj["platform"], where)
        annotations = obj.get("annotations") or {}
        if not isinstance(annotations, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
        ):
            raise InvalidManifest(f"{where}: annotations must map strings to strings")
        urls = obj.get("urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise InvalidManifest(f"{where}: urls must be an array of strings")
        artifact_type = obj.get("artifactType") or ""
        if not isinstance(artifact_type, str):
            raise InvalidManifest(f"{where}: artifactType must be a string")
        return cls(
            media_type=media_type,
            digest=digest,
            size=size,
            platform=platform,
            annotations=MappingProxyType(dict(annotations)),
            urls=tuple(urls),
            artifact_type=artifact_type,
        )

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def is_manifest(self) -> bool:
        return self.media_type in MANIFEST_TYPES

    @property
    def is_attestation(self) -> bool:
        """BuildKit attestation manifest (``vnd.docker.reference.type``)."""
        return self.annotations.get(ATTESTATION_ANNOTATION) == "attestation-manifest"

    @property
    def is_zstd(self) -> bool:
        """containers/image marks zstd instances with an annotation."""
        return self.annotations.get(ZSTD_ANNOTATION) == "true"

    def summary(self) -> dict[str, Any]:
        """``{"digest", "mediaType", "size"}`` for JSON output."""
        return {"digest": self.digest, "mediaType": self.media_type, "size": self.size}


@dataclass(frozen=True)
class _Document:
    """What every parsed manifest document has: its type, digest and size."""

    media_type: str
    digest: str
    size: int

    @property
    def descriptor(self) -> Descriptor:
        """A descriptor pointing at this document."""
        return Descriptor(self.media_type, self.digest, self.size)


@dataclass(frozen=True)
class Index(_Document):
    """A Docker manifest list or OCI image index."""

    manifests: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ImageManifest(_Document):
    """A Docker v2 schema 2 or OCI image manifest."""

    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def load_json_object(data: bytes, where: str, limit: int) -> dict[str, Any]:
    """A JSON object from at most ``limit`` bytes; every problem is one InvalidManifest line.

    Hostile documents cannot crash the parser: nesting deeper than the
    interpreter's recursion limit and integers of more than 4300 digits are
    errors like any other syntax error.
    """
    if len(data) > limit:
        raise InvalidManifest(
            f"{where}: document is {len(data)} bytes, more than the {limit}-byte limit"
        )
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidManifest(f"{where}: not UTF-8 JSON (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InvalidManifest(
            f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidManifest(f"{where}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise InvalidManifest(f"{where}: not valid JSON: {str(exc).split(';')[0]}") from None
    if not isinstance(obj, dict):
        raise InvalidManifest(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def parse_document(
    data: bytes,
    where: str,
    *,
    digest: str | None = None,
    media_type: str | None = None,
) -> Index | ImageManifest:
    """Parse an index or image manifest.

    ``digest`` is the digest the document was addressed by (its algorithm is
    used to describe it); otherwise its sha256 is computed. ``media_type`` is
    the Content-Type it was served with, used only when the document does not
    name its own.
    """
    if not isinstance(data, bytes) or not isinstance(where, str):
        check_argument(data, bytes, "data", "bytes")
        check_argument(where, str, "where", "a string naming the document")
    optional_argument(digest, str, "digest", "a digest string")
    optional_argument(media_type, str, "media_type", "a media type string")
    obj = load_json_object(data, where, MAX_MANIFEST_BYTES)
    schema = obj.get("schemaVersion")
    declared = obj.get("mediaType")
    if schema == 1 or declared in DOCKER_SCHEMA1 or media_type in DOCKER_SCHEMA1:
        raise InvalidManifest(
            f"{where}: Docker schema 1 manifests are deprecated and not supported;"
            " push the image again with a current client"
        )
    if schema is not None and schema != 2:
        raise InvalidManifest(f"{where}: unsupported schemaVersion {schema!r} (expected 2)")
    if declared is not None and not isinstance(declared, str):
        raise InvalidManifest(f"{where}: mediaType must be a string")
    kind = declared or (media_type if media_type in INDEX_TYPES | MANIFEST_TYPES else None)
    if kind is None:
        # OCI documents may omit mediaType; tell them apart by shape.
        if "manifests" in obj:
            kind = OCI_INDEX
        elif "config" in obj and "layers" in obj:
            kind = OCI_MANIFEST
    if kind is None:
        raise InvalidManifest(
            f"{where}: not a manifest list, index or image manifest: it has no mediaType, and"
            " neither a 'manifests' array nor 'config' and 'layers'"
        )
    if kind not in INDEX_TYPES | MANIFEST_TYPES:
        known = ", ".join(sorted(INDEX_TYPES | MANIFEST_TYPES))
        raise InvalidManifest(f"{where}: unknown media type {kind!r}; expected one of {known}")
    annotations = obj.get("annotations") or {}
    if not isinstance(annotations, Mapping):
        raise InvalidManifest(f"{where}: annotations must be an object")
    doc_digest = digest or compute_digest(data)
    if kind in INDEX_TYPES:
        entries = obj.get("manifests")
        if not isinstance(entries, list):
            raise InvalidManifest(f"{where}: an index needs a 'manifests' array")
        return Index(
            media_type=kind,
            manifests=tuple(
                Descriptor.from_json(entry, f"{where}: manifests[{i}]")
                for i, entry in enumerate(entries)
            ),
            digest=doc_digest,
            size=len(data),
            annotations=MappingProxyType(dict(annotations)),
        )
    layers = obj.get("layers")
    if not isinstance(layers, list):
        raise InvalidManifest(f"{where}: an image manifest needs a 'layers' array")
    return ImageManifest(
        media_type=kind,
        config=Descriptor.from_json(obj.get("config"), f"{where}: config"),
        layers=tuple(
            Descriptor.from_json(layer, f"{where}: layers[{i}]") for i, layer in enumerate(layers)
        ),
        digest=doc_digest,
        size=len(data),
        annotations=MappingProxyType(dict(annotations)),
    )


def parse_config_platform(data: bytes, where: str) -> Platform:
    """The platform an image config declares (its top-level os/architecture fields)."""
    obj = load_json_object(data, where, MAX_CONFIG_BYTES)
    return Platform.from_oci(obj, where)


def url_host(url: str) -> str:
    """The host (and port) of a foreign layer's URL, never its userinfo; "" when the URL
    does not parse (``http://[::1``: the image's text, not a host to name)."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2]
    except ValueError:
        return ""


def first_url(urls: Sequence[str]) -> str | None:
    """The first of a foreign layer's URLs that parses: engines try them in order,
    and one that does not parse is no place to fetch from."""
    return next((url for url in urls if url_host(url)), None)
