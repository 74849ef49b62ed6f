"""JSON and YAML: a result's ``to_dict()`` as a document, for scripts and CI.

JSON is written by a direct indented encoder, byte for byte what
``json.dumps(indent=2)`` writes; YAML by PyYAML's safe dumper (block style, keys in
the result's order, no tags).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.app.fleet import FleetReport
    from planner.hosts.records import HostProfile
    from planner.report.formats import RenderOptions
    from planner.workloads.check import WorkloadReport, WorkloadResult
    from planner.workloads.model import NodeGroup

__all__ = [
    "dump",
    "fleet_json",
    "fleet_json_pieces",
    "fleet_yaml",
    "fleet_yaml_pieces",
    "workloads_json",
    "workloads_json_pieces",
    "workloads_yaml",
    "workloads_yaml_pieces",
]


def dump(data: dict[str, Any], fmt: str) -> str:
    """``json`` or ``yaml`` text of a result's ``to_dict()``."""
    if fmt == "yaml":
        return _yaml(data)
    try:
        return _indented(data) + "\n"
    except (TypeError, RecursionError):  # a value only the json module knows how to write
        return json.dumps(data, indent=2) + "\n"


def _yaml(data: Any) -> str:
    """``data`` as a YAML document: block style, keys in order, no tags; the values a node
    group's entries share written at each entry, not as anchors and aliases (which PyYAML
    makes of any object met twice)."""
    import yaml

    def write(unicode: bool) -> str:
        return str(
            yaml.dump(data, Dumper=_dumper(), sort_keys=False, allow_unicode=unicode, width=1000)
        )

    text = write(True)
    if text.replace("\n", "").isprintable():
        return text
    # A character that reorders or hides text (bidi controls, zero-width characters,
    # separators) is printable to PyYAML's emitter; written with escapes throughout,
    # the piece holds the same data and shows nothing raw.
    return write(False)


@functools.cache
def _dumper() -> Any:
    """PyYAML's safe dumper, writing an object met twice twice (no anchors and aliases)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return Dumper


def _yaml_pieces(document: dict[str, Any], items: Iterable[Any]) -> Iterator[str]:
    """:func:`_yaml` of ``document`` with ``items`` (as a list) where it holds
    :data:`_LATER`, in pieces, an item at a time: a block mapping is its keys' entries
    one after another, and a block sequence under a key (written without indentation)
    its items', so the pieces are the whole document's text (a piece with a character
    to escape is written with escapes on its own)."""
    for name, member in document.items():
        if member is not _LATER:
            yield _yaml({name: member})
            continue
        head = _yaml({name: []})  # "name: []\n"
        written = False
        for item in items:
            if not written:
                yield head[: -len(" []\n")] + "\n"
                written = True
            yield _yaml([item])
        if not written:
            yield head


def _indented(data: object, pad: str = "") -> str:
    """``json.dumps(data, indent=2)``, byte for byte, about twice as fast (``pad``: as
    written inside a document, at that indentation).

    The json module writes indented output with its pure-Python encoder (its C
    encoder has no indentation); a fleet report of 50,000 pairs spends a second
    there. Plain dicts with str keys, lists, tuples, str, int, float, bool and
    None are written here; anything else raises TypeError and the caller falls
    back to the json module.
    """
    out: list[str] = []
    write = out.append

    def value(item: object, pad: str) -> None:
        kind = type(item)
        if kind is str:
            write(_string(item))  # type: ignore[arg-type]
        elif kind is dict:
            if not item:
                write("{}")
                return
            inner = pad + "  "
            head = "{\n"
            for key, member in item.items():  # type: ignore[attr-defined]
                if type(key) is not str:
                    raise TypeError(key)
                write(head + inner + _string(key) + ": ")
                head = ",\n"
                value(member, inner)
            write("\n" + pad + "}")
        elif kind is list or kind is tuple:
            if not item:
                write("[]")
                return
            inner = pad + "  "
            head = "[\n"
            for member in item:  # type: ignore[attr-defined]
                write(head + inner)
                head = ",\n"
                value(member, inner)
            write("\n" + pad + "]")
        elif item is None:
            write("null")
        elif item is True:
            write("true")
        elif item is False:
            write("false")
        elif kind is int:
            write(int.__repr__(item))
        elif kind is float:
            write(json.dumps(item))
        else:
            raise TypeError(kind)

    value(data, pad)
    return "".join(out)


class _Later:
    """Where a document's long list goes: written an item at a time (:func:`_pieces`)."""


_LATER = _Later()
_BATCH = 1 << 16
"""Pieces are handed on in batches of about this many characters."""


def _pieces(
    document: dict[str, Any],
    items: Iterable[Any],
    encode: Callable[[Any, str], str] | None = None,
) -> Iterator[str]:
    """``json.dumps(document, indent=2)`` with ``items`` (as a list) where the document
    holds :data:`_LATER`, in pieces: the items are made and written one at a time, so
    a report of every pair or node is not held whole. ``encode(item, pad)`` writes an
    item (default: as the document it is)."""
    batch: list[str] = []
    size = 0
    for piece in _mapping(document, "", lambda inner: _list(items, inner, encode or _piece)):
        batch.append(piece)
        size += len(piece)
        if size >= _BATCH:
            yield "".join(batch)
            batch, size = [], 0
    batch.append("\n")
    yield "".join(batch)


def _mapping(
    document: dict[str, Any], pad: str, later: Callable[[str], Iterable[str]]
) -> Iterator[str]:
    """``document`` as written at ``pad`` inside an indented document, in pieces; where it
    holds :data:`_LATER`, the pieces of ``later(indentation of its members)``."""
    if not document:
        yield "{}"
        return
    inner = pad + "  "
    head = "{"
    for name, member in document.items():
        yield head + "\n" + inner + _string(name) + ": "
        head = ","
        if member is _LATER:
            yield from later(inner)
        else:
            yield _piece(member, inner)
    yield "\n" + pad + "}"


def _list(items: Iterable[Any], pad: str, encode: Callable[[Any, str], str]) -> Iterator[str]:
    """A list written at ``pad``, an item (``encode(item, its indentation)``) at a time."""
    inner = pad + "  "
    opening = "["
    for item in items:
        yield opening + "\n" + inner + encode(item, inner)
        opening = ","
    yield "[]" if opening == "[" else "\n" + pad + "]"


def _piece(item: object, pad: str) -> str:
    """``item`` as written at indentation ``pad`` inside an indented document."""
    try:
        return _indented(item, pad)
    except (TypeError, RecursionError):  # a value only the json module knows how to write
        return json.dumps(item, indent=2).replace("\n", "\n" + pad)


def fleet_json(report: FleetReport, options: RenderOptions) -> str:
    """A fleet check as JSON (:meth:`FleetReport.to_dict`)."""
    return "".join(fleet_json_pieces(report, options))


def fleet_json_pieces(report: FleetReport, options: RenderOptions) -> Iterator[str]:
    """:func:`fleet_json` in pieces, pairs made and written a batch at a time."""
    yield from _pieces(report.document(_LATER), (p.to_dict() for p in report.pairs))


def fleet_yaml(report: FleetReport, options: RenderOptions) -> str:
    """A fleet check as YAML."""
    return "".join(fleet_yaml_pieces(report, options))


def fleet_yaml_pieces(report: FleetReport, options: RenderOptions) -> Iterator[str]:
    """:func:`fleet_yaml` in pieces, a pair at a time."""
    yield from _yaml_pieces(report.document(_LATER), (p.to_dict() for p in report.pairs))


def workloads_json(report: WorkloadReport, options: RenderOptions) -> str:
    """A workload check as JSON (:meth:`WorkloadReport.to_dict`)."""
    return "".join(workloads_json_pieces(report, options))


def workloads_json_pieces(report: WorkloadReport, options: RenderOptions) -> Iterator[str]:
    """:func:`workloads_json` in pieces, a workload at a time (its nodes' results are
    made for it and let go after it)."""
    yield from _pieces(report.document(_LATER), report.results, _workload_text)


def _workload_text(result: WorkloadResult, pad: str) -> str:
    """``result.to_dict()`` as written at ``pad``; each node's entry ``{"host": NAME`` and
    its group's entry without its host, that text made once per group."""
    bodies: dict[int, str] = {}  # by the group's identity: ``placed`` holds every group

    def node(placed: tuple[HostProfile, NodeGroup], pad: str) -> str:
        host, group = placed
        body = bodies.get(id(group))
        if body is None:  # the group's entry, its '{' dropped: the host's line comes first
            body = bodies[id(group)] = "," + _piece(group.node_body, pad)[1:]
        return "{\n" + pad + '  "host": ' + _string(host.name) + body

    nodes = result.placed()
    return "".join(_mapping(result.document(_LATER), pad, lambda inner: _list(nodes, inner, node)))


def workloads_yaml(report: WorkloadReport, options: RenderOptions) -> str:
    """A workload check as YAML."""
    return "".join(workloads_yaml_pieces(report, options))


def workloads_yaml_pieces(report: WorkloadReport, options: RenderOptions) -> Iterator[str]:
    """:func:`workloads_yaml` in pieces, a workload at a time."""
    yield from _yaml_pieces(report.document(_LATER), (r.to_dict() for r in report.results))
