"""Where indexes and manifests come from: saved JSON files and OCI image layouts.

:func:`open_source` turns a SOURCE argument into a :class:`Source`:

* ``-``: a manifest list, index or manifest as JSON on standard input;
* ``oci:DIR[:TAG|@DIGEST]`` or a directory holding an ``oci-layout`` file: an OCI image layout;
* a path to a file: a manifest list, index or manifest as JSON, exactly as a registry returns it.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import InvalidSource
from planner.sources.base import Source
from planner.sources.jsonfile import JsonFileSource
from planner.sources.ocilayout import OciLayoutSource

__all__ = ["JsonFileSource", "OciLayoutSource", "Source", "open_source"]


def open_source(spec: str) -> Source:
    """Interpret a SOURCE argument (see the module docstring)."""
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
    raise InvalidSource(
        f"{spec!r} is neither a file nor an OCI layout (oci:DIR[:TAG]); registry references"
        " are not supported yet"
    )
