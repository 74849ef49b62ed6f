"""Load YAML keeping line numbers, so that validation errors can say file:line.

:func:`load` returns plain dicts, lists and scalars, except that every mapping
is a :class:`MarkedMap` and every sequence a :class:`MarkedList`, which remember
the line of each key or item. Duplicate keys, which PyYAML silently collapses
to the last one, are an error here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml

from planner.errors import InvalidInput

__all__ = ["MarkedList", "MarkedMap", "YamlError", "describe", "load", "load_file"]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

E = TypeVar("E", bound=InvalidInput)


class YamlError(InvalidInput):
    """The file is not well-formed YAML (or has a duplicate key)."""


class MarkedMap(dict[Any, Any]):
    """A mapping that knows its own line and the line (and column) of each key (1-based)."""

    line: int = 0
    column: int = 0
    key_lines: dict[Any, int]
    key_columns: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def column_of(self, key: Any) -> int:
        columns: dict[Any, int] = getattr(self, "key_columns", {})
        return columns.get(key, self.column)


class MarkedList(list[Any]):
    """A sequence that knows its own line and the line (and column) of each item (1-based)."""

    line: int = 0
    column: int = 0
    item_lines: list[int]
    item_columns: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line

    def column_of(self, index: int) -> int:
        columns = getattr(self, "item_columns", [])
        return columns[index] if index < len(columns) else self.column


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader building MarkedMap/MarkedList and refusing duplicate keys."""

    source_name = "<yaml>"


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> MarkedMap:
    loader.flatten_mapping(node)
    result = MarkedMap()
    result.line = node.start_mark.line + 1
    result.column = node.start_mark.column + 1
    result.key_lines = {}
    result.key_columns = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise YamlError(
                f"{loader.source_name}:{line}: a mapping key must be a scalar"
            ) from None
        if key in result.key_lines:
            raise YamlError(
                f"{loader.source_name}:{line}: duplicate key {key!r}"
                f" (first at line {result.key_lines[key]})"
            )
        result.key_lines[key] = line
        result.key_columns[key] = key_node.start_mark.column + 1
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.column = node.start_mark.column + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    result.item_columns = [child.start_mark.column + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(text: str, source_name: str) -> Any:
    """Parse one YAML document; errors name ``source_name:line``."""
    loader = _Loader(text)
    loader.source_name = source_name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"{source_name}{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source_name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_file(path: Path, error: type[E], *, max_bytes: int = 1 << 20) -> Any:
    """Read and parse a YAML file no larger than ``max_bytes``.

    I/O and size problems are reported as ``error`` (an InvalidInput subclass).
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise error(f"{path}: file is larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return load(text, str(path))
    except YamlError as exc:
        if error is YamlError:
            raise
        raise error(str(exc)) from None


def describe(value: Any) -> str:
    """A YAML value as messages name it: ``the number 8``, ``a list``, ``nothing``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
