"""Render fleet checks: a text matrix, Markdown (CI job summaries), JUnit XML (CI test reports)."""

from __future__ import annotations

from xml.etree import ElementTree

from planner.app.fleet import FleetReport, PairResult
from planner.hosts.profiles import HostProfile
from planner.model.text import plural
from planner.model.units import human_size
from planner.report.layout import Style, aligned, md_code, md_text, safe, wrap

__all__ = [
    "MARK",
    "fleet_footer",
    "fleet_junit",
    "fleet_markdown",
    "fleet_text",
    "row_groups",
    "row_members",
]

MARK = {"ok": "ok", "allowed": "allowed", "no-image": "NO IMAGE", "will-not-run": "WON'T RUN"}
"""How a status reads in a report: failures in capitals."""


def _pick(pair: PairResult) -> str:
    platform = pair.resolution.platform
    return safe(platform.describe()) if platform is not None else "(no platform)"


def _cell(pair: PairResult, compact: bool = False) -> str:
    if pair.status != "ok":
        return MARK[pair.status]
    size = human_size(pair.download_bytes) if pair.plan is not None else ""
    if compact:
        return f"ok {size}".rstrip()
    return f"{_pick(pair)}, {size}" if size else _pick(pair)


def fleet_footer(report: FleetReport) -> list[str]:
    lines = []
    for image in report.images:
        total, unique = report.image_bytes(image)
        lines.append(
            f"{safe(image)}: hosts download {human_size(total)} in all, {human_size(unique)} unique"
        )
    lines.append(
        f"fleet: {human_size(report.total_bytes)} downloaded by {plural(len(report.hosts), 'host')};"
        f" a pull-through mirror fetches {human_size(report.unique_bytes)} once"
    )
    return lines


def row_groups(report: FleetReport, expand: bool = False) -> list[tuple[HostProfile, int]]:
    """The matrix rows: (first host, how many more hosts the row stands for).

    Hosts of one pool (:func:`planner.app.fleet.pools_of`: same platform, rules,
    isolation and ``have``) get the same answers, so they share one row, named
    after the pool's first host, unless their statuses differ (allowances are
    per host).  ``expand`` gives every host its own row.
    """
    return [(members[0], len(members) - 1) for members in row_members(report, expand)]


def row_members(report: FleetReport, expand: bool = False) -> list[tuple[HostProfile, ...]]:
    """The hosts of each row of :func:`row_groups`, in host order, rows by first host."""
    if expand or not report.pools:
        return [(host,) for host in report.hosts]
    groups: dict[tuple[int, tuple[str, ...]], list[HostProfile]] = {}
    for index, pool in enumerate(report.pools):
        for host in pool:
            statuses = tuple(report.pair(host.name, image).status for image in report.images)
            groups.setdefault((index, statuses), []).append(host)
    order = {host.name: i for i, host in enumerate(report.hosts)}
    return sorted((tuple(m) for m in groups.values()), key=lambda m: order[m[0].name])


def _problems(
    report: FleetReport, rows_of: list[tuple[HostProfile, int]]
) -> list[tuple[PairResult, int]]:
    """The pairs with a problem, one per row (with the number of hosts it stands for)."""
    pairs = [
        (report.pair(host.name, image), more) for host, more in rows_of for image in report.images
    ]
    return [(pair, more) for pair, more in pairs if pair.problem]


def _row_name(host: HostProfile, more: int) -> str:
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
        cells = [_cell(report.pair(host.name, image), compact) for image in report.images]
        about = [safe(host.platform.describe()), host.rules.name] if not hosts_apart else []
        size = human_size(report.host_bytes(host.name))
        rows.append([_row_name(host, more), *about, *cells, f"{size} each" if more else size])
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
                    [f"  {_row_name(h, more)}", safe(h.platform.describe()), h.rules.name]
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
                        picks.append(f"  {_row_name(host, more)} [{i}]: {_pick(pair)}")
    out = [*legend, *([""] if legend else []), *lines]
    if hosts:
        out += ["", *hosts]
    if picks:
        out += ["", "picks:", *picks]
    problems = _problems(report, rows_of)
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
    gate = paint("fail", "release gate: closed") if failures else paint("ok", "release gate: open")
    out.append(f"{plural(len(report.pairs), 'check')}, {failures} failed, {gate}")
    return "\n".join(out) + "\n"


def fleet_markdown(report: FleetReport, expand: bool = False) -> str:
    """A Markdown report for CI job summaries and pull-request comments (rows as :func:`row_groups`)."""
    icon = {"ok": "✅", "allowed": "⚠️", "no-image": "❌", "will-not-run": "❌"}
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
            cells.append(f"{icon[pair.status]} {md_text(_cell(pair))}")
        name = md_text(host.name) + (f" (+{more})" if more else "")
        size = human_size(report.host_bytes(host.name)) + (" each" if more else "")
        platform = md_code(host.platform.describe())
        lines.append(
            f"| {name} | {platform} | {md_text(host.rules.name)} | "
            + " | ".join(cells)
            + f" | {size} |"
        )
    problems = _problems(report, rows_of)
    if problems:
        lines += ["", "### Problems", ""]
        for pair, more in problems:
            state = "allowed" if pair.status == "allowed" else "**fails**"
            also = f" (and {plural(more, 'more host')})" if more else ""
            lines.append(
                f"- {md_code(pair.host.name)}{also} x {md_code(pair.image)} {state}:"
                f" {md_text(pair.problem)}"
            )
    lines += ["", "### Download sizes", ""]
    lines += [f"- {md_text(line)}" for line in fleet_footer(report)]
    return "\n".join(lines) + "\n"


def fleet_junit(report: FleetReport) -> str:
    """JUnit XML: one test suite per image, one test case per host (text escaped as for a terminal)."""
    root = ElementTree.Element(
        "testsuites",
        name="pull-planner check",
        tests=str(len(report.pairs)),
        failures=str(len(report.failures)),
    )
    for image in report.images:
        pairs = [p for p in report.pairs if p.image == image]
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=safe(image),
            tests=str(len(pairs)),
            failures=str(sum(not p.ok for p in pairs)),
            skipped=str(sum(p.status == "allowed" for p in pairs)),
        )
        for pair in pairs:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=safe(image),
                name=f"{safe(pair.host.name)} ({safe(pair.host.platform.describe())})",
            )
            if pair.status in ("no-image", "will-not-run"):
                problem = safe(pair.problem)  # control characters are not legal in XML 1.0
                failure = ElementTree.SubElement(case, "failure", message=problem, type=pair.status)
                failure.text = problem
            elif pair.status == "allowed":
                ElementTree.SubElement(case, "skipped", message=f"allowed: {safe(pair.problem)}")
            out = ElementTree.SubElement(case, "system-out")
            selected = pair.resolution.selected
            details = [f"rules: {pair.host.rules.name}"]
            if selected is not None:
                details.append(f"selected: {selected.digest} ({_cell(pair)})")
            if pair.plan is not None:
                details.append(
                    f"download: {pair.plan.totals.download_bytes} bytes of {pair.plan.totals.bytes}"
                )
            out.text = "\n".join(details)
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )
