"""The rollout cost as a table: one row per (egress, registry), the same cells in every
format (text, Markdown, HTML); JUnit adds a failing case per refused row."""

from __future__ import annotations

from planner.app.rollout import RegistryCost, Rollout

__all__ = ["HEADER", "cells", "limit_cell", "lines", "matrix_fields"]

HEADER = (
    "egress",
    "registry",
    "pulls",
    "GET",
    "HEAD",
    "blobs",
    "+start",
    "limit",
    "refused",
)
"""GET, HEAD: manifest requests (GETs are what a limit counts); blobs: blob GETs; +start:
the manifest GETs each further start of the Always pods adds."""


def limit_cell(row: RegistryCost) -> str:
    limit = row.limit
    if limit is None:
        return "-"
    text = f"{limit.count}/{limit.window()}"
    if limit.observed:
        text += " (registry's headers"
        text += f", {limit.remaining} left)" if limit.remaining is not None else ")"
    elif limit.remaining is not None:
        text += f" ({limit.remaining} left, registry's headers)"
    return text


def cells(row: RegistryCost) -> tuple[str, ...]:
    return (
        row.egress or "(one egress)",
        row.registry,
        f"{row.pulls:,}",
        f"{row.manifest_get:,}",
        f"{row.manifest_head:,}",
        "?" if row.blob_get is None else f"{row.blob_get:,}",
        f"+{row.again_get:,}" if row.again_get else "-",
        limit_cell(row),
        f"{row.refused:,}" if row.limit is not None else "-",
    )


def lines(rollout: Rollout, width: int = 80) -> list[str]:
    """The table as aligned text lines, then the gate's sentences and what is assumed,
    wrapped at ``width``."""
    import textwrap

    table = [HEADER, *(cells(r) for r in rollout.rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    out = ["Rollout cost per registry:"]
    for line in table:
        out.append("  " + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    said = [f"REFUSED: {refused.sentence()}" for refused in rollout.failures]
    said.append(f"({rollout.note}; GET, HEAD: manifest requests; +start: GETs per further start)")
    for text in said:
        out += textwrap.wrap(text, max(40, width), initial_indent="  ", subsequent_indent="    ")
    return out


def matrix_fields(rollout: Rollout | None) -> dict[str, tuple[object, ...]]:
    """The HTML matrix's ``rollout`` and ``rollout_lines`` (empty without rows)."""
    if rollout is None or not rollout.rows:
        return {}
    return {
        "rollout": (HEADER, *(cells(r) for r in rollout.rows)),
        "rollout_lines": (
            *(f"Refused: {r.sentence()}" for r in rollout.failures),
            rollout.note,
        ),
    }
