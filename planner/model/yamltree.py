"""YAML nodes to values: positions, merge keys, and the budget on aliases.

The constructors :mod:`planner.model.yamlfile` loads with: every mapping is a
:class:`MarkedMap` and every sequence a :class:`MarkedList`, which remember
the line and column of each key or item. Duplicate keys, which PyYAML silently
collapses to the last one, are an error here.

Merge keys (``<<: *base``, ``<<: [*a, *b]``; https://yaml.org/type/merge.html)
are resolved here rather than by PyYAML (whose resolution differs between
releases, and in 6.0.1 grows exponentially): the mapping's own keys win, then
the merged mappings in the order listed, and a merged key keeps the position
where it is written. Aliases are bounded by the input: before anything is
built, :func:`expanded_size` counts the document with every alias expanded
(each alias once, in linear time) and a document larger than
:func:`expansion_limit` is refused, so a billion-laughs file or a merge-key
bomb costs no more than a file of that size.
"""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Any

from planner.model.errors import InvalidInput

__all__ = [
    "EXPANSION_FACTOR",
    "MIN_EXPANSION",
    "MarkedList",
    "MarkedMap",
    "YamlError",
    "expanded_size",
    "expansion_limit",
    "loader_class",
]

MIN_EXPANSION = 4 << 20
"""Aliases may always expand a document to this many characters..."""
EXPANSION_FACTOR = 8
"""...or to this many times the size of the text, when that is more."""
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"


def expansion_limit(size: int) -> int:
    """How large (in characters, plus one per scalar and two per collection) a
    document of ``size`` characters may be once its aliases are expanded."""
    return max(MIN_EXPANSION, EXPANSION_FACTOR * size)


class YamlError(InvalidInput):
    """The file is not well-formed YAML (or has a duplicate key)."""


_NO_ITEMS: Any = ()
_NO_POSITIONS: Any = MappingProxyType({})


class MarkedMap(dict[Any, Any]):
    """A mapping that knows its own position and that of each key (1-based).

    Slots, not an instance dictionary: a mapping costs about what a dict does
    (a 20,000-node inventory builds 120,000 of them).
    """

    __slots__ = ("column", "key_columns", "key_lines", "line")
    line: int
    column: int
    key_lines: dict[Any, int]
    key_columns: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = self.column = 1
        self.key_lines = {}
        self.key_columns = {}

    @classmethod
    def at(cls, line: int, column: int) -> MarkedMap:
        """An empty mapping at (line, column) whose keys stand where it does (read-only positions)."""
        new = cls.__new__(cls)
        new.line, new.column = line, column
        new.key_lines = new.key_columns = _NO_POSITIONS
        return new

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def column_of(self, key: Any) -> int:
        return self.key_columns.get(key, self.column)


class MarkedList(list[Any]):
    """A sequence that knows its own position and that of each item (1-based)."""

    __slots__ = ("column", "item_columns", "item_lines", "line")
    line: int
    column: int
    item_lines: list[int]
    item_columns: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = self.column = 1
        self.item_lines = []
        self.item_columns = []

    @classmethod
    def at(cls, line: int, column: int) -> MarkedList:
        """An empty sequence at (line, column) whose items stand where it does."""
        new = cls.__new__(cls)
        new.line, new.column = line, column
        new.item_lines = new.item_columns = _NO_ITEMS
        return new

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line

    def column_of(self, index: int) -> int:
        return self.item_columns[index] if 0 <= index < len(self.item_columns) else self.column


def _where(loader: Any, mark: Any) -> str:
    return f"{loader.source_name}:{mark.line + 1}:{mark.column + 1}"


def _construct_mapping(loader: Any, node: Any) -> MarkedMap:
    """The mapping, its merge keys resolved: own keys first, then each merged
    mapping in the order listed; a key written twice in it is an error."""
    own: dict[Any, tuple[Any, Any]] = {}  # key -> (key node, value node)
    merges: list[tuple[int, list[MarkedMap]]] = []  # (index among own keys, merged maps)
    merge_mark: Any = None
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            if merge_mark is not None:
                raise YamlError(
                    f"{_where(loader, key_node.start_mark)}: duplicate key '<<'"
                    f" (first at line {merge_mark.line + 1})"
                )
            merge_mark = key_node.start_mark
            merges.append((len(own), _merged(loader, value_node)))
            continue
        if key_node.tag == _VALUE_TAG:  # the '=' key, as PyYAML's flatten_mapping takes it
            key_node.tag = "tag:yaml.org,2002:str"
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlError(
                f"{_where(loader, key_node.start_mark)}: a mapping key must be a scalar"
            ) from None
        if key in own:
            raise YamlError(
                f"{_where(loader, key_node.start_mark)}: duplicate key"
                f" {key!r} (first at line {own[key][0].start_mark.line + 1})"
            )
        own[key] = (key_node, value_node)
    result = MarkedMap()
    result.line = node.start_mark.line + 1
    result.column = node.start_mark.column + 1
    pending = iter(merges)
    merge = next(pending, None)
    for index, (key, (key_node, value_node)) in enumerate([*own.items(), (None, (None, None))]):
        if merge is not None and merge[0] == index:  # merged keys stand where '<<' is written
            for merged in merge[1]:
                for k, v in merged.items():
                    if k not in own and k not in result:
                        result[k] = v
                        result.key_lines[k] = merged.line_of(k)
                        result.key_columns[k] = merged.column_of(k)
            merge = next(pending, None)
        if key_node is None:
            break
        result.key_lines[key] = key_node.start_mark.line + 1
        result.key_columns[key] = key_node.start_mark.column + 1
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _merged(loader: Any, value_node: Any) -> list[MarkedMap]:
    """The mappings a merge key names (one, or a list of them), in order of precedence."""
    import yaml

    nodes = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    out = []
    for child in nodes:
        merged = (
            loader.construct_object(child, deep=True)
            if isinstance(child, yaml.MappingNode)
            else None
        )
        if not isinstance(merged, MarkedMap):
            raise YamlError(
                f"{_where(loader, child.start_mark)}: invalid YAML: a merge key ('<<') takes"
                " a mapping or a list of mappings"
            )
        out.append(merged)
    return out


def expanded_size(node: Any, spent: int, limit: int, source_name: str) -> int:
    """``spent`` plus the size of ``node`` with every alias expanded (characters, plus
    one per scalar and two per collection); an error beyond ``limit``.

    Each collection is walked once; an alias of one already counted adds its
    size without walking it again, so this is linear in the text. The error
    names where the alias that crosses the limit is written: the key it is the
    value of, or the mapping or sequence it is a key or an item of.
    """
    import yaml

    sizes: dict[int, int] = {}  # id(collection) -> its expanded size, once counted
    seen: set[int] = set()
    total = spent
    # (node, the mark to blame when node is an alias here, total when its walk began or -1)
    stack: list[tuple[Any, Any, int]] = [(node, node.start_mark, -1)]
    while stack:
        current, blame, began = stack.pop()
        if began >= 0:
            sizes[id(current)] = total - began
            continue
        again = id(current) in seen
        seen.add(id(current))
        mark = blame if again else current.start_mark
        if isinstance(current, yaml.ScalarNode):
            total += len(current.value) + 1
        elif again:
            total += sizes.get(id(current), 2)  # not yet counted: an alias inside its own node
        else:
            stack.append((current, blame, total))
            total += 2
            if isinstance(current, yaml.MappingNode):
                for key_node, value_node in reversed(current.value):
                    stack.append((value_node, key_node.start_mark, -1))
                    stack.append((key_node, current.start_mark, -1))
            else:
                for child in reversed(current.value):
                    stack.append((child, current.start_mark, -1))
        if total > limit:
            raise YamlError(
                f"{source_name}:{mark.line + 1}:{mark.column + 1}: invalid YAML: aliases"
                f" expand to more than {_mib(limit)} (the larger of {_mib(MIN_EXPANSION)}"
                f" and {EXPANSION_FACTOR} times the file's size)"
            )
    return total


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.3g} MiB"


def _construct_sequence(loader: Any, node: Any) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.column = node.start_mark.column + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    result.item_columns = [child.start_mark.column + 1 for child in node.value]
    return result


@functools.cache
def loader_class() -> Any:
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        """SafeLoader building MarkedMap/MarkedList and refusing duplicate keys."""

        source_name = "<yaml>"

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    return Loader
