"""Read workload files: Kubernetes manifests and Compose files, from paths or standard input.

:func:`read_manifests` takes each file (``-`` is standard input, read once),
parses it as a YAML stream (JSON is YAML: one reader, with the line and
column of every key, for both: first without them, a document at a time, then
again with them only when a reader has a problem to point at), and hands each document to the Compose reader when it is a
compose file, else to the Kubernetes reader. A workload named twice (same
``KIND/NAMESPACE/NAME``) is an error naming both places.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.model.arguments import InvalidArgument, optional_argument, paths_argument
from planner.model.documents import NotPlain, decode_text, fast_yaml_documents, looks_like_json
from planner.model.errors import InvalidInput
from planner.model.files import path_kind, read_capped
from planner.model.record import dataclass
from planner.model.yamlfile import YamlError, load_all
from planner.workloads.compose import is_compose, read_compose
from planner.workloads.kubernetes import read_kubernetes
from planner.workloads.model import Skipped, Workload, WorkloadError

__all__ = ["MAX_MANIFEST_FILE_BYTES", "STDIN", "Manifests", "read_manifests"]

MAX_MANIFEST_FILE_BYTES = 64 << 20
"""The largest workload file read (the output of a large ``helm template``)."""

STDIN = "-"
STDIN_NAME = "<stdin>"


@dataclass(frozen=True)
class Manifests:
    """Every workload of the files read, in order, and what was skipped."""

    workloads: tuple[Workload, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...] = ()


def _kubernetes_only(text: str) -> Iterator[Any]:
    """The documents of ``text`` read fast (:func:`~planner.model.documents.fast_yaml_documents`),
    one at a time; a Compose file declines (its reader needs the position of each service)."""
    for document in fast_yaml_documents(text):
        if is_compose(document):
            raise NotPlain
        yield document


def _read_text(
    text: str, name: str, environ: Mapping[str, str], on_disk: bool
) -> tuple[list[Workload], list[Skipped], list[str]]:
    """The workloads, skipped documents and warnings of one file's text.

    Kubernetes manifests are read first without a node tree, a document at a
    time, so that a 64 MiB ``helm template`` costs its workloads, not 50 times
    its size; a problem (or anything the fast reading declines) reads the text
    again with the position of every key, for the message.
    """
    try:
        return (*read_kubernetes(Path(name), _kubernetes_only(text)), [])
    except (NotPlain, InvalidInput):
        pass
    try:
        documents = load_all(text, name)
    except YamlError as exc:
        message = str(exc)
        if looks_like_json(text):
            message = message.replace(": invalid YAML:", ": invalid JSON:", 1)
        raise WorkloadError(message) from None
    path = Path(name)
    workloads: list[Workload] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    for document in documents:
        if is_compose(document):
            found = read_compose(path, document, environ, on_disk=on_disk)
            workloads += found[0]
            skipped += found[1]
            warnings += found[2]
    found_k8s = read_kubernetes(path, [d for d in documents if not is_compose(d)])
    return workloads + found_k8s[0], skipped + found_k8s[1], warnings


MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
"""What ``kubectl apply -f DIR`` reads of a directory (not recursively)."""
MAX_DIRECTORY_FILES = 10_000


def _expanded(files: Sequence[str]) -> list[str]:
    """``files`` with each directory replaced by its manifest files, by name (as kubectl)."""
    out: list[str] = []
    for spec in dict.fromkeys(files):  # the same file twice is read once, as kubectl does
        path = Path(spec)
        if spec == STDIN or path_kind(path) != "directory":
            out.append(spec)
            continue
        try:
            entries = sorted(
                entry.name
                for entry in itertools.islice(os.scandir(path), MAX_DIRECTORY_FILES + 1)
                if entry.name.endswith(MANIFEST_SUFFIXES) and entry.is_file()
            )
        except OSError as exc:
            raise WorkloadError(
                f"{spec}: cannot read: {(exc.strerror or str(exc)).lower()}"
            ) from None
        if len(entries) > MAX_DIRECTORY_FILES:
            raise WorkloadError(f"{spec}: more than {MAX_DIRECTORY_FILES} files")
        if not entries:
            raise WorkloadError(f"{spec}: a directory with no .yaml, .yml or .json file")
        out += [str(path / name) for name in entries]
    return list(dict.fromkeys(out))


def _running(workloads: list[Workload]) -> tuple[list[Workload], list[Skipped]]:
    """The workloads a rollout starts pods for, and the others as skipped.

    An object whose controller is among those read (``kubectl get all``: a
    Deployment's ReplicaSets and their Pods) is checked as part of its owner,
    not again; one with ``replicas: 0`` (an old ReplicaSet) starts no pod.
    """
    ids = {w.id for w in workloads}
    kept: list[Workload] = []
    dropped: list[Skipped] = []
    for w in workloads:
        what = f"{w.kind} {w.namespace}/{w.name}"
        if w.owner is not None and w.owner in ids:
            dropped.append(Skipped(what, w.place, f"owned by {w.owner}: checked there"))
        elif w.replicas == 0:
            dropped.append(Skipped(what, w.place, "replicas: 0 starts no pod"))
        else:
            kept.append(w)
    return kept, dropped


def read_manifests(
    files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    stdin: Callable[[int], bytes] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Manifests:
    """The workloads of ``files`` (``-``: ``stdin(limit)`` gives standard input's bytes;
    a directory: its ``.yaml``, ``.yml`` and ``.json`` files, by name, not recursively).

    ``environ`` gives Compose its variables (default: none). One path (a ``str`` or
    ``os.PathLike``) is one file.
    """
    files = paths_argument(files, "files")
    if stdin is not None and not callable(stdin):
        raise InvalidArgument(f"stdin must be a function of a byte limit or None, not {stdin!r}")
    optional_argument(environ, Mapping, "environ", "a mapping of variables")
    workloads: list[Workload] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    if list(files).count(STDIN) > 1:
        raise WorkloadError("standard input (-) can be read once")
    for spec in _expanded(files):
        if spec == STDIN:
            if stdin is None:
                raise WorkloadError("- (standard input) is not available here")
            raw = stdin(MAX_MANIFEST_FILE_BYTES + 1)
            if len(raw) > MAX_MANIFEST_FILE_BYTES:
                raise WorkloadError(
                    f"{STDIN_NAME}: more than the {MAX_MANIFEST_FILE_BYTES}-byte limit"
                )
            name, on_disk = STDIN_NAME, False
        else:
            raw = read_capped(Path(spec), MAX_MANIFEST_FILE_BYTES, error=WorkloadError)
            name, on_disk = spec, True
        text = decode_text(raw, name, WorkloadError)
        del raw  # the text alone from here: a 64 MiB file is held once
        found = _read_text(text, name, environ or {}, on_disk)
        workloads += found[0]
        skipped += found[1]
        warnings += found[2]
    workloads, dropped = _running(workloads)
    skipped += dropped
    seen: dict[str, str] = {}
    for workload in workloads:
        if workload.id in seen:
            raise WorkloadError(
                f"{workload.place}: {workload.id} is defined twice (first at {seen[workload.id]})"
            )
        seen[workload.id] = workload.place
    return Manifests(tuple(workloads), tuple(skipped), tuple(warnings))
