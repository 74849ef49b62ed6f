"""Workload checks as text: the matrix of workloads x node pools, the problems, the
figures, the release gate; and the suggested fixes as YAML patches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.model.text import human_size, plural
from planner.report.layout import Style, aligned, safe, wrap
from planner.report.rollout import lines as rollout_lines
from planner.report.rows import pool_cell, workload_footer, workload_problems
from planner.workloads.check import WorkloadReport

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["render", "workload_patches", "workload_text"]


IMMUTABLE_POD_SPEC = ("Pod", "Job")
"""Kinds whose pod template the API server does not let change (ValidatePodUpdate;
ValidateJobSpecUpdate: spec.template is immutable)."""


def _grid(report: WorkloadReport, compact: bool) -> list[list[str]]:
    """Each workload's cell on each node pool ([workload][pool])."""
    grid = []
    for result in report.results:
        if not result.eligible:
            grid.append(["NO NODE" for _ in report.pools])
            continue
        grid.append([pool_cell(pool, compact)[1] for pool in result.pools])
    return grid


def _workload_matrix(
    report: WorkloadReport, headers: list[str], compact: bool, by_pool: bool = False
) -> list[list[str]]:
    """The matrix: a row per workload and a column per pool (``headers``), or with
    ``by_pool`` a row per node pool (with what its nodes download) and a column per
    workload, as the HTML page lays it out."""
    grid = _grid(report, compact)
    if not by_pool:
        names = [safe(result.workload.id) for result in report.results]
        return [["workload", *headers]] + [
            [name, *row] for name, row in zip(names, grid, strict=True)
        ]
    rows = [["node pool", *headers, "download"]]
    for index, pool in enumerate(report.pools):
        size = human_size(report.pool_bytes(pool)) if report.planned else "-"  # the pool's nodes
        label = f"{safe(pool.name)} ({plural(len(pool.hosts), 'node')})"
        rows.append([label, *(row[index] for row in grid), size])
    return rows


def skipped_lines(report: WorkloadReport) -> list[str]:
    if not report.skipped:
        return []
    listed = ", ".join(f"{s.what} ({s.reason})" for s in report.skipped)
    return [f"skipped: {listed}"]


def workload_text(
    report: WorkloadReport, width: int = 80, style: Style | None = None, *, by_pool: bool = False
) -> str:
    """One row per workload, one column per node pool (``by_pool``: one row per node pool,
    one column per workload, as the HTML page), then the problems and the figures.

    A cell is the worst status over the pool's eligible nodes and the largest
    download among them (``N/M`` when only N of its M nodes are eligible; ``-``
    when none is; ``NO NODE`` across the row when no node at all is). When the
    matrix is wider than ``width``, its columns are numbered with a legend above; when
    still too wide, cells show the status only; when still too wide, each
    row's name stands on its own line above its cells.
    """
    paint = style or Style(None)
    if by_pool:
        names = [safe(result.workload.id) for result in report.results]
    else:
        names = [safe(pool.name) for pool in report.pools]
    lines = aligned(_workload_matrix(report, names, False, by_pool))
    legend: list[str] = []
    if max(map(len, lines)) > width:
        numbered = [f"[{i}]" for i in range(1, len(names) + 1)]
        legend = [f"[{i}] {name}" for i, name in enumerate(names, start=1)]
        lines = aligned(_workload_matrix(report, numbered, False, by_pool))
        if max(map(len, lines)) > width:
            matrix = _workload_matrix(report, numbered, True, by_pool)
            lines = aligned(matrix)
            if max(map(len, lines)) > width:
                cells = aligned([row[1:] for row in matrix])
                lines = [f"{matrix[0][0]}\n  {cells[0]}"] + [
                    f"{row[0]}\n  {line}" for row, line in zip(matrix[1:], cells[1:], strict=True)
                ]
    out = [*legend, *([""] if legend else []), *lines]
    found = [line for result in report.results for line in workload_problems(result)]
    if found:
        out.append("")
        for word, text in found:
            wrapped = wrap(f"{word}  {safe(text)}", width, " " * 6)
            out += [paint("fail", line) if word == "FAIL" else line for line in wrapped]
    out.append("")
    for line in workload_footer(report) + skipped_lines(report):
        out += wrap(safe(line), width, "  ")
    failed = len(report.failures)
    closed = report.gate_closed  # a refused rollout closes it too (its lines follow)
    plain = "release gate: closed" if closed else "release gate: open"
    gate = paint("fail" if closed else "ok", plain)
    summary = f"{plural(len(report.results), 'workload')}, {failed} failed,"
    fits = len(summary) + 1 + len(plain) <= width
    out += [f"{summary} {gate}"] if fits else [summary, gate]
    return "\n".join(out) + "\n"


def workload_patches(report: WorkloadReport) -> str:
    """The suggested fixes as YAML: a strategic merge patch per workload an affinity fixes,
    with the images that need more platforms as comments."""
    import yaml

    parts = []
    for result in report.failures:
        suggestion = result.suggestion
        if suggestion is None:
            continue
        w = result.workload
        head = [f"# {safe(w.id)}"]
        patch = suggestion.patch(w.pod_spec)
        if patch is not None:
            head.append(f"# runs on {plural(len(suggestion.keeps), 'node')} with this affinity:")
            if w.kind in IMMUTABLE_POD_SPEC:  # the API server refuses a patch of it
                head.append(f"#   (a {w.kind}'s pod spec cannot change: edit it and re-create)")
            else:
                head.append(
                    f"#   kubectl patch {w.kind.lower()} {safe(w.name)} -n {safe(w.namespace)}"
                    " --patch-file PATCH.yaml"
                )
        elif not result.eligible:
            head.append("# no eligible node: nothing to patch")
        elif suggestion.builds:
            head.append("# no eligible node runs every container: build the images below")
        else:
            head.append(
                "# no eligible node runs it, and no image build would help: the pod's"
                " spec.os.name names an OS none of its nodes run; select nodes of that OS"
            )
        for build in suggestion.builds:
            head.append(
                f"# build {safe(build.image)} (container {safe(build.container)}) for: "
                + ", ".join(safe(p) for p in build.platforms)
            )
        body = yaml.safe_dump(patch, sort_keys=False) if patch is not None else ""
        parts.append("\n".join(head) + "\n" + body)
    return "---\n".join(parts)


def render(report: WorkloadReport, options: RenderOptions) -> str:
    """The ``text`` row of :data:`planner.report.formats.FORMATS`: the matrix, and with
    ``suggest`` the patches of the failing workloads under it."""
    text = workload_text(
        report, options.width, Style(enabled=options.color), by_pool=options.rows == "pools"
    )
    if options.suggest and report.failures:
        return text + "\n" + workload_patches(report)  # YAML to paste: nothing after it
    if report.rollout is not None and report.rollout.rows:
        text += (
            "\n"
            + "\n".join(safe(line) for line in rollout_lines(report.rollout, options.width))
            + "\n"
        )
    return text
