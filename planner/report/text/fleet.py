"""Fleet checks as text for a terminal: the matrix of hosts x images, the failures, the
fleet figures and the release gate, fitted to the width."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.app.fleet import FleetReport
from planner.hosts.profiles import HostProfile
from planner.model.text import human_size, plural
from planner.report.layout import Style, aligned, safe, wrap
from planner.report.rollout import lines as rollout_lines
from planner.report.rows import cell, fleet_footer, pick, problem_rows, row_groups

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["fleet_text", "render"]


def row_name(host: HostProfile, more: int) -> str:
    return f"{safe(host.name)} (+{more})" if more else safe(host.name)


def _matrix(
    report: FleetReport,
    headers: list[str],
    compact: bool,
    rows_of: list[tuple[HostProfile, int]],
    hosts_apart: bool = False,
) -> list[list[str]]:
    described = ["platform", "rules"] if not hosts_apart else []
    rows = [["host", *described, *headers, "download"]]
    for host, more in rows_of:
        cells = [cell(report.pair(host.name, image), compact) for image in report.images]
        about = [safe(host.platform.describe()), host.rules.name] if not hosts_apart else []
        size = human_size(report.host_bytes(host.name)) if report.planned else "-"
        each = f"{size} each" if more and report.planned else size
        rows.append([row_name(host, more), *about, *cells, each])
    return rows


def fleet_text(
    report: FleetReport, width: int = 80, style: Style | None = None, *, expand: bool = False
) -> str:
    """One row per pool of like hosts (see :func:`row_groups`; ``expand``: per host),
    one column per image, then the failures and the fleet figures.

    When the matrix is wider than ``width``, images are numbered ([1], [2] ...)
    with a legend above; when it is still too wide, a cell shows the status and
    size only, and the picks are listed under the matrix; when it is still too
    wide, each host's platform and rules move to a list under it too.
    """
    paint = style or Style(None)
    names = [safe(image) for image in report.images]
    legend: list[str] = []
    rows_of = row_groups(report, expand)
    lines = aligned(_matrix(report, names, False, rows_of))
    picks: list[str] = []
    hosts: list[str] = []
    if max(map(len, lines)) > width:
        numbered = [f"[{i}]" for i in range(1, len(names) + 1)]
        legend = [f"[{i}] {name}" for i, name in enumerate(names, start=1)]
        lines = aligned(_matrix(report, numbered, False, rows_of))
        if max(map(len, lines)) > width:
            lines = aligned(_matrix(report, numbered, True, rows_of))
            if max(map(len, lines)) > width:
                lines = aligned(_matrix(report, numbered, True, rows_of, hosts_apart=True))
                about = [
                    [f"  {row_name(h, more)}", safe(h.platform.describe()), h.rules.name]
                    for h, more in rows_of
                ]
                listed = aligned(about)
                if max(map(len, listed)) > width:  # each host's platform and rules under it
                    listed = [f"{row[0]}\n      {row[1]}  {row[2]}" for row in about]
                hosts = ["hosts:", *listed]
            for host, more in rows_of:
                for i, image in enumerate(report.images, start=1):
                    pair = report.pair(host.name, image)
                    if pair.status == "ok":
                        picks.append(f"  {row_name(host, more)} [{i}]: {pick(pair)}")
    out = [*legend, *([""] if legend else []), *lines]
    if hosts:
        out += ["", *hosts]
    if picks:
        out += ["", "picks:", *picks]
    problems = problem_rows(report, rows_of)
    if problems:
        out.append("")
        for pair, more in problems:
            prefix = "allowed" if pair.status == "allowed" else "FAIL"
            who = (
                f"{safe(pair.host.name)} and {plural(more, 'more host')}"
                if more
                else safe(pair.host.name)
            )
            text = f"{prefix}  {who} x {safe(pair.image)}: {safe(pair.problem)}"
            wrapped = wrap(text, width, " " * 6)
            out += [paint("fail", line) if prefix == "FAIL" else line for line in wrapped]
    out.append("")
    for line in fleet_footer(report):
        out += wrap(line, width, "  ")
    failures = len(report.failures)
    closed = report.gate_closed  # a refused rollout closes it too (its lines follow)
    gate = paint("fail", "release gate: closed") if closed else paint("ok", "release gate: open")
    out.append(f"{plural(len(report.pairs), 'check')}, {failures} failed, {gate}")
    return "\n".join(out) + "\n"


def render(report: FleetReport, options: RenderOptions) -> str:
    """The ``text`` row of :data:`planner.report.formats.FORMATS`."""
    style = Style(enabled=options.color)
    text = fleet_text(report, options.width, style, expand=options.expand)
    if report.rollout is not None and report.rollout.rows:
        text += (
            "\n"
            + "\n".join(safe(line) for line in rollout_lines(report.rollout, options.width))
            + "\n"
        )
    return text
