"""The shipped rule files, pre-parsed: reading a rule set needs no YAML parser.

``planner/policy/compiled/NAME.json`` holds ``rules/NAME.yaml`` as parsed (every
mapping and list with the line and column of each key and item, so errors and
merged ranges name the same places), with the fingerprint of the YAML it was made
from (its length and CRC-32: this tells an edited file from the shipped one, and
zlib is loaded anyway where OpenSSL's hashes are not). :func:`compiled_tree`
returns it only while that fingerprint matches the YAML file next to it; an edited file is parsed as YAML until the data is made again
(a test fails meanwhile). Regenerate after editing ``rules/*.yaml``::

    python -m planner.policy.compile_rules

Encoding: a mapping is ``["m", line, column, [[key, line, column, value], ...]]``,
a list ``["l", line, column, [[line, column, item], ...]]``; a scalar is itself.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

from planner.model.yamlfile import MarkedList, MarkedMap

__all__ = ["compiled_dir", "compiled_tree", "decode", "digest", "encode"]


def compiled_dir() -> Path:
    return Path(__file__).resolve().parent / "compiled"


def encode(node: Any) -> Any:
    """A parsed YAML tree (MarkedMap/MarkedList/scalars) as JSON-ready lists."""
    if isinstance(node, MarkedMap):
        items = [[k, node.line_of(k), node.column_of(k), encode(v)] for k, v in node.items()]
        for k in node:
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise ValueError(f"key {k!r} cannot be stored as JSON")
        return ["m", node.line, node.column, items]
    if isinstance(node, MarkedList):
        return [
            "l",
            node.line,
            node.column,
            [[node.line_of(i), node.column_of(i), encode(v)] for i, v in enumerate(node)],
        ]
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    raise ValueError(f"{type(node).__name__} {node!r} cannot be stored as JSON")


def decode(data: Any) -> Any:
    """The tree :func:`encode` was given."""
    if not isinstance(data, list):
        return data
    kind, line, column, items = data
    if kind == "m":
        mapping = MarkedMap()
        mapping.line, mapping.column = line, column
        for key, key_line, key_column, value in items:
            mapping[key] = decode(value)
            mapping.key_lines[key] = key_line
            mapping.key_columns[key] = key_column
        return mapping
    sequence = MarkedList(decode(item) for _, _, item in items)
    sequence.line, sequence.column = line, column
    sequence.item_lines = [item[0] for item in items]
    sequence.item_columns = [item[1] for item in items]
    return sequence


def digest(data: bytes) -> str:
    """The fingerprint of a rule file's bytes: ``LENGTH:CRC32``."""
    return f"{len(data)}:{zlib.crc32(data):08x}"


def compiled_tree(path: Path) -> Any:
    """The parsed tree of the rule file ``path`` from the pre-parsed data of the shipped
    file of its name, or None: no data of that name, or data made from other bytes."""
    if path.suffix != ".yaml":
        return None
    try:
        stored = json.loads((compiled_dir() / f"{path.stem}.json").read_bytes())
        source = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("fingerprint") != digest(source):
        return None
    return decode(stored["tree"])
