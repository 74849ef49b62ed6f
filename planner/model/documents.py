"""Text documents as tools write them: decoding, and a fast reading of plain JSON.

Inventories and workload manifests are parsed as YAML for the line and column
of every key (:mod:`planner.model.yamlfile`); JSON is YAML, so one reader
serves both. That reading costs about 30x more than :mod:`json` (2.2 s for a
5,000-node ``kubectl get nodes -o json``), so JSON text is read by
:func:`fast_json` first, without positions, and re-read with positions only
when a reader has a problem to point at.
"""

from __future__ import annotations

from typing import Any

from planner.model.errors import InvalidInput, PlannerError
from planner.model.yamlfile import MarkedList, MarkedMap

__all__ = ["decode_text", "fast_json", "looks_like_json"]


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


class _NotPlainJson(PlannerError):
    """The fast JSON reading declines; the positioned YAML reading decides."""


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
