"""One key of the rule-file schema (:data:`planner.policy.schema.KEYS` lists them all)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Key", "Kind"]

Kind = Literal[
    "integer",
    "string",
    "strings",
    "boolean",
    "enum",
    "enums",
    "builds",
    "string-map",
    "platform-list",
    "table",
    "enum-or-platform",
    "range-list",
]


@dataclass(frozen=True)
class Key:
    """One key of a rule file."""

    path: str
    kind: Kind
    doc: str
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
