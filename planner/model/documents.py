"""Text documents as tools write them: decoding, and a fast reading of plain JSON.

Inventories and workload manifests are parsed as YAML for the line and column
of every key (:mod:`planner.model.yamlfile`); JSON is YAML, so one reader
serves both. That reading costs about 30x more than :mod:`json` (2.2 s for a
5,000-node ``kubectl get nodes -o json``), so JSON text is read by
:func:`fast_json` first, without positions, and re-read with positions only
when a reader has a problem to point at.

YAML text is read first by :func:`fast_yaml_documents`: libyaml's events
(:mod:`yaml`'s C parser), built straight into values, one document at a time,
with the position of each mapping and sequence but not of each key. It holds
no node tree (which costs about 40 times the text: 470 MiB for 12 MiB of
``kubectl get nodes -o yaml``) and declines whatever the positioned reading
could read differently (anchors and aliases, merge keys, explicit tags,
duplicate or non-scalar keys, deep nesting, errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from planner.model.errors import InvalidInput, PlannerError
from planner.model.yamlfile import MarkedList, MarkedMap

__all__ = [
    "NotPlain",
    "decode_text",
    "fast_json",
    "fast_yaml",
    "fast_yaml_documents",
    "looks_like_json",
]


def decode_text(raw: bytes, name: str, error: type[InvalidInput]) -> str:
    """``raw`` as text: UTF-8 (a byte-order mark is dropped), or UTF-16 with its mark.

    Windows PowerShell 5's ``>`` writes UTF-16 with a byte-order mark (``docker
    info`` or ``kubectl get … -o json`` redirected on Windows).
    """
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise error(f"{name}: not {label} text (byte {exc.start})") from None


def looks_like_json(text: str) -> bool:
    """Whether ``text`` starts as a JSON object or array does."""
    return text.lstrip()[:1] in ("{", "[")


class _NotPlain(PlannerError):
    """A fast reading declines; the positioned YAML reading decides."""


NotPlain = _NotPlainJson = _NotPlain
"""What a fast reading raises when it declines (caught by its callers, never shown)."""


def _pairs(pairs: list[tuple[Any, Any]]) -> MarkedMap:
    result = MarkedMap()
    for key, value in pairs:
        if key in result:
            raise _NotPlainJson
        result[key] = _listed(value)
    return result


def _listed(value: Any) -> Any:
    if type(value) is list:  # a MarkedList is done: json builds inner values first
        return MarkedList(_listed(v) for v in value)
    return value


def _refuse(_constant: str) -> Any:
    raise _NotPlainJson  # NaN, Infinity: not JSON


def fast_json(text: str) -> Any:
    """Plain JSON as :func:`planner.model.yamlfile.load` would give it, without
    positions (every line 1); None when it declines.

    Anything plain JSON and YAML could read differently (duplicate keys, NaN,
    huge integers, deep nesting) declines here, so the positioned reading
    decides it.
    """
    import json

    try:
        return _listed(json.loads(text, object_pairs_hook=_pairs, parse_constant=_refuse))
    except (_NotPlainJson, ValueError, RecursionError):
        return None


MAX_FAST_DEPTH = 100
"""Deeper nesting declines the fast YAML reading (the positioned one may refuse it)."""


def fast_yaml_documents(text: str) -> Iterator[Any]:
    """The documents of a YAML stream as :func:`planner.model.yamlfile.load_all`
    gives them, one at a time, without the position of each key or item (a key
    stands where its mapping does); raises :class:`NotPlain` when it declines,
    possibly after some documents.
    """
    import yaml
    from yaml import events

    try:
        parser: Any = yaml.CSafeLoader(text)
    except AttributeError:  # pragma: no cover - PyYAML built without libyaml
        raise NotPlain from None
    resolver: Any = yaml.resolver.Resolver()
    implicit = resolver.yaml_implicit_resolvers
    constructor = yaml.constructor.SafeConstructor()
    constructors = constructor.yaml_constructors
    str_tag = "tag:yaml.org,2002:str"
    scalar_node = yaml.ScalarNode
    scalar_event, map_start, seq_start = (
        events.ScalarEvent,
        events.MappingStartEvent,
        events.SequenceStartEvent,
    )
    map_end, seq_end = events.MappingEndEvent, events.SequenceEndEvent
    doc_start, doc_end = events.DocumentStartEvent, events.DocumentEndEvent
    stream_end = events.StreamEndEvent
    get = parser.get_event
    always = None in implicit  # a resolver for any first character: none in PyYAML 6
    outer: list[tuple[Any, bool, Any]] = []  # the collections being built around `inside`
    inside: Any = None  # the collection being built (None: at the top of a document)
    in_map, key = False, _NO_KEY  # whether it is a mapping; its key waiting for a value
    shared: dict[str, str] = {}
    document: Any = None
    try:
        get()  # StreamStartEvent
        while True:
            event: Any = get()
            kind = type(event)
            opens = False
            if kind is scalar_event:
                if event.anchor is not None or event.tag is not None:
                    raise NotPlain
                value: Any = event.value
                if len(value) <= _SHARED_LENGTH:  # keys and kinds, repeated on every node
                    value = shared.setdefault(value, value)
                if event.implicit[0] and (always or not value or value[0] in implicit):
                    tag = resolver.resolve(scalar_node, value, (True, False))
                    if tag != str_tag:
                        build = constructors.get(tag)
                        if build is None or tag.endswith((":merge", ":value")):
                            raise NotPlain
                        value = build(constructor, scalar_node(tag, value))
            elif kind is map_start or kind is seq_start:
                if event.anchor is not None or event.tag is not None:
                    raise NotPlain
                if len(outer) >= MAX_FAST_DEPTH:
                    raise NotPlain
                mark = event.start_mark
                new = MarkedMap.at if kind is map_start else MarkedList.at
                value = new(mark.line + 1, mark.column + 1)
                opens = True
            elif kind is map_end or kind is seq_end:
                inside, in_map, key = outer.pop()
                continue
            elif kind is doc_start:
                document = None
                continue
            elif kind is doc_end:
                yield document
                document = None
                continue
            elif kind is stream_end:
                return
            else:  # an alias
                raise NotPlain
            if inside is None:
                document = value
            elif not in_map:
                inside.append(value)
            elif key is _NO_KEY:
                if opens or value in inside:
                    raise NotPlain  # a collection as a key, or a key written twice
                key = value
            else:
                inside[key] = value
                key = _NO_KEY
            if opens:
                outer.append((inside, in_map, key))
                inside, in_map, key = value, kind is map_start, _NO_KEY
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        raise NotPlain from None
    finally:
        parser.dispose()


_NO_KEY: Any = object()
_SHARED_LENGTH = 64
"""Scalars this short are kept once per document stream, however often repeated."""


def fast_yaml(text: str) -> Any:
    """One YAML document as :func:`planner.model.yamlfile.load` gives it, without
    the position of each key or item; raises :class:`NotPlain` when it declines
    (or when the stream has more than one document)."""
    found = list(fast_yaml_documents(text))
    if len(found) > 1:
        raise NotPlain
    return found[0] if found else None
