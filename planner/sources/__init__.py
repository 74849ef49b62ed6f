"""Where indexes and manifests come from: saved JSON files and OCI image layouts.

:func:`open_source` turns a SOURCE argument into a :class:`Source`:

* ``-``: a manifest list, index or manifest as JSON on standard input;
* ``oci:DIR[:TAG|@DIGEST]`` or a directory holding an ``oci-layout`` file: an OCI image layout;
* a path to a file: a manifest list, index or manifest as JSON, exactly as a registry returns it;
* anything else: an image reference (``ubuntu``, ``ghcr.io/org/app:1.0@sha256:...``), read
  from its registry through the Distribution API (:mod:`planner.sources.registry`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InvalidReference, InvalidSource
from planner.reference import Reference
from planner.sources.base import Source
from planner.sources.jsonfile import JsonFileSource
from planner.sources.ocilayout import OciLayoutSource

if TYPE_CHECKING:
    from planner.registry import RegistryOptions
    from planner.sources.registry import RegistrySession

__all__ = ["JsonFileSource", "OciLayoutSource", "Source", "open_source"]


def open_source(
    spec: str, registry: RegistryOptions | None = None, *, session: RegistrySession | None = None
) -> Source:
    """Interpret a SOURCE argument (see the module docstring).

    ``registry`` configures registry access (credentials, cache, timeouts)
    when SOURCE is an image reference; with ``session``, the source shares that
    session's connections and documents instead (and ``registry`` is unused).
    """
    if spec == "":
        raise InvalidSource("empty SOURCE")
    if spec == "-":
        return JsonFileSource.from_stdin()
    if spec.startswith("oci:"):
        return OciLayoutSource.from_spec(spec)
    path = Path(spec)
    if path.is_dir():
        if (path / "oci-layout").is_file():
            return OciLayoutSource(path)
        raise InvalidSource(
            f"{spec!r} is a directory but not an OCI image layout (no oci-layout file)"
        )
    if path.is_file():
        return JsonFileSource(path)
    if spec.endswith(".json") or spec.startswith((".", "/", "~")):
        raise InvalidSource(f"{spec!r}: no such file")
    try:
        reference = Reference.parse(spec)
    except InvalidReference as exc:
        raise InvalidReference(
            f"{spec!r} is not a file, an OCI layout (oci:DIR) or a valid image reference: {exc}"
        ) from None
    from planner.sources.registry import RegistrySource  # imports httpx only when needed

    if session is not None:
        return session.source(reference)
    return RegistrySource(reference, registry)
