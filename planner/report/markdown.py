"""Markdown for CI job summaries and pull-request comments: fleets and workloads.

Everything a registry or a file said is escaped (:func:`md_text`) or fenced
(:func:`md_code`), so a name is text, never markup, an image or a link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from planner.app.fleet import FleetReport
from planner.app.rollout import Rollout
from planner.model.text import human_size, plural
from planner.report import rollout as rollout_table
from planner.report.layout import safe
from planner.report.rows import (
    cell,
    fleet_footer,
    pool_cell,
    problem_rows,
    row_groups,
    workload_footer,
    workload_problems,
)
from planner.workloads.check import WorkloadReport

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["fleet_markdown", "md_code", "md_text", "workload_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&])")
_ZERO_WIDTH = "&#8203;"
_PINGS = re.compile(r"@(?=\w)|:(?=//)|www(?=\.)", re.IGNORECASE)
"""Where a mention (``@org/team``, ``@user``, an e-mail address) or a bare link
(``https://…``, ``www.…``) would start: GitHub turns them into pings and links in
plain text (GFM autolink literals; team mentions notify every member)."""


def md_text(text: str) -> str:
    """Untrusted text for Markdown (a job summary): escaped for a terminal (:func:`safe`),
    then every character Markdown or HTML could act on backslash-escaped, so a name such
    as ``![x](http://…)`` is text, not an image (CommonMark: backslash escapes), and
    ``&`` so that no entity is spelled; then mentions and bare links are broken with a
    zero-width space (``@&#8203;org/team``, ``https:&#8203;//…``, ``www&#8203;.``, as
    Dependabot does in the release notes it quotes), so a name pings nobody and links
    nowhere. Code spans (:func:`md_code`) need none of it: GitHub makes no mention or
    link inside one."""
    escaped = _MD_SPECIAL.sub(r"\\\1", safe(text))
    return _PINGS.sub(r"\g<0>" + _ZERO_WIDTH, escaped)


def md_code(text: str) -> str:
    """Untrusted text as a Markdown code span: a fence of more backticks than any run in
    it, so it cannot close the span early (CommonMark: code spans); ``|`` escaped for
    tables (GitHub's tables split cells even inside code spans)."""
    body = safe(text).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def fleet_markdown(report: FleetReport, options: RenderOptions | None = None) -> str:
    """A Markdown report for CI job summaries and pull-request comments (rows as
    :func:`~planner.report.rows.row_groups`; ``options.expand``: a row per host)."""
    expand = options is not None and options.expand
    icon = {"ok": "✅", "allowed": "⚠️", "no-image": "❌", "will-not-run": "❌", "broken": "❌"}
    failures = len(report.failures)
    lines = [
        "## pull-planner check",
        "",
        f"**{len(report.pairs)} checks, {failures} failed** "
        f"({plural(len(report.hosts), 'host')} x {plural(len(report.images), 'image')})",
        "",
        "| host | platform | rules | "
        + " | ".join(md_code(i) for i in report.images)
        + " | download |",
        "|---|---|---|" + "---|" * len(report.images) + "---:|",
    ]
    rows_of = row_groups(report, expand)
    for host, more in rows_of:
        cells = []
        for image in report.images:
            pair = report.pair(host.name, image)
            cells.append(f"{icon[pair.status]} {md_text(cell(pair))}")
        name = md_text(host.name) + (f" (+{more})" if more else "")
        size = (
            human_size(report.host_bytes(host.name)) + (" each" if more else "")
            if report.planned
            else "-"
        )
        platform = md_code(host.platform.describe())
        lines.append(
            f"| {name} | {platform} | {md_text(host.rules.name)} | "
            + " | ".join(cells)
            + f" | {size} |"
        )
    problems = problem_rows(report, rows_of)
    if problems:
        lines += ["", "### Problems", ""]
        for pair, more in problems:
            state = "allowed" if pair.status == "allowed" else "**fails**"
            also = f" (and {plural(more, 'more host')})" if more else ""
            route = pair.resolution.route
            via = (
                f" (from {md_code(pair.resolution.endpoint)},"
                f" {md_code(route.origin or route.config)})"
                if route is not None
                else ""
            )
            lines.append(
                f"- {md_code(pair.host.name)}{also} x {md_code(pair.image)} {state}:"
                f" {md_text(pair.problem)}{via}"
            )
    lines += ["", "### Download sizes", ""]
    lines += [f"- {md_text(line)}" for line in fleet_footer(report)]
    lines += rollout_markdown(report.rollout)
    return "\n".join(lines) + "\n"


def workload_markdown(report: WorkloadReport, options: RenderOptions | None = None) -> str:
    """A Markdown report (CI job summaries): the matrix, the problems, the download figures."""
    failed = len(report.failures)
    icon = {
        "ok": "✅",
        "allowed": "⚠️",
        "no-image": "❌",
        "will-not-run": "❌",
        "broken": "❌",
        "-": "·",
    }
    lines = [
        "## pull-planner check",
        "",
        f"**{plural(len(report.results), 'workload')}, {failed} failed**"
        f" ({plural(len(report.hosts), 'node')}, {plural(len(report.pools), 'node pool')})",
        "",
        "| workload | " + " | ".join(md_text(p.name) for p in report.pools) + " |",
        "|---|" + "---|" * len(report.pools),
    ]
    for result in report.results:
        cells = []
        for pool in result.pools:
            status, text = pool_cell(pool, False)
            if not result.eligible:
                status, text = "no-image", "NO NODE"
            cells.append(f"{icon[status]} {md_text(text)}")
        lines.append(f"| {md_code(result.workload.id)} | " + " | ".join(cells) + " |")
    found = [line for result in report.results for line in workload_problems(result)]
    if found:
        lines += ["", "### Problems", ""]
        lines += [f"- {'**fails**' if w == 'FAIL' else 'allowed'}: {md_text(t)}" for w, t in found]
    lines += ["", "### Download sizes", ""]
    lines += [f"- {md_text(line)}" for line in workload_footer(report)]
    lines += rollout_markdown(report.rollout)
    if report.skipped:
        lines += ["", "### Skipped", ""]
        lines += [
            f"- {md_text(s.what)} ({md_text(s.place)}): {md_text(s.reason)}" for s in report.skipped
        ]
    return "\n".join(lines) + "\n"


def rollout_markdown(rollout: Rollout | None) -> list[str]:
    """The rollout cost per registry: a table, each refused row, what is assumed."""
    if rollout is None or not rollout.rows:
        return []
    out = ["", "### Rollout cost per registry", ""]
    out.append("| " + " | ".join(rollout_table.HEADER) + " |")
    out.append("|---" * len(rollout_table.HEADER) + "|")
    for row in rollout.rows:
        out.append("| " + " | ".join(md_text(c) for c in rollout_table.cells(row)) + " |")
    out.append("")
    out += [f"- **refused**: {md_text(row.sentence())}" for row in rollout.failures]
    out.append(f"- {md_text(rollout.note)}")
    return out
