"""What every format of a check report shows: status words, rows, cells, problems, footers.

Fleets: hosts of one pool get the same answers, so they share one row (see
:func:`row_groups`). Workloads: a row per workload, a column per node pool, a cell
the worst status over the pool's eligible nodes. The text, Markdown and JUnit
renderers take their words from here, so a status reads the same in each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.model.text import human_size, plural
from planner.report.layout import safe

if TYPE_CHECKING:
    from planner.app.fleet import FleetReport, PairResult
    from planner.hosts.records import HostProfile
    from planner.workloads.check import WorkloadReport, WorkloadResult
    from planner.workloads.model import NodeGroup, PoolResult

__all__ = [
    "MARK",
    "RANK",
    "cell",
    "fleet_footer",
    "no_node",
    "pick",
    "pool_cell",
    "problem_rows",
    "row_groups",
    "row_members",
    "who",
    "workload_footer",
    "workload_problems",
]

MARK = {
    "ok": "ok",
    "allowed": "allowed",
    "no-image": "NO IMAGE",
    "will-not-run": "WON'T RUN",
    "broken": "WON'T PULL",
}
"""How a status reads in a report: failures in capitals."""

RANK = {"ok": 0, "allowed": 1, "will-not-run": 2, "broken": 3, "no-image": 4}


# --------------------------------------------------------------------------- fleets


def pick(pair: PairResult) -> str:
    platform = pair.resolution.platform
    return safe(platform.describe()) if platform is not None else "(no platform)"


def cell(pair: PairResult, compact: bool = False) -> str:
    if pair.status != "ok":
        return MARK[pair.status]
    size = human_size(pair.download_bytes) if pair.plan is not None else ""
    if compact:
        return f"ok {size}".rstrip()
    return f"{pick(pair)}, {size}" if size else pick(pair)


def fleet_footer(report: FleetReport) -> list[str]:
    """Download figures per image and for the fleet; unknown, not zero, without plans."""
    if not report.planned:
        return ["download sizes: unknown (no plans were made; only the indexes were read)"]
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


def problem_rows(
    report: FleetReport, rows_of: list[tuple[HostProfile, int]]
) -> list[tuple[PairResult, int]]:
    """The pairs with a problem, one per row (with the number of hosts it stands for)."""
    pairs = [
        (report.pair(host.name, image), more) for host, more in rows_of for image in report.images
    ]
    return [(pair, more) for pair, more in pairs if pair.problem]


# --------------------------------------------------------------------------- workloads


def pool_cell(result: PoolResult, compact: bool) -> tuple[str, str]:
    """(status, text): the worst status over the pool's eligible nodes and the largest
    download; ('-', '-') when none is eligible."""
    groups = result.groups
    if not groups:
        return "-", "-"
    worst = max(groups, key=lambda g: RANK[g.status])
    text = MARK[worst.status]
    sizes = [g.download_bytes for g in groups if g.download_bytes is not None]
    if worst.status == "ok" and not compact and sizes:  # no sizes: not planned
        text += " " + human_size(max(sizes))
    eligible, total = result.eligible, len(result.pool.hosts)
    if eligible < total:
        text += f" {eligible}/{total}"
    return worst.status, text


def who(hosts: Sequence[HostProfile]) -> str:
    first = safe(hosts[0].name)
    return f"{first} and {plural(len(hosts) - 1, 'more node')}" if len(hosts) > 1 else first


def no_node(result: WorkloadResult) -> str:
    """``no eligible node (4 nodes: …; 2 nodes: …)``: why each node is not eligible."""
    from planner.workloads.scheduling import unfit_reason

    why = "; ".join(
        f"{plural(len(names), 'node')}: {unfit_reason(unfit)}" for unfit, names in result.ineligible
    )
    return f"no eligible node ({why or 'no nodes'})"


def workload_problems(result: WorkloadResult) -> list[tuple[str, str]]:
    """(status word, one line) per distinct problem of a workload: nodes with the same
    problems share a line."""
    if not result.eligible:
        word = "allowed" if result.allowed else "FAIL"
        return [(word, f"{result.workload.id}: {no_node(result)}")]
    keyed: list[tuple[tuple[str, tuple[str, ...]], NodeGroup]] = [
        ((g.status, tuple(f"{p.subject}: {p.reason}" for p in g.problems)), g)
        for pool in result.pools
        for g in pool.groups
        if g.problems
    ]
    if not keyed:
        return []
    groups: dict[tuple[str, tuple[str, ...]], list[HostProfile]] = {}
    if len(keyed) == 1:
        groups[keyed[0][0]] = list(keyed[0][1].hosts)
    else:  # nodes in host order, each problem's line in order of its first node
        key_of = {h.name: key for key, g in keyed for h in g.hosts}
        for host in result.eligible:
            key = key_of.get(host.name)
            if key is not None:
                groups.setdefault(key, []).append(host)
    out = []
    for (status, reasons), hosts in groups.items():
        word = "allowed" if status == "allowed" else "FAIL"
        for reason in reasons:
            out.append((word, f"{result.workload.id} on {who(hosts)}: {reason}"))
    return out


def workload_footer(report: WorkloadReport) -> list[str]:
    """Download figures per node pool and for the cluster; unknown, not zero, without plans."""
    if not report.planned:
        return ["download sizes: unknown (no plans were made; only the indexes were read)"]
    lines = []
    for pool in report.pools:
        count = plural(len(pool.hosts), "node")
        lines.append(f"{pool.name} ({count}): downloads {human_size(report.pool_bytes(pool))}")
    lines.append(
        f"cluster: {human_size(report.total_bytes)} downloaded by"
        f" {plural(len(report.hosts), 'node')}, if every eligible node starts every pod;"
        f" a pull-through mirror fetches {human_size(report.unique_bytes)} once"
    )
    return lines
