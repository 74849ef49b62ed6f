"""TOML files with positions: the standard library parses, this module says where.

``tomllib`` (``tomli`` before Python 3.11) gives values without positions; a
problem with a key is placed by finding the key's line in the text (``key =``
inside the right ``[table]``), which is exact for the hand-written files these
are. Parse errors keep the parser's own ``(at line L, column C)``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from planner.hosts.registries.records import InvalidRegistryConfig, Origin
from planner.model.files import read_capped

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

__all__ = ["MAX_CONFIG_BYTES", "TomlFile"]

MAX_CONFIG_BYTES = 4 << 20

_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_AT_END = re.compile(r"\s*\(at end of document\)$")
_HEADER = re.compile(r"^\s*\[\[?\s*(.*?)\s*\]\]?\s*(?:#.*)?$")


class TomlFile:
    """One parsed TOML file and its lines, for placing problems."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        data = read_capped(path, MAX_CONFIG_BYTES, error=InvalidRegistryConfig)
        try:
            self.text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRegistryConfig(
                f"{path}: as {fmt}: not UTF-8 text (byte {exc.start})"
            ) from None
        self.lines = self.text.splitlines()
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            match = _AT.search(message)
            if match:
                where = f"{path}:{match.group(1)}:{match.group(2)}"
                message = message[: match.start()]
            else:
                where = (
                    f"{path}:{max(len(self.lines), 1)}:1" if _AT_END.search(message) else str(path)
                )
                message = _AT_END.sub("", message)
            raise InvalidRegistryConfig(f"{where}: as {fmt}: not TOML: {message}") from None

    def origin(self, key: str | None, table: str = "", nth: int = 0) -> Origin:
        """Where ``key`` is set in ``[table]`` (the top level when ''), or the table's header
        (``key`` None); ``nth`` counts repeated ``[[table]]`` headers. Line 1 when not found."""
        current = ""
        count = -1
        header_line = 0
        for number, line in enumerate(self.lines, 1):
            header = _HEADER.match(line)
            if header and not line.lstrip().startswith(("#",)) and "=" not in line.split("]")[0]:
                current = _normal(header.group(1))
                if current == _normal(table):
                    count += 1
                    if count == nth:
                        header_line = number
                        if key is None:
                            return Origin(self.path, number, line.index("[") + 1)
                continue
            if key is None or current != _normal(table) or (table and count != nth):
                continue
            stripped = line.lstrip()
            for spelling in (key, f'"{key}"', f"'{key}'"):
                if stripped.startswith(spelling) and stripped[len(spelling) :].lstrip().startswith(
                    "="
                ):
                    return Origin(self.path, number, len(line) - len(stripped) + 1)
        return Origin(self.path, header_line or 1, 1)

    def fail(
        self, key: str | None, table: str, where: str, problem: str, nth: int = 0
    ) -> InvalidRegistryConfig:
        return InvalidRegistryConfig(
            f"{self.origin(key, table, nth)}: as {self.fmt}: {where}: {problem}"
        )


def _normal(name: str) -> str:
    """A table name without quotes or spaces around dots: ``host."https://m:5000"``."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', name)
    return ".".join(a or b or c for a, b, c in parts)
