"""The fleet adapter of the HTML report: a :class:`~planner.app.fleet.FleetReport` as a matrix.

Rows are the rows of the text matrix (:func:`planner.report.rows.row_members`:
a node pool of like hosts shares one, unless ``expand``), columns the images,
cells the pairs: status, the pick's platform and what each host of the row
downloads. A cell's details are the pair's resolution (every candidate's
verdict, in :mod:`planner.select.explain`'s words) and plan (the blobs);
the hosts of one pool share one resolution and plan
(:func:`planner.app.fleet.run_fleet`), so their details are written once.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from planner.app.fleet import FleetReport, PairResult, pool_key
from planner.app.pulls import Pull, PullHost
from planner.app.resolve import Resolution
from planner.model.record import replace
from planner.model.text import plural
from planner.report.html.matrix import (
    BlobLine,
    CandidateLine,
    Cell,
    Column,
    Matrix,
    Row,
    Section,
)
from planner.report.layout import safe
from planner.report.rows import row_members
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.report.formats import RenderOptions

__all__ = ["fleet_matrix", "image_line", "pair_section", "render", "stamp", "stats_lines"]


def _candidates(pair: PairResult | Pull) -> tuple[CandidateLine, ...]:
    r = pair.resolution
    order = r.selection.order_of() if r.selection is not None else {}
    lines = []
    for c in r.candidates:
        platform = c.descriptor.platform
        preference = order.get(c.position) if r.selection is not None else 1
        lines.append(
            CandidateLine(
                position=c.position,
                platform=safe(platform.describe()) if platform is not None else "(no platform)",
                digest=c.descriptor.digest,
                preference=preference,
                reason=safe(c.reason),
            )
        )
    return tuple(lines)


def pair_section(pair: PairResult | Pull) -> Section:
    """One pair's (or a workload's pull's) details: its resolution (every candidate) and
    plan (the blobs)."""
    r, plan = pair.resolution, pair.plan
    blobs: list[BlobLine] = []
    if plan is not None:
        for b in plan.blobs:
            state: Literal["download", "present", "duplicate"] = (
                "present" if b.present else "download"
            )
            if b.duplicate_of is not None:
                state = "duplicate"
            blobs.append(
                BlobLine(
                    order=b.order,
                    kind=b.kind,
                    digest=b.descriptor.digest,
                    size=b.descriptor.size,
                    state=state,
                    compression=b.compression,
                )
            )
    warnings = plan.warnings if plan is not None else r.warnings
    return Section(
        title=safe(pair.image),
        status=pair.status,
        problem=safe(pair.problem),
        selected=r.selected.digest if r.selected is not None else None,
        platform=safe(r.platform.describe()) if r.platform is not None else None,
        rules=safe(r.rules.name),
        candidates=_candidates(pair),
        warnings=tuple(safe(w) for w in warnings),
        blobs=tuple(blobs),
        download_bytes=plan.totals.download_bytes if plan is not None else None,
        total_bytes=plan.totals.bytes if plan is not None else None,
        endpoint=safe(r.endpoint) if r.endpoint else None,
        via=safe(r.route.origin or r.route.config) if r.route is not None else None,
    )


def _pick(pair: PairResult) -> str:
    if pair.resolution.selected is None:
        return ""
    platform = pair.resolution.platform
    return safe(platform.describe()) if platform is not None else "(no platform)"


def _resolution(report: FleetReport, image: str) -> Resolution:
    return next(p for p in report.pairs if p.image == image).resolution


def image_line(r: Resolution) -> str:
    """The image's index (or single manifest) digest, as read in this run (``r``: a
    resolution of the image)."""
    if r.index is not None:
        return f"index {r.index.digest}, {plural(len(r.candidates), 'entry', 'entries')}"
    if r.selected is not None:
        return f"image manifest {r.selected.digest}"
    return "not read"


def fleet_matrix(
    report: FleetReport,
    *,
    expand: bool = False,
    plans: bool = True,
    inventory: Sequence[tuple[str, str]] = (),
    options: Sequence[tuple[str, str]] = (),
) -> Matrix:
    """The page's matrix of a fleet check.

    ``plans``: the run planned downloads (sizes are shown); ``inventory``
    describes where the hosts came from (e.g. the file), ``options`` the
    choices of the run worth recording; both as (name, value) lines.
    """
    details: list[tuple[Section, ...]] = []
    seen: dict[tuple[str, PullHost, str, str], int] = {}
    rows: list[Row] = []
    cells: list[tuple[Cell, ...]] = []
    for members in row_members(report, expand):
        first = members[0]
        line: list[Cell] = []
        for image in report.images:
            pair = report.pair(first.name, image)
            # the hosts of a pool share each image's resolution and plan (run_fleet)
            key = (image, pool_key(pair.host), pair.status, pair.problem)
            if key not in seen:
                seen[key] = len(details)
                details.append((pair_section(pair),))
            line.append(
                Cell(
                    status=pair.status,
                    pick=_pick(pair),
                    download_bytes=pair.download_bytes if pair.plan is not None else None,
                    problem=safe(pair.problem),
                    detail=seen[key],
                )
            )
        about = [safe(first.platform.describe()), safe(first.rules.name)]
        if first.isolation:
            about[0] += f" ({first.isolation})"
        rows.append(
            Row(
                key=first.name,
                members=tuple(h.name for h in members),
                label=safe(first.name),
                about=tuple(about),
                download_bytes=report.host_bytes(first.name) if plans else None,
            )
        )
        cells.append(tuple(line))
    rules = Counter(h.rules.name for h in report.hosts)
    summaries = {h.rules.name: h.rules.summary for h in report.hosts}
    hosts_line = plural(len(report.hosts), "host")
    if report.pools:
        hosts_line += f" in {plural(len(report.pools), 'node pool')} (like hosts)"
    return Matrix(
        title="pull-planner check",
        columns=tuple(
            Column(key=image, label=safe(image), about=image_line(_resolution(report, image)))
            for image in report.images
        ),
        rows=tuple(rows),
        cells=tuple(cells),
        details=tuple(details),
        checks=len(report.pairs),
        failures=len(report.failures),
        gate_closed=report.gate_closed,
        total_bytes=report.total_bytes if plans else None,
        unique_bytes=report.unique_bytes if plans else None,
        inputs=(
            (
                "Images",
                tuple(
                    (safe(image), image_line(_resolution(report, image))) for image in report.images
                ),
            ),
            ("Inventory", (*inventory, ("hosts", hosts_line))),
            (
                "Rule releases",
                tuple(
                    (safe(name), f"{plural(count, 'host')}: {safe(summaries[name])}")
                    for name, count in rules.items()
                ),
            ),
            *((("Options", tuple(options)),) if options else ()),
        ),
        stats=stats_lines(report.stats),
    )


def stats_lines(stats: Stats) -> tuple[tuple[str, str], ...]:
    """The run's registry figures, one (name, value) line each."""
    figures = stats.to_dict()
    lines = [("requests", str(figures["requests"]))]
    lines += [(f"  {kind}", str(n)) for kind, n in figures["by_kind"].items()]
    lines += [
        ("against pull limits", str(figures["rate_limited_requests"])),
        ("bytes received", str(figures["bytes_received"])),
        ("cache hits", str(figures["cache_hits"])),
        ("retries", str(figures["retries"])),
    ]
    return tuple(lines)


def stamp() -> str:
    """When the page was made, for its footer."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"generated {now:%Y-%m-%d %H:%M:%S} UTC"


def render(report: FleetReport, options: RenderOptions) -> str:
    """The ``html`` row of :data:`planner.report.formats.FORMATS`: the page of a fleet check."""
    from planner.report.html.page import render_html
    from planner.report.rollout import matrix_fields

    matrix = fleet_matrix(
        report,
        expand=options.expand,
        plans=report.planned,
        inventory=options.inventory,
        options=options.recorded,
    )
    matrix = replace(matrix, **matrix_fields(report.rollout))  # type: ignore[arg-type]
    return render_html(matrix, generated=options.generated)
