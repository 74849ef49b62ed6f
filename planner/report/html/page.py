"""The HTML report: one self-contained page for any :class:`~planner.report.html.matrix.Matrix`.

The page is a record of the check that people open from a CI artifact or a
file: the matrix (one row per host or node pool, one column per image or
workload, each cell coloured by status with its pick and size), a bar chart
of the downloads (inline SVG), the problems, the run's inputs and request
figures, and the details of any cell on click (or Enter/Space on a focused
cell, arrow keys to move).

Rules the page keeps:

* **Nothing is fetched.** Style, script and chart are inline; a
  Content-Security-Policy (``default-src 'none'``) allows only the page's own
  style and script by hash (:mod:`planner.report.html.assets`) and ``data:``
  images, so even text that slipped through could not load anything.
* **Everything is escaped.** Every value a registry or a file gave goes
  through :func:`html.escape`; attribute values also write control
  characters as character references, so ``data-host``, ``data-image`` (or
  ``data-workload``) and ``data-status`` read back exactly the JSON output's
  values. The details travel as JSON inside a ``<script
  type="application/json">`` block with ``<``, ``>`` and ``&`` written as
  ``\\u003c``…, so no value can end the block.
* **Large fleets stay fast**: rows are node pools (like hosts share one, as
  in the text matrix), every cell's details are written once per distinct
  answer, and drawn only when asked for.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any

from planner.model import __version__
from planner.model.text import human_size, plural
from planner.report.html.assets import SCRIPT, SCRIPT_HASH, STYLE, STYLE_HASH
from planner.report.html.matrix import STATUSES, Cell, Matrix, Row
from planner.report.rows import MARK

__all__ = ["CELL_BUDGET", "CSP", "MAX_BARS", "MAX_PROBLEMS", "render_html"]

CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; script-src '{SCRIPT_HASH}';"
    " img-src data:; base-uri 'none'; form-action 'none'"
)
CELL_BUDGET = 4000
"""Cells drawn in the page's markup; further rows are drawn by its script when needed."""
MAX_BARS = 40
"""Rows drawn in the chart, largest first; the rest share one bar."""
MAX_PROBLEMS = 500
"""Problem lines listed under the matrix; the cells still show every one."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""Lone surrogates (a JSON file's ``\\udc80``) cannot be written as UTF-8: the page shows
them as their escape, as the terminal does."""


def _t(text: object) -> str:
    """Text content, escaped."""
    return html.escape(str(text), quote=False)


_TOKEN = re.compile(r"\S{16,}")
_SEPARATOR = re.compile(r"(?<=[/:@,=_])(?=[^\s/:.@,=_])|(?<=\.)(?=[^\s/:.@,=_\d])")


def _w(text: object) -> str:
    """Text content, escaped, with ``<wbr>`` after each separator (``/ : @ , = _``, a dot
    before no digit) of a long token, as the page's script writes it: lines break there,
    at spaces or after a hyphen, never inside a name, a version or a digest."""
    parts = _TOKEN.split(str(text))
    tokens = _TOKEN.findall(str(text))
    out = [_t(parts[0])]
    for token, after in zip(tokens, parts[1:], strict=True):
        out.append("<wbr>".join(_t(piece) for piece in _SEPARATOR.split(token)) + _t(after))
    return "".join(out)


def _a(value: object) -> str:
    """An attribute value, escaped; control characters as references (so they read back)."""
    return _CONTROL.sub(lambda m: f"&#{ord(m.group())};", html.escape(str(value), quote=True))


def _json(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _size(value: int | None) -> str:
    return human_size(value) if value is not None else "-"


def _row_name(row: Row) -> str:
    more = len(row.members) - 1
    return f"{row.label} (+{more})" if more else row.label


def _header(m: Matrix) -> str:
    closed = m.failures > 0 or m.gate_closed
    gate = "closed" if closed else "open"
    noun = m.check_noun
    figures = [
        ("checks", f"{noun}s", str(m.checks), ""),
        ("failed", "failed", str(m.failures), ""),
        ("hosts", m.row_kind if m.hosts() == 1 else f"{m.row_kind}s", str(m.hosts()), ""),
        ("columns", f"{m.column_kind}s", str(len(m.columns)), ""),
    ]
    if m.check_noun == m.column_kind:  # a check per column: said once
        del figures[-1]
    if m.total_bytes is not None:
        figures.append(("fleet", "fleet download", _size(m.total_bytes), f"{m.total_bytes}"))
    if m.unique_bytes is not None:
        figures.append(
            ("mirror", "mirror fetches once", _size(m.unique_bytes), f"{m.unique_bytes}")
        )
    items = "".join(
        f'<div><dt>{_t(name)}</dt><dd id="total-{ident}"'
        + (f' data-bytes="{_a(raw)}"' if raw else "")
        + f">{_t(value)}</dd></div>"
        for ident, name, value, raw in figures
    )
    return (
        f"<header><h1>{_t(m.title)}</h1>"
        f'<p><span class="gate {gate}" id="gate" data-checks="{m.checks}"'
        f' data-failures="{m.failures}">release gate: {gate}</span> '
        f"{_t(plural(m.checks, m.check_noun))}, {m.failures} failed</p>"
        f'<dl class="totals">{items}</dl></header>'
    )


def _controls(m: Matrix) -> str:
    legend = "".join(f'<span class="s-{s}">{_t(MARK[s])}</span>' for s in reversed(STATUSES))
    return (
        '<div class="controls" role="group" aria-label="matrix controls">'
        '<label>Rows <select id="sort"><option value="listed">as listed</option>'
        '<option value="failures">failures first</option>'
        '<option value="download">largest download first</option>'
        f'<option value="name">by name</option><option value="column" disabled>'
        f"by a clicked {_t(m.column_kind)}</option></select></label>"
        f'<label>{_t(m.column_kind.capitalize())}s <select id="columns">'
        '<option value="listed">as listed</option>'
        '<option value="failures">failures first</option></select></label>'
        '<label><input type="checkbox" id="only-failing"> only rows that fail</label>'
        f'<span class="legend" aria-label="legend">{legend}</span></div>'
    )


def _failing(cell: Cell | None) -> bool:
    return cell is not None and cell.failing


def _row_json(row: Row, line: tuple[Cell | None, ...], kinds: dict[Cell, int]) -> list[Any]:
    """A row drawn later by the page's script, compactly (the same markup as :func:`_row`):
    its cells as indexes into the page's distinct cells (``kinds``), -1 for none."""
    cells = [kinds.setdefault(cell, len(kinds)) if cell is not None else -1 for cell in line]
    return [row.key, row.label, list(row.members), list(row.about), row.download_bytes, cells]


def _row(m: Matrix, order: int, row: Row, line: tuple[Cell | None, ...]) -> str:
    kind = m.column_kind
    count = len(row.members)
    fails = sum(map(_failing, line))
    each = row.download_bytes
    total = each * count if each is not None else 0
    out = [
        f'<tr data-{_a(m.row_kind)}="{_a(row.key)}" data-label="{_a(row.label)}"'
        f' data-hosts="{count}" data-order="{order}" data-fail="{fails}"'
        f' data-total="{total}"><th scope="row">{_w(row.label)}'
    ]
    if count > 1:
        members = "".join(
            f'<li data-{_a(m.row_kind)}="{_a(name)}">{_w(name)}</li>' for name in row.members
        )
        out.append(
            f'<details class="members"><summary>+{count - 1} like it</summary>'
            f"<ul>{members}</ul></details>"
        )
    out.append("</th>")
    out += [f'<td class="about">{_w(value)}</td>' for value in row.about]
    for col, cell in zip(m.columns, line, strict=True):
        if cell is None:
            out.append(
                f'<td class="na" data-{_a(m.row_kind)}="{_a(row.key)}"'
                f' data-{_a(kind)}="{_a(col.key)}">\u2013</td>'
            )
            continue
        size = f' data-bytes="{cell.download_bytes}"' if cell.download_bytes is not None else ""
        title = f' title="{_a(cell.problem)}"' if cell.problem else ""
        shown = _w(cell.pick)
        if cell.status != "ok":
            shown = f"<b>{_t(MARK[cell.status])}</b>" + (f"<br>{shown}" if shown else "")
        if cell.download_bytes is not None and cell.status in ("ok", "allowed"):
            shown += f"<small>{_t(human_size(cell.download_bytes))}</small>"
        out.append(
            f'<td class="c s-{cell.status}" data-{_a(m.row_kind)}="{_a(row.key)}"'
            f' data-{_a(kind)}="{_a(col.key)}" data-status="{cell.status}"'
            f'{size} data-d="{cell.detail}"{title}><button type="button">{shown}</button></td>'
        )
    dl = _size(each) + (" each" if count > 1 and each is not None else "")
    bytes_attr = f' data-bytes="{each}"' if each is not None else ""
    out.append(f'<td class="dl"{bytes_attr}>{_t(dl)}</td></tr>')
    return "".join(out)


def _matrix(m: Matrix, drawn: int) -> str:
    """The table with its first ``drawn`` rows; the page's script draws the rest on demand."""
    kind = m.column_kind
    out = [
        f'<div class="scroll"><table id="matrix" data-row-kind="{_a(m.row_kind)}"'
        f' data-column-kind="{_a(kind)}" data-lead="{1 + len(m.about_labels)}"'
        f' data-columns="{len(m.columns)}"><thead><tr><th scope="col">{_t(m.row_kind)}</th>'
    ]
    out += [f'<th scope="col">{_t(label)}</th>' for label in m.about_labels]
    shorts = [_short(col.label) for col in m.columns]
    if len(set(shorts)) < len(shorts):
        shorts = [col.label for col in m.columns]
    for i, (col, short) in enumerate(zip(m.columns, shorts, strict=True)):
        fails = sum(
            len(row.members) for row, line in zip(m.rows, m.cells, strict=True) if _failing(line[i])
        )
        title = f"{col.label}: {col.about}" if col.about else col.label
        problem = ""
        if col.problem:
            title += f"; {col.problem}"
            problem = '<small class="f">FAILS</small>'
        out.append(
            f'<th scope="col" class="col" data-{_a(kind)}="{_a(col.key)}"'
            f' data-label="{_a(col.label)}" data-fail="{fails}">'
            f'<button type="button" title="{_a(title)}">{_w(short)}</button>{problem}</th>'
        )
    out.append('<th scope="col">download</th></tr></thead><tbody>')
    rows = zip(m.rows[:drawn], m.cells[:drawn], strict=True)
    out += [_row(m, order, row, line) for order, (row, line) in enumerate(rows)]
    out.append("</tbody></table></div>")
    left = len(m.rows) - drawn
    if left > 0:
        out.append(
            f'<p id="more" data-pending="{left}"><button type="button" id="show-all">'
            f"Show all {_t(plural(left, 'more row'))}</button>"
            ' <span class="muted">(drawn as you scroll)</span></p>'
        )
    return "".join(out)


_DIGEST = re.compile(r"(?<=[:@])([0-9a-f]{12})[0-9a-f]{20,}")


def _short(label: str) -> str:
    """A column header: the last path part of a long reference, a digest's first 12 hex
    digits and an ellipsis (the full reference is its title)."""
    if len(label) <= 24:
        return label
    return _DIGEST.sub("\\1\u2026", label.rsplit("/", 1)[-1])


def _bars(lines: Iterable[tuple[str, int, str, str]], title: str, chart_id: str) -> str:
    """A horizontal bar chart: (label, bytes, value text, css class) per bar."""
    bars = list(lines)
    top = max((value for _, value, _, _ in bars), default=0) or 1
    height = 22 * len(bars) + 8
    out = [
        f'<svg id="{chart_id}" role="img" aria-label="{_a(title)}" viewBox="0 0 900 {height}"'
        f' width="900" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{_t(title)}'
        "</title>"
    ]
    for i, (label, value, text, cls) in enumerate(bars):
        y = 4 + 22 * i
        width = round(400 * value / top, 1)  # room after it for "1.3MB (650kB x 2)"
        short = label if len(label) <= 46 else label[:45] + "\u2026"
        out.append(
            f'<g data-bytes="{value}" data-label="{_a(label)}"><title>{_t(label)}: {_t(text)}'
            f'</title><text x="0" y="{y + 14}">{_t(short)}</text>'
            f'<rect class="{cls}" x="310" y="{y + 2}" width="{width}" height="16" rx="2"/>'
            f'<text class="v" x="{310 + width + 6}" y="{y + 14}">{_t(text)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _chart(m: Matrix) -> str:
    if m.total_bytes is None:
        return (
            '<section class="chart"><h2>Downloads</h2>'
            '<p class="muted">No sizes: the run did not plan downloads.</p></section>'
        )
    rows = [
        (row, (row.download_bytes or 0) * len(row.members), row.download_bytes or 0)
        for row in m.rows
    ]
    rows.sort(key=lambda item: -item[1])
    lines = []
    for row, total, each in rows[:MAX_BARS]:
        count = len(row.members)
        text = human_size(total) + (f" ({human_size(each)} \u00d7 {count})" if count > 1 else "")
        lines.append((_row_name(row), total, text, "bar"))
    rest = rows[MAX_BARS:]
    if rest:
        total = sum(item[1] for item in rest)
        lines.append((f"{plural(len(rest), 'more row')}", total, human_size(total), "bar"))
    unique = m.unique_bytes or 0
    fleet = [
        (f"every {m.row_kind}: the fleet total", m.total_bytes, human_size(m.total_bytes), "bar"),
        ("a pull-through mirror, once", unique, human_size(unique), "bar2"),
    ]
    noun = f"{m.row_kind} or node pool"
    return (
        f'<section class="chart"><h2>Downloads</h2><p class="muted">What each {_t(noun)}'
        " downloads for every column (each distinct blob once, what it has excluded).</p>"
        + _bars(lines, f"download bytes per {noun}", "chart-rows")
        + "<h3>Fleet</h3>"
        + _bars(fleet, "fleet total and mirror unique bytes", "chart-fleet")
        + "</section>"
    )


def _problems(m: Matrix) -> str:
    lines = [
        f'<li><span class="f">FAIL</span> <code>{_t(col.label)}</code>: {_t(col.problem)}</li>'
        for col in m.columns
        if col.problem
    ]
    for row, line in zip(m.rows, m.cells, strict=True):
        for col, cell in zip(m.columns, line, strict=True):
            if cell is not None and cell.problem:
                more = len(row.members) - 1
                who = f"{row.label} and {plural(more, 'more ' + m.row_kind)}" if more else row.label
                mark = "FAIL" if cell.failing else "allowed"
                lines.append(
                    f'<li><span class="{"f" if cell.failing else "muted"}">{mark}</span> '
                    f"<code>{_t(who)}</code> \u00d7 <code>{_t(col.label)}</code>:"
                    f" {_t(cell.problem)}</li>"
                )
    if not lines:
        return ""
    note = ""
    if len(lines) > MAX_PROBLEMS:
        note = f'<p class="muted">{len(lines) - MAX_PROBLEMS} more: see the matrix.</p>'
    return (
        f'<section class="problems"><h2>Problems</h2><ul>{"".join(lines[:MAX_PROBLEMS])}</ul>'
        f"{note}</section>"
    )


def _table(title: str, lines: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{_t(k)}</th><td>{_t(v)}</td></tr>" for k, v in lines)
    return f"<div><h3>{_t(title)}</h3><table>{body}</table></div>"


def _rollout(m: Matrix) -> str:
    """The rollout cost per registry: a table, the refused rows, what is assumed."""
    if not m.rollout:
        return ""
    head, *rows = m.rollout
    header = "".join(f'<th scope="col">{_t(c)}</th>' for c in head)
    body = "".join("<tr>" + "".join(f"<td>{_t(c)}</td>" for c in row) + "</tr>" for row in rows)
    lines = "".join(f"<p>{_t(line)}</p>" for line in m.rollout_lines)
    return (
        '<section class="rollout"><h2>Rollout cost per registry</h2>'
        f'<div class="scroll"><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody>'
        f"</table></div>{lines}</section>"
    )


def _inputs(m: Matrix) -> str:
    tables = [_table(title, lines) for title, lines in m.inputs]
    if m.stats:
        tables.append(_table("Registry requests", m.stats))
    notes = "".join(f"<p>{_t(note)}</p>" for note in m.notes)
    return f'<section><h2>Inputs</h2><div class="inputs">{"".join(tables)}</div>{notes}</section>'


def render_html(matrix: Matrix, *, generated: str = "", cell_budget: int = CELL_BUDGET) -> str:
    """The page, as one string (UTF-8 when written); ``generated``: when, for the footer.

    The first rows, up to ``cell_budget`` cells (at least one row), are in the
    page's markup; the rest travel in its JSON block and are drawn by its
    script as the matrix is scrolled, or all at once when sorting, filtering
    or asked to.
    """
    m = matrix
    drawn = max(1, cell_budget // max(1, len(m.columns)))
    kinds: dict[Cell, int] = {}
    later = [
        _row_json(row, line, kinds)
        for row, line in zip(m.rows[drawn:], m.cells[drawn:], strict=True)
    ]
    data = {
        "details": [[s.to_json() for s in sections] for sections in m.details],
        "rows": later,
        "cells": [[c.status, c.pick, c.download_bytes, c.problem, c.detail] for c in kinds],
    }
    when = f", {_t(generated)}" if generated else ""
    return _SURROGATE.sub(lambda c: f"\\u{ord(c.group()):04x}", _page(m, drawn, data, when))


def _page(m: Matrix, drawn: int, data: dict[str, Any], when: str) -> str:
    title = f"{m.title}: {plural(m.checks, m.check_noun)}, {m.failures} failed"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_a(CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{_t(title)}</title><style>{STYLE}</style></head><body>"
        + _header(m)
        + _controls(m)
        + '<section aria-label="matrix">'
        + _matrix(m, drawn)
        + '<p class="hint">Click a cell, or press Enter or Space on it (arrow keys move,'
        " Escape closes), for its details: the pick, every candidate's verdict, the warnings"
        " and the blobs.</p>"
        "<noscript><p>Cell details need JavaScript; the problems are listed below.</p>"
        "</noscript></section>"
        '<aside id="details" aria-label="cell details" hidden>'
        '<button type="button" class="close" id="close-details">Close</button>'
        '<h2>Details</h2><div id="detail" aria-live="polite"></div></aside>'
        + _chart(m)
        + _problems(m)
        + _rollout(m)
        + _inputs(m)
        + f"<footer>pull-planner {_t(__version__)}{when}</footer>"
        f'<script type="application/json" id="pp-data">{_json(data)}</script>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
