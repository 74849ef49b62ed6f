"""Where indexes and manifests come from: saved JSON files, OCI image layouts, registries.

:func:`open_source` turns a SOURCE argument into a :class:`Source`, after
:func:`source_kind` has decided, in one place, what the argument names:

* ``-``: a manifest list, index or manifest as JSON on standard input;
* ``oci:DIR[:TAG|@DIGEST]`` or a directory holding an ``oci-layout`` file: an OCI image layout;
* a path to a file: a manifest list, index or manifest as JSON, exactly as a registry returns it;
* anything else that parses as an image reference (``ubuntu``,
  ``ghcr.io/org/app:1.0@sha256:...``): read from its registry through the
  Distribution API (:mod:`planner.sources.remote`, which is the only part that
  imports httpx). A missing SOURCE that looks like a path is an error, not a
  registry reference; to mean a registry, write its host (``docker.io/examples/x``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from planner.model.arguments import check_argument
from planner.model.errors import InvalidInput, InvalidReference, InvalidSource
from planner.model.files import path_kind
from planner.model.reference import Reference
from planner.sources.base import Source
from planner.sources.jsonfile import JsonFileSource
from planner.sources.ocilayout import OciLayoutSource

if TYPE_CHECKING:
    from planner.sources.remote import RegistrySession
    from planner.transport.options import RegistryOptions

__all__ = [
    "JsonFileSource",
    "OciLayoutSource",
    "Source",
    "SourceKind",
    "check_registry",
    "is_registry_spec",
    "open_source",
    "source_kind",
    "source_reference",
]

SourceKind = Literal["stdin", "oci-layout", "json-file", "registry"]


_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}$")


def _looks_like_path(spec: str) -> bool:
    """A spec that names a local file, whether or not it exists.

    ``./x``, ``/x``, ``~/x``; a last component with a file extension (``tag.json``;
    a tag after ``:`` is not looked at); or a first component that is an existing
    folder here and not a registry host (``examples/webap``: Docker would read
    ``docker.io/examples/webap``, write that to mean the registry).
    """
    if spec.startswith((".", "/", "~")):
        return True
    repository = spec.split("@", 1)[0]
    last = repository.rsplit("/", 1)[-1].split(":", 1)[0]
    if _EXTENSION.search(last):
        return True
    first, sep, _ = spec.partition("/")
    registry_host = "." in first or ":" in first or first == "localhost"
    return bool(sep) and not registry_host and path_kind(Path(first)) == "directory"


def _missing(spec: str) -> InvalidSource:
    hint = ""
    head, sep, tag = spec.rpartition(":")
    if sep and head and "/" not in tag and path_kind(Path(head) / "oci-layout") == "file":
        hint = f" (an OCI layout's tag is written oci:{spec})"
    return InvalidSource(f"{spec!r}: no such file or directory{hint}")


def source_kind(spec: str) -> SourceKind:
    """What a SOURCE argument names; raises InvalidSource/InvalidReference when nothing.

    Local things win: a path that exists is read as a path, and a spec that
    looks like a path (see :func:`_looks_like_path`) but does not exist is "no
    such file or directory", never a registry reference. Anything else must be
    an image reference.
    """
    if not isinstance(spec, str):
        raise InvalidSource(f"SOURCE must be a string, not {type(spec).__name__}")
    if spec == "":
        raise InvalidSource("empty SOURCE")
    if spec == "-":
        return "stdin"
    if spec.startswith("oci:"):
        return "oci-layout"
    kind = path_kind(Path(spec))
    if kind == "directory":
        if path_kind(Path(spec) / "oci-layout") == "file":
            return "oci-layout"
        raise InvalidSource(
            f"{spec!r} is a directory but not an OCI image layout (no oci-layout file)"
        )
    if kind == "file":
        return "json-file"
    if kind == "other":
        raise InvalidSource(f"{spec!r} is not a regular file (a FIFO, device or socket?)")
    if _looks_like_path(spec):
        raise _missing(spec)
    try:
        source_reference(spec)
    except InvalidReference as exc:
        raise InvalidReference(
            f"{spec!r} is not a file, an OCI layout (oci:DIR) or a valid image reference: {exc}"
        ) from None
    return "registry"


DOCKER_TRANSPORT = "docker://"
"""skopeo's and podman's spelling of a registry reference (containers/image transport
``docker``, transports/alltransports): ``docker://ghcr.io/org/app:1`` is read as
``ghcr.io/org/app:1``."""


def source_reference(spec: str) -> Reference:
    """The image reference a registry SOURCE names (``docker://`` dropped)."""
    return Reference.parse(spec.removeprefix(DOCKER_TRANSPORT))


def is_registry_spec(spec: str) -> bool:
    """Whether :func:`open_source` reads SOURCE from a registry (False for anything invalid)."""
    try:
        return source_kind(spec) == "registry"
    except InvalidInput:
        return False


def check_registry(registry: object) -> None:
    """``registry`` is None or a :class:`~planner.RegistryOptions` (imported only to check one)."""
    if registry is not None:
        from planner.transport.options import RegistryOptions

        check_argument(registry, RegistryOptions, "registry", "a RegistryOptions or None")


def open_source(
    spec: str, registry: RegistryOptions | None = None, *, session: RegistrySession | None = None
) -> Source:
    """Interpret a SOURCE argument (see :func:`source_kind`).

    ``registry`` configures registry access (credentials, cache, timeouts)
    when SOURCE is an image reference; with ``session``, the source shares that
    session's connections and documents instead (and ``registry`` is unused).
    """
    check_argument(spec, str, "spec", "a SOURCE string")
    check_registry(registry)
    kind = source_kind(spec)
    if kind == "stdin":
        return JsonFileSource.from_stdin()
    if kind == "oci-layout":
        return (
            OciLayoutSource.from_spec(spec)
            if spec.startswith("oci:")
            else OciLayoutSource(Path(spec))
        )
    if kind == "json-file":
        return JsonFileSource(Path(spec))
    from planner.sources.remote import RegistrySource  # imports httpx only when needed

    reference = source_reference(spec)
    if session is not None:
        return session.source(reference)
    return RegistrySource(reference, registry)
