"""Compose's variable interpolation, as compose-go ``template.Substitute`` does it,
in time linear in the text and within a budget on what it writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from planner.model.yamlfile import EXPANSION_FACTOR, MIN_EXPANSION

__all__ = ["MAX_NESTING", "Budget", "interpolate"]

_PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)"
    r"|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?].*)?)\}|(?P<invalid>)))",
    re.IGNORECASE,
)
"""compose-go ``template.DefaultPattern`` (``.`` stops at a newline, as in Go)."""
_START = re.compile(r"\$(?:\$|[_a-z][_a-z0-9]*|\{)", re.IGNORECASE)
_OPERATOR = re.compile(r"([_a-z][_a-z0-9]*)(:?[-+?])?(.*)", re.IGNORECASE | re.DOTALL)
_BRACES = re.compile(r"[{}\n]")
MAX_NESTING = 32
"""Variables in defaults deeper than this are refused (compose-go has no limit)."""


class Budget:
    """How many characters interpolation may still write, across the values of one
    compose file and its ``.env`` (``${A}${A}``, each line doubling the one before,
    would otherwise make gigabytes of a few lines)."""

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit

    def allow(self, limit: int) -> None:
        """Raise the limit to ``limit`` (when it is more)."""
        if limit > self.limit:
            self.left += limit - self.limit
            self.limit = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ValueError(
                f"variables expand to more than {self.limit >> 20} MiB (the larger of"
                f" {MIN_EXPANSION >> 20} MiB and {EXPANSION_FACTOR} times the .env file's size)"
            )


def _closings(text: str) -> dict[int, int]:
    """Where each ``{`` that compose-go ``getFirstBraceClosingIndex`` would count closes.

    That scan skips the character after each ``{`` it counts, and never crosses a
    newline; a scan from any ``${`` agrees with one from the line's start from
    the ``{`` on, so one pass over the text answers every scan (a scan per
    variable, each to the line's end, is quadratic in a line of ``${A:-{``).
    """
    out: dict[int, int] = {}
    opened: list[int] = []
    skipped = -1
    for brace in _BRACES.finditer(text):
        i = brace.start()
        if text[i] == "\n":
            opened.clear()
        elif i == skipped:
            continue
        elif text[i] == "{":
            opened.append(i)
            skipped = i + 1
        elif opened:
            out[opened.pop()] = i
    return out


class _Template:
    """One text being interpolated: the environment, the unset names, the budget."""

    def __init__(self, text: str, environ: Mapping[str, str], budget: Budget) -> None:
        self.text, self.environ, self.budget = text, environ, budget
        self.unset: list[str] = []
        self.closings = _closings(text)

    def invalid(self) -> ValueError:
        return ValueError(f"invalid interpolation format in {self.text!r}")


def interpolate(
    text: str, environ: Mapping[str, str], budget: Budget | None = None
) -> tuple[str, list[str]]:
    """``text`` with its variables substituted, and the names of unset ones (Compose: blank).

    As compose-go's ``template.Substitute`` (``compose-spec`` ``interpolation.md``):
    ``$$`` is ``$``; ``$VAR`` and ``${VAR}``; ``${VAR:-default}`` (unset or
    empty), ``${VAR-default}`` (unset); ``${VAR:?message}``, ``${VAR?message}``
    (an error); ``${VAR:+other}``, ``${VAR+other}``; a default, message or other
    value is interpolated in turn (``${A:-${B:-x}}``), at most
    :data:`MAX_NESTING` deep. A ``$`` before anything else stays; ``${``
    without a valid ``NAME[op…]}`` is an error. The time taken is linear in
    ``text`` and what it writes is charged to ``budget`` (by default
    :data:`MIN_EXPANSION` characters).

    Raises ValueError with Compose's message for a missing required variable
    or an invalid template, or when the budget or the nesting is exceeded.
    """
    template = _Template(text, environ, budget or Budget(MIN_EXPANSION))
    return _substitute(template, 0, len(text), 0), template.unset


def _substitute(t: _Template, lo: int, hi: int, depth: int) -> str:
    """Each variable of ``t.text[lo:hi]`` replaced, left to right.

    compose-go matches :data:`_PATTERN` greedily (``${A:-x}-${B}`` as one
    match, up to the line's last ``}``), cuts the match where its first brace
    closes and substitutes the rest on its own; going on from the cut is the
    same, in linear time.
    """
    if depth > MAX_NESTING:
        raise ValueError("variables nested too deeply to interpolate")
    text = t.text
    out: list[str] = []
    at = lo
    while (match := _START.search(text, at, hi)) is not None:
        start, end = match.span()
        if text[end - 1] == "{":
            line_end = text.find("\n", start, hi)
            closing = t.closings.get(start + 1, -1)
            if -1 < closing < (hi if line_end < 0 else line_end):
                end = closing + 1
            elif (greedy := _PATTERN.match(text, start, hi)) is not None:
                end = greedy.end()
        t.budget.spend(start - at)
        out += (text[at:start], _replace(t, start, end, depth))
        at = end
    t.budget.spend(hi - at)
    out.append(text[at:hi])
    return "".join(out)


def _replace(t: _Template, start: int, end: int, depth: int) -> str:
    """compose-go ``DefaultReplacementAppliedFunc`` for one (cut) match of :data:`_PATTERN`."""
    match = _PATTERN.match(t.text, start, end)
    if match is None or match.group("escaped"):
        return _value(t, "$")
    group = "named" if match.group("named") else "braced"
    if not match.group(group):
        raise t.invalid()
    operator = _OPERATOR.fullmatch(t.text, *match.span(group))
    assert operator is not None  # _PATTERN matched NAME first
    name, op = operator.group(1), operator.group(2)
    value = t.environ.get(name)
    if op is None:
        if value is None:
            t.unset.append(name)
        return _value(t, value or "")
    present = value is not None and (value != "" or not op.startswith(":"))
    lo, hi = operator.span(3)
    if op.endswith("-"):
        return _value(t, str(value)) if present else _substitute(t, lo, hi, depth + 1)
    if op.endswith("+"):
        return _substitute(t, lo, hi, depth + 1) if present else _value(t, value or "")
    if not present:
        reason = _substitute(t, lo, hi, depth + 1)
        raise ValueError(
            f"required variable {name} is missing a value" + (f": {reason}" if reason else "")
        )
    return _value(t, str(value))


def _value(t: _Template, value: str) -> str:
    t.budget.spend(len(value))
    return value
