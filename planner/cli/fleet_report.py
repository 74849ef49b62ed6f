"""Render fleet checks: a text matrix, Markdown (CI job summaries), JUnit XML (CI test reports)."""

from __future__ import annotations

from xml.etree import ElementTree

from planner.app.fleet import FleetReport, PairResult
from planner.model.units import human_size

__all__ = ["fleet_footer", "fleet_junit", "fleet_markdown", "fleet_text"]

_MARK = {"ok": "ok", "allowed": "allowed", "no-image": "NO IMAGE", "will-not-run": "WON'T RUN"}


def _cell(pair: PairResult) -> str:
    if pair.status == "ok":
        platform = pair.resolution.platform
        shown = platform.describe() if platform is not None else "(no platform)"
        if pair.plan is not None:
            return f"{shown}, {human_size(pair.download_bytes)}"
        return shown
    return _MARK[pair.status]


def fleet_footer(report: FleetReport) -> list[str]:
    lines = []
    for image in report.images:
        total, unique = report.image_bytes(image)
        lines.append(
            f"{image}: hosts download {human_size(total)} in all, {human_size(unique)} unique"
        )
    lines.append(
        f"fleet: {human_size(report.total_bytes)} downloaded by {len(report.hosts)} hosts;"
        f" a pull-through mirror fetches {human_size(report.unique_bytes)} once"
    )
    return lines


def fleet_text(report: FleetReport) -> str:
    """One row per host, one column per image, then the failures and the fleet figures."""
    header = ["host", "platform", "rules", *report.images, "download"]
    rows = [header]
    for host in report.hosts:
        cells = [_cell(report.pair(host.name, image)) for image in report.images]
        rows.append(
            [
                host.name,
                host.platform.describe(),
                host.rules.name,
                *cells,
                human_size(report.host_bytes(host.name)),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    problems = [p for p in report.pairs if p.problem]
    if problems:
        lines.append("")
        for pair in problems:
            prefix = "allowed" if pair.status == "allowed" else "FAIL"
            lines.append(f"{prefix}  {pair.host.name} x {pair.image}: {pair.problem}")
    lines.append("")
    lines.extend(fleet_footer(report))
    failures = len(report.failures)
    lines.append(
        f"{len(report.pairs)} checks, {failures} failed"
        + (", release gate: closed" if failures else ", release gate: open")
    )
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def fleet_markdown(report: FleetReport) -> str:
    """A Markdown report for CI job summaries and pull-request comments."""
    icon = {"ok": "✅", "allowed": "⚠️", "no-image": "❌", "will-not-run": "❌"}
    failures = len(report.failures)
    lines = [
        "## pull-planner check",
        "",
        f"**{len(report.pairs)} checks, {failures} failed** "
        f"({_count(len(report.hosts), 'host')} x {_count(len(report.images), 'image')})",
        "",
        "| host | platform | rules | "
        + " | ".join(f"`{_md(i)}`" for i in report.images)
        + " | download |",
        "|---|---|---|" + "---|" * len(report.images) + "---:|",
    ]
    for host in report.hosts:
        cells = []
        for image in report.images:
            pair = report.pair(host.name, image)
            cells.append(f"{icon[pair.status]} {_md(_cell(pair))}")
        lines.append(
            f"| {_md(host.name)} | `{_md(host.platform.describe())}` | {host.rules.name} | "
            + " | ".join(cells)
            + f" | {human_size(report.host_bytes(host.name))} |"
        )
    problems = [p for p in report.pairs if p.problem]
    if problems:
        lines += ["", "### Problems", ""]
        for pair in problems:
            state = "allowed" if pair.status == "allowed" else "**fails**"
            lines.append(
                f"- `{_md(pair.host.name)}` x `{_md(pair.image)}` {state}: {_md(pair.problem)}"
            )
    lines += ["", "### Download sizes", ""]
    lines += [f"- {_md(line)}" for line in fleet_footer(report)]
    return "\n".join(lines) + "\n"


def fleet_junit(report: FleetReport) -> str:
    """JUnit XML: one test suite per image, one test case per host."""
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
            name=image,
            tests=str(len(pairs)),
            failures=str(sum(not p.ok for p in pairs)),
            skipped=str(sum(p.status == "allowed" for p in pairs)),
        )
        for pair in pairs:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=image,
                name=f"{pair.host.name} ({pair.host.platform.describe()})",
            )
            if pair.status in ("no-image", "will-not-run"):
                failure = ElementTree.SubElement(
                    case, "failure", message=pair.problem, type=pair.status
                )
                failure.text = pair.problem
            elif pair.status == "allowed":
                ElementTree.SubElement(case, "skipped", message=f"allowed: {pair.problem}")
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
