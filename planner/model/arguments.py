"""Arguments of the public functions, checked where they enter the library.

A wrong type is :class:`InvalidArgument`: an :class:`InvalidInput` (so a
:class:`~planner.PlannerError`, exit 2 for the CLI) and a ``TypeError`` (what
Python callers expect), whose message names the argument. Each check costs a
few ``isinstance`` calls per argument (one pass over a list), never a cost per
pair in a fleet's loops.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from planner.model.errors import InvalidInput

__all__ = [
    "InvalidArgument",
    "bandwidth_argument",
    "check_argument",
    "items_argument",
    "optional_argument",
    "path_argument",
    "paths_argument",
]

T = TypeVar("T")


class InvalidArgument(InvalidInput, TypeError):
    """A public function was called with an argument of the wrong type or value."""


def _kind(value: object) -> str:
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "None" if value is None else type(value).__name__


def check_argument(value: object, types: type | tuple[type, ...], name: str, expected: str) -> None:
    """``value`` is an instance of ``types``; else ``name must be expected, not …``."""
    if not isinstance(value, types):
        raise InvalidArgument(f"{name} must be {expected}, not {_kind(value)}")


def items_argument(
    value: object, types: type[T] | tuple[type, ...], name: str, expected: str
) -> list[T]:
    """``value`` as a list whose every item is one of ``types``.

    A string (or bytes) is refused rather than read as a sequence of
    one-character items; so is anything that is not iterable.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidArgument(f"{name} must be a list of {expected}, not {_kind(value)}")
    items = list(value)
    for position, item in enumerate(items):
        if not isinstance(item, types):
            raise InvalidArgument(f"{name}[{position}] must be {expected}, not {_kind(item)}")
    return items


def _path_text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    raise InvalidArgument(f"{name} must be a path (str or os.PathLike), not {_kind(value)}")


def path_argument(value: object, name: str) -> Path:
    """A ``str`` or ``os.PathLike`` path as a :class:`Path`."""
    return Path(_path_text(value, name))


def paths_argument(value: object, name: str) -> list[str]:
    """One path (a ``str`` or ``os.PathLike`` is one file) or a list of them, as strings."""
    if isinstance(value, (str, os.PathLike)):
        return [_path_text(value, name)]
    items: list[object] = items_argument(
        value, (str, os.PathLike), name, "paths (str or os.PathLike)"
    )
    return [_path_text(item, f"{name}[{i}]") for i, item in enumerate(items)]


def bandwidth_argument(value: object, name: str = "bandwidth") -> float | None:
    """None, or a finite number of bits per second above 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{name} must be bits per second (a number), not {_kind(value)}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InvalidArgument(f"{name} must be more than 0 bits per second, not {value!r}")
    return number


def optional_argument(value: Any, types: type | tuple[type, ...], name: str, expected: str) -> None:
    """None or an instance of ``types``."""
    if value is not None:
        check_argument(value, types, name, f"{expected} or None")
