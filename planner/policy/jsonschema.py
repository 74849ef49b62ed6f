"""The JSON Schema of a rule file, built from :data:`planner.policy.schema.KEYS`."""

from __future__ import annotations

from typing import Any

from planner.policy.schema import KEYS, SCHEMA_VERSION, Key

__all__ = ["json_schema"]

_HOST_KEY = r"^[a-z0-9_-]+(/[a-z0-9_.-]+)?$"
_ITEM = r"^(\.\.\.)?[a-z0-9_-]+(/[a-z0-9_.-]+)?$"


def _leaf(k: Key) -> dict[str, Any]:
    out: dict[str, Any]
    if k.kind == "integer" and k.path == "schema":
        out = {"const": SCHEMA_VERSION}
    elif k.kind == "integer":
        out = {"type": "integer", "minimum": 0, "maximum": 9}
    elif k.kind == "string":
        out = {"type": "string"}
    elif k.kind == "strings":
        out = {"type": "array", "items": {"type": "string"}}
    elif k.kind == "boolean":
        out = {"type": "boolean"}
    elif k.kind == "enum":
        out = {"enum": list(k.choices)}
    elif k.kind == "enums":
        out = {"type": "array", "items": {"enum": list(k.choices)}}
    elif k.kind == "builds":  # [] is meaningful for windows.ltsc_builds: exact builds only
        out = {"type": "array", "items": {"type": "integer", "minimum": 1}}
        if k.required:
            out["minItems"] = 1
    elif k.kind == "string-map":
        out = {"type": "object", "additionalProperties": {"type": "string"}}
    elif k.kind == "platform-list":
        out = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _ITEM}}
    elif k.kind == "enum-or-platform":
        out = {"anyOf": [{"enum": list(k.choices)}, {"type": "string", "pattern": "/"}]}
    elif k.kind == "range-list":
        out = {"type": "array", "items": _table(k.path + "[]")}
    else:  # a table: its children are added by _table
        out = {"type": "object", "additionalProperties": False, "properties": {}}
    out["description"] = k.doc
    if k.default not in (None, (), {}, ""):
        out["default"] = k.default
    return out


def _table(prefix: str, doc: str = "") -> dict[str, Any]:
    """The object schema of the keys under ``prefix`` (``<...>`` keys become additionalProperties)."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
    if doc:
        out["description"] = doc
    required = []
    names: dict[str, list[Key]] = {}
    for k in KEYS:
        rest = k.path[len(prefix) + 1 :] if prefix else k.path
        if prefix and not k.path.startswith(prefix + "."):
            continue
        names.setdefault(rest.split(".", 1)[0], []).append(k)
    names = {n: ks for n, ks in names.items() if not n.endswith("[]")}  # item keys: range-list
    for name, keys in names.items():
        direct = next((k for k in keys if k.path == f"{prefix}.{name}".lstrip(".")), None)
        full = f"{prefix}.{name}".lstrip(".")
        if direct is not None and direct.kind != "table":
            sub = _leaf(direct)
        elif direct is not None and len(keys) == 1:  # a table whose keys are rule keys (set)
            sub = {"type": "object", "description": direct.doc}
        else:
            sub = _table(full, direct.doc if direct is not None else "")
        if name.startswith("<"):
            if name == "<host>":
                out["propertyNames"] = {"pattern": _HOST_KEY}
            out["additionalProperties"] = sub
        else:
            out["properties"][name] = sub
            if direct is not None and direct.required:
                required.append(name)
    if required:
        out["required"] = required
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a rule file, built from :data:`KEYS`."""
    schema = _table("")
    sides = schema["properties"]["normalize"]
    side = sides.pop("additionalProperties")
    sides["properties"] = {"host": {"oneOf": [{"const": "none"}, side]}, "candidates": None}
    sides["properties"]["candidates"] = sides["properties"]["host"]
    sides["required"] = ["host", "candidates"]
    sides["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://pull-planner.invalid/schema/rules.json",
        "title": "pull-planner rule file",
        **schema,
    }
