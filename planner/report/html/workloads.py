"""The workload adapter of the HTML report: a :class:`~planner.workloads.check.WorkloadReport`
as a matrix.

Rows are node pools (:attr:`WorkloadReport.pools`), split where their nodes'
answers differ (a nodeSelector on ``kubernetes.io/hostname`` makes one node
of a pool eligible and not the next, and allowances are per node), so
that every cell holds for every node of its row; columns are the workloads
(``data-workload`` is ``KIND/NAMESPACE/NAME``); a cell is the node's result
(``nodes[].status`` and ``.download_bytes`` of the JSON output), or none where
the workload is not scheduled on those nodes. A cell's details have one
section per container: its pull's resolution and plan
(:class:`~planner.app.pulls.Pull`), as for an image check
(:func:`planner.report.html.fleet.pair_section`). A workload no node may run
has its problem in its column header.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.hosts.records import HostProfile
from planner.model.record import replace
from planner.model.text import plural
from planner.report.html.fleet import image_line, pair_section, stats_lines
from planner.report.html.matrix import Cell, Column, Matrix, Row, Section
from planner.report.layout import safe
from planner.report.rows import no_node
from planner.workloads.check import WorkloadReport, WorkloadResult
from planner.workloads.model import NodeResult

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["render", "workload_matrix"]


def _rows(report: WorkloadReport) -> list[tuple[str, tuple[HostProfile, ...]]]:
    """(label, nodes) per row: each pool, split by the nodes' answers (status per workload)."""
    of_node = [
        {h.name: g.status for pool in result.pools for g in pool.groups for h in g.hosts}
        for result in report.results
    ]
    rows: list[tuple[str, tuple[HostProfile, ...]]] = []
    for pool in report.pools:
        groups: dict[tuple[str, ...], list[HostProfile]] = {}
        for host in pool.hosts:
            answers = tuple(statuses.get(host.name, "") for statuses in of_node)
            groups.setdefault(answers, []).append(host)
        for members in groups.values():
            whole = len(members) == len(pool.hosts)
            rows.append((safe(pool.name) if whole else safe(members[0].name), tuple(members)))
    return rows


def _container_problems(node: NodeResult) -> str:
    return "; ".join(f"{p.subject}: {p.reason}" for p in node.problems)


def _sections(result: WorkloadResult, node: NodeResult) -> tuple[Section, ...]:
    out = []
    # no pair: the kubelet refused the pod (spec.os.name), or the registry lacks the image
    pulled = {pull.image: pull for pull in node.pulls}
    for container in result.workload.containers:
        if container.reference not in pulled:
            continue
        pull = pulled[container.reference]
        kind = "init container" if container.init else "container"
        title = f"{kind} {container.name}: {container.image}"
        out.append(replace(pair_section(pull), title=safe(title)))
    return tuple(out)


def _cell(result: WorkloadResult, node: NodeResult, detail: int) -> Cell:
    if node.problems:
        pick = ", ".join(safe(p.container.name if p.container else "pod") for p in node.problems)
    elif len(node.pulls) == 1:
        platform = node.pulls[0].resolution.platform
        pick = safe(platform.describe()) if platform is not None else ""
    else:
        pick = plural(len(node.pulls), "image")
    return Cell(
        status=node.status,
        pick=pick,
        download_bytes=node.download_bytes if node.pulls and node.pulls[0].plan else None,
        problem=safe(_container_problems(node)),
        detail=detail,
    )


def _column(result: WorkloadResult) -> Column:
    w = result.workload
    about = (
        ", ".join(f"{'init ' if c.init else ''}{c.name} ({c.image})" for c in w.containers)
        or "no containers"
    )
    problem = no_node(result) if not result.eligible else ""
    return Column(
        key=w.id, label=safe(w.id), about=safe(f"{w.place}: {about}"), problem=safe(problem)
    )


def workload_matrix(
    report: WorkloadReport,
    *,
    plans: bool = True,
    inventory: Sequence[tuple[str, str]] = (),
    options: Sequence[tuple[str, str]] = (),
) -> Matrix:
    """The page's matrix of a workload check (``inventory``, ``options`` as for
    :func:`planner.report.html.fleet.fleet_matrix`)."""
    nodes = [
        {h.name: (g, h) for pool in result.pools for g in pool.groups for h in g.hosts}
        for result in report.results
    ]
    details: list[tuple[Section, ...]] = []
    seen: dict[tuple[object, ...], int] = {}
    rows: list[Row] = []
    cells: list[tuple[Cell | None, ...]] = []
    for label, members in _rows(report):
        first = members[0]
        line: list[Cell | None] = []
        for index, result in enumerate(report.results):
            found = nodes[index].get(first.name)
            if found is None:
                line.append(None)
                continue
            node = found[0].result(found[1])
            # one section list per (workload, status, pulls): pulls by (image, pull host)
            key = (index, node.status, tuple(p.key for p in node.pulls))
            if key not in seen:
                seen[key] = len(details)
                details.append(_sections(result, node))
            line.append(_cell(result, node, seen[key]))
        about = [safe(first.platform.describe()), safe(first.rules.name)]
        rows.append(
            Row(
                key=first.name,
                members=tuple(h.name for h in members),
                label=label,
                about=tuple(about),
                download_bytes=report.node_bytes.get(first.name, 0) if plans else None,
            )
        )
        cells.append(tuple(line))
    rules = Counter(h.rules.name for h in report.hosts)
    summaries = {h.rules.name: h.rules.summary for h in report.hosts}
    resolution_of = {p.image: p.resolution for p in reversed(report.pulls)}
    images = list(dict.fromkeys(p.image for p in report.pulls))
    return Matrix(
        title="pull-planner check -f",
        columns=tuple(_column(result) for result in report.results),
        rows=tuple(rows),
        cells=tuple(cells),
        details=tuple(details),
        column_kind="workload",
        check_noun="workload",
        checks=len(report.results),
        failures=len(report.failures),
        gate_closed=report.gate_closed,
        total_bytes=report.total_bytes if plans else None,
        unique_bytes=report.unique_bytes if plans else None,
        inputs=(
            (
                "Workloads",
                tuple((safe(r.workload.id), safe(r.workload.place)) for r in report.results),
            ),
            ("Images", tuple((safe(i), image_line(resolution_of[i])) for i in images)),
            (
                "Inventory",
                (
                    *inventory,
                    (
                        "nodes",
                        f"{plural(len(report.hosts), 'node')} in"
                        f" {plural(len(report.pools), 'node pool')}",
                    ),
                ),
            ),
            (
                "Rule releases",
                tuple(
                    (safe(name), f"{plural(count, 'node')}: {safe(summaries[name])}")
                    for name, count in rules.items()
                ),
            ),
            *((("Options", tuple(options)),) if options else ()),
        ),
        stats=stats_lines(report.stats),
        notes=tuple(
            safe(f"skipped, not a workload: {s.what} at {s.place} ({s.reason})")
            for s in report.skipped
        ),
    )


def render(report: WorkloadReport, options: RenderOptions) -> str:
    """The ``html`` row of :data:`planner.report.formats.FORMATS`: the page of a workload check."""
    from planner.report.html.page import render_html
    from planner.report.rollout import matrix_fields

    matrix = workload_matrix(
        report,
        plans=report.planned,
        inventory=options.inventory,
        options=options.recorded,
    )
    matrix = replace(matrix, **matrix_fields(report.rollout))  # type: ignore[arg-type]
    return render_html(matrix, generated=options.generated)
