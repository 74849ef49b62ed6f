"""Numeric variant compatibility (``match.variant: numeric``): variants compared as numbers.

Some clients do not keep a table of what a host runs: they read a variant as a
number (``v3`` is 3, ``7`` is 7; a leading ``v`` is dropped, anything that is
not an integer counts as 0) and a host runs every variant of its own
architecture whose number is at most its own. The host's own variant (the same
string) is preferred, then larger numbers; variants of equal number keep list
order. Two special cases: a host whose variant is 1 also runs an entry without
variant (counted 0 anyway), and a host without variant also runs an entry
whose variant is 1.

This is regclient's ``types/platform`` (``compare.go``: ``variantCompatible``,
``variantVer``, ``compare.Better``), regctl 0.6.0 and later; the rule file
cites it. Only the mechanism is here.
"""

from __future__ import annotations

from planner.model.units import go_int

__all__ = ["numeric_rank", "numeric_vector", "variant_number"]


def variant_number(variant: str) -> int:
    """The variant as a number: ``v3`` -> 3, ``7`` -> 7, anything not an integer -> 0."""
    value = go_int(variant.removeprefix("v"))
    return 0 if value is None else value


def _top(host_variant: str) -> int:
    """The largest variant number a host runs (one more than its own for a host without one)."""
    number = variant_number(host_variant)
    return 1 if host_variant == "" and number < 1 else number


def numeric_rank(host_variant: str, entry_variant: str) -> int | None:
    """The entry's rank for a host of its architecture, or None when the host does not run it.

    0 for the host's own variant; otherwise 1 plus how far the entry's number is
    below the largest number the host runs, so larger numbers come first.
    """
    if entry_variant == host_variant:
        return 0
    host, entry = variant_number(host_variant), variant_number(entry_variant)
    runs = (
        host >= entry or (host == 1 and entry_variant == "") or (host_variant == "" and entry == 1)
    )
    if not runs:
        return None
    return 1 + _top(host_variant) - entry


def numeric_vector(architecture: str, host_variant: str) -> tuple[tuple[str, str], ...]:
    """What the host runs, as a list to show: its own, then ``v<n>`` down to ``v1``, then none.

    Every other variant whose number is 0 (not an integer) also runs, ranked with none.
    """
    out: list[tuple[str, str]] = [(architecture, host_variant)]
    for number in range(min(_top(host_variant), 64), 0, -1):
        if f"v{number}" != host_variant:
            out.append((architecture, f"v{number}"))
    if host_variant:
        out.append((architecture, ""))
    return tuple(out)
