"""YAML documents that remember where each value stands, and one validator for them.

:func:`load` returns plain dicts, lists and scalars, except that every mapping
is a :class:`MarkedMap` and every sequence a :class:`MarkedList`, which remember
the line and column of each key or item. Duplicate keys, which PyYAML silently
collapses to the last one, are an error here.

Merge keys are resolved (own keys win), and aliases may not expand a document
beyond :func:`~planner.model.yamltree.expansion_limit` (:mod:`planner.model.yamltree`).

:class:`Checker` is the one validator every YAML input goes through (rule files,
host profiles): every error is one line ``file:line:column: key.path: problem``,
and an unknown key gets a did-you-mean from the allowed keys (or from a table
of spellings people reach for first, such as ``os_version`` for ``os.version``).

PyYAML is imported on first use, so that commands reading no YAML do not pay
for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.model.errors import InvalidInput
from planner.model.files import read_capped
from planner.model.text import one_line
from planner.model.yamltree import (
    EXPANSION_FACTOR,
    MIN_EXPANSION,
    MarkedList,
    MarkedMap,
    YamlError,
    expanded_size,
    expansion_limit,
    loader_class,
)

__all__ = [
    "EXPANSION_FACTOR",
    "MAX_PROBLEMS",
    "MIN_EXPANSION",
    "Checker",
    "MarkedList",
    "MarkedMap",
    "YamlError",
    "describe",
    "expansion_limit",
    "load",
    "load_all",
    "load_file",
]

MAX_YAML_BYTES = 1 << 20


def load(text: str, source_name: str) -> Any:
    """Parse one YAML document; errors name ``source_name:line:column``."""
    return _parse(text, source_name, every=False)


def load_all(text: str, source_name: str) -> list[Any]:
    """Parse every document of a multi-document stream (``---``), in order.

    An empty document (``---`` twice, or a stream of comments) is ``None``.
    """
    result: list[Any] = _parse(text, source_name, every=True)
    return result


def _parse(text: str, source_name: str, *, every: bool) -> Any:
    import yaml

    loader = loader_class()(text)
    loader.source_name = source_name
    limit, spent = expansion_limit(len(text)), 0

    def construct(node: Any) -> Any:
        nonlocal spent
        if node is None:
            return None
        spent = expanded_size(node, spent, limit, source_name)
        return loader.construct_document(node)

    try:
        if not every:
            node = loader.get_single_node()
            return construct(node)
        documents = []
        while loader.check_node():
            documents.append(construct(loader.get_node()))
        return documents
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(one_line(f"{source_name}{where}: invalid YAML: {problem}")) from None
    except yaml.reader.ReaderError as exc:  # no mark: a character YAML does not allow
        raise YamlError(one_line(_unacceptable(text, source_name, exc.character))) from None
    except yaml.YAMLError as exc:
        raise YamlError(one_line(f"{source_name}: invalid YAML: {exc}")) from None
    except YamlError:
        raise
    except RecursionError:
        raise YamlError(f"{source_name}: invalid YAML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise YamlError(f"{source_name}: invalid YAML: {str(exc).split(';')[0]}") from None
    finally:
        loader.dispose()


def _unacceptable(text: str, source_name: str, character: Any) -> str:
    """Where the first character YAML does not allow is (the reader names only its
    offset, in bytes or characters depending on the parser), and what it is."""
    char = chr(character) if isinstance(character, int) else str(character)
    at = text.find(char) if len(char) == 1 else -1
    if at < 0:
        return f"{source_name}: invalid YAML: unacceptable character {char!r}"
    line, start = text.count("\n", 0, at) + 1, text.rfind("\n", 0, at) + 1
    return (
        f"{source_name}:{line}:{at - start + 1}: invalid YAML: unacceptable character"
        f" U+{ord(char):04X} (write it as an escape in a double-quoted string)"
    )


def load_file(path: Path, error: type[InvalidInput], *, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Read and parse a YAML file no larger than ``max_bytes``.

    Every problem (I/O, size, encoding, syntax) is raised as ``error``.
    """
    data = read_capped(path, max_bytes, error=error)
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


def _position(node: Any, key: Any) -> tuple[int, int]:
    if isinstance(node, (MarkedMap, MarkedList)) and key is not None:
        return node.line_of(key), node.column_of(key)
    return getattr(node, "line", 1), getattr(node, "column", 1)


MAX_PROBLEMS = 20
"""Problems of one file listed at most; the rest are counted ("… and K more")."""


class Checker:
    """Validates one parsed YAML file; errors are ``error('file:line:column: where: problem')``.

    ``where`` is the dotted key path (``match.variant``, ``hosts[2].platform``); the
    position is that of ``key`` in ``node`` when given, else that of ``node`` itself.

    A reader that goes on after a problem (``collect=True``) notes it (:meth:`note`;
    unknown keys are noted by :meth:`mapping` itself, which then ignores them) and calls
    :meth:`done` at the end, which raises one error listing every problem noted.
    """

    def __init__(
        self,
        path: Path,
        error: type[InvalidInput],
        aliases: Mapping[str, str] | None = None,
        *,
        collect: bool = False,
    ) -> None:
        self.path = path
        self.error = error
        self.aliases = aliases or {}
        self.collect = collect
        self.found: list[str] = []

    def note(self, problem: InvalidInput) -> None:
        """A problem to report with the others when the file is read (:meth:`done`)."""
        if problem.problems:
            self.found += problem.problems
        else:
            self.found.append(str(problem))

    def done(self) -> None:
        """Raise the file's problems noted so far, if any, as one error: its message the
        first problem (one line, as every message), its ``problems`` a line each, at most
        :data:`MAX_PROBLEMS`, then how many more."""
        if not self.found:
            return
        lines = self.found[:MAX_PROBLEMS]
        if len(self.found) > MAX_PROBLEMS:
            lines.append(f"{self.path}: \u2026 and {len(self.found) - MAX_PROBLEMS} more")
        more = len(self.found) - 1
        exc = self.error(lines[0] + (f" (and {more} more: see .problems)" if more else ""))
        exc.problems = tuple(lines)
        raise exc

    def position(self, node: Any, key: Any) -> tuple[int, int]:
        """(line, column) of ``key`` in ``node`` when given, else of ``node`` itself."""
        return _position(node, key)

    def fail(self, node: Any, key: Any, where: str, problem: str) -> InvalidInput:
        """The error, one line: keys and values from the file are escaped."""
        line, column = self.position(node, key)
        return self.error(one_line(f"{self.path}:{line}:{column}: {where}: {problem}"))

    def table(self, node: Any, where: str, *, parent: Any = None, key: Any = None) -> MarkedMap:
        """``node`` as a mapping with any keys (an error at ``parent[key]`` when it is not one)."""
        if not isinstance(node, MarkedMap):
            raise self.fail(
                parent if parent is not None else node,
                key,
                where,
                f"must be a mapping, not {describe(node)}",
            )
        return node

    def mapping(
        self,
        node: Any,
        where: str,
        *,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
        parent: Any = None,
        key: Any = None,
    ) -> MarkedMap:
        """``node`` as a mapping whose keys are all in ``required`` + ``optional``."""
        table = self.table(node, where, parent=parent, key=key)
        allowed = required + optional
        for k in table:
            if k not in allowed:
                suggestion = self.aliases.get(str(k))
                if suggestion not in allowed:
                    import difflib  # on a typo only: 1 ms of start-up otherwise

                    suggestion = next(iter(difflib.get_close_matches(str(k), allowed, n=1)), None)
                hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
                problem = self.fail(
                    table,
                    k,
                    f"{where}.{k}" if where else str(k),
                    f"unknown key{hint}; expected one of: {', '.join(allowed)}",
                )
                if not self.collect:
                    raise problem
                self.note(problem)
        for k in required:
            if k not in table:
                raise self.fail(table, None, where or "(top level)", f"missing required key {k!r}")
        return table

    def string(
        self,
        node: MarkedMap,
        key: str,
        where: str,
        default: str | None = None,
        *,
        non_empty: bool = False,
    ) -> str:
        if key not in node:
            if default is None:
                raise self.fail(node, None, where, "missing")
            return default
        value = node[key]
        if not isinstance(value, str) or (non_empty and not value):
            kind = "a non-empty string" if non_empty else "a string"
            if isinstance(value, (bool, int, float)):  # YAML read 1.10 or yes as such
                advice = " (quote it)"
            elif value is None or value == "":  # key: null, or key: with nothing after it
                advice = " (give one, or leave the key out)" if default is not None else ""
            else:
                advice = ""
            raise self.fail(node, key, where, f"must be {kind}, not {describe(value)}{advice}")
        return value

    def boolean(self, node: MarkedMap, key: str, where: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(node, key, where, f"must be true or false, not {describe(value)}")
        return value

    def choice(
        self, node: MarkedMap, key: str, where: str, options: tuple[str, ...], default: str
    ) -> str:
        value = node.get(key, default)
        self.check_choice(node, key, where, value, options)
        return str(value)

    def check_choice(
        self, node: Any, key: Any, where: str, value: Any, options: tuple[str, ...]
    ) -> None:
        if value not in options:
            raise self.fail(node, key, where, f"{value!r} is not one of: {', '.join(options)}")

    def strings(
        self, node: MarkedMap, key: str, where: str, *, scalar_ok: bool = False
    ) -> tuple[str, ...]:
        """A list of strings (or one string, when ``scalar_ok``); empty when absent."""
        value = node.get(key, [])
        if scalar_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            wanted = "a string or a list of strings" if scalar_ok else "a list of strings"
            raise self.fail(node, key, where, f"must be {wanted}")
        return tuple(value)

    def str_map(
        self,
        node: Any,
        where: str,
        *,
        parent: Any = None,
        key: Any = None,
        problem: str = "keys and values must be strings (quote numbers such as '8')",
    ) -> dict[str, str]:
        """A mapping of strings to strings (labels, alias tables)."""
        out: dict[str, str] = {}
        for k, v in self.table(node, where, parent=parent, key=key).items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise self.fail(node, k, f"{where}.{k}", problem)
            out[k] = v
        return out
