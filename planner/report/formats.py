"""Every format a check report is written in, in one table, and :func:`render`.

A format is one renderer module and one row of :data:`FORMATS`: the ``check``
command offers every row as an output format, the rows marked ``to_file`` can also
be written to a file beside the main output (JUnit, Markdown, HTML), and the
library's :func:`render` dispatches through the same rows. A row names its two
renderers as ``module:function`` (one for a :class:`~planner.app.fleet.FleetReport`,
one for a :class:`~planner.workloads.check.WorkloadReport`), imported when first
used, so that writing JSON never loads the HTML page. Every renderer is
``(report, options: RenderOptions) -> str``; a row may also name one writing a
workload report in pieces (:func:`render_pieces`), which the command line uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from planner.model.record import dataclass

if TYPE_CHECKING:
    from planner.app.fleet import FleetReport
    from planner.workloads.check import WorkloadReport

__all__ = ["FORMATS", "Format", "RenderOptions", "render", "render_pieces"]


@dataclass(frozen=True)
class RenderOptions:
    """How a report is laid out; every field has the default a library caller wants."""

    width: int = 80
    """Text: the terminal width the matrix is fitted to."""
    color: bool = False
    """Text: ANSI colour on the pick, failures and the gate."""
    expand: bool = False
    """Fleets: one row per host, not per pool of like hosts."""
    suggest: bool = False
    """Workloads, text: the suggested affinity patches under the matrix."""
    rows: Literal["workloads", "pools"] = "workloads"
    """Workloads, text: a row per ``workloads`` (the default) or per node ``pools`` (as the
    HTML page lays it out, with what each pool's nodes download)."""
    inventory: tuple[tuple[str, str], ...] = ()
    """HTML: where the hosts came from, as (what, value) lines of the page's inputs."""
    recorded: tuple[tuple[str, str], ...] = ()
    """HTML: the run's options, as (what, value) lines of the page's inputs."""
    generated: str = ""
    """HTML: the footer's line saying when the page was made."""


@dataclass(frozen=True)
class Format:
    """One output format: its name and its two renderers."""

    name: str
    fleet: str
    """``module:function`` rendering a FleetReport."""
    workloads: str
    """``module:function`` rendering a WorkloadReport."""
    to_file: bool = False
    """Also written to a file beside the main output (for CI: test reports, summaries, pages)."""
    description: str = ""
    """What is written and what it is for, in the CLI's help ("also write …")."""
    fleet_pieces: str = ""
    """``module:function`` writing a FleetReport in pieces (an iterator of str, joined:
    the same text), so that a report of every pair is not held whole."""
    workload_pieces: str = ""
    """The same for a WorkloadReport (a report of every node)."""

    def renderer(self, report: object) -> Callable[[Any, RenderOptions], str]:
        from planner.workloads.check import WorkloadReport

        target = self.workloads if isinstance(report, WorkloadReport) else self.fleet
        found: Callable[[Any, RenderOptions], str] = _function(target)
        return found

    def pieces(self, report: object) -> Callable[[Any, RenderOptions], Iterable[str]]:
        """The renderer of ``report`` in pieces: its own, or the whole text as one piece."""
        from planner.workloads.check import WorkloadReport

        target = self.workload_pieces if isinstance(report, WorkloadReport) else self.fleet_pieces
        if target:
            found: Callable[[Any, RenderOptions], Iterable[str]] = _function(target)
            return found
        whole = self.renderer(report)
        return lambda report, options: (whole(report, options),)


def _function(target: str) -> Any:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", "planner.report.text.fleet:render", "planner.report.text.workloads:render"),
        Format(
            "json",
            "planner.report.data:fleet_json",
            "planner.report.data:workloads_json",
            fleet_pieces="planner.report.data:fleet_json_pieces",
            workload_pieces="planner.report.data:workloads_json_pieces",
        ),
        Format(
            "yaml",
            "planner.report.data:fleet_yaml",
            "planner.report.data:workloads_yaml",
            fleet_pieces="planner.report.data:fleet_yaml_pieces",
            workload_pieces="planner.report.data:workloads_yaml_pieces",
        ),
        Format(
            "junit",
            "planner.report.junit:fleet_junit",
            "planner.report.junit:workload_junit",
            to_file=True,
            description="a JUnit XML report to FILE (CI test reports)",
        ),
        Format(
            "markdown",
            "planner.report.markdown:fleet_markdown",
            "planner.report.markdown:workload_markdown",
            to_file=True,
            description="a Markdown report to FILE (job summaries)",
        ),
        Format(
            "html",
            "planner.report.html.fleet:render",
            "planner.report.html.workloads:render",
            to_file=True,
            description="a self-contained HTML page to FILE (the matrix, sizes, every cell's"
            " details; fetches nothing)",
        ),
    )
}
"""Every format, in the order the command line lists them."""


def render(
    report: FleetReport | WorkloadReport, fmt: str = "text", options: RenderOptions | None = None
) -> str:
    """``report`` (from :func:`planner.run_fleet` or :func:`planner.check_workloads`) in
    format ``fmt`` (a key of :data:`FORMATS`): exactly what ``pull-planner check`` writes.
    """
    return "".join(render_pieces(report, fmt, options))


def render_pieces(
    report: FleetReport | WorkloadReport, fmt: str = "text", options: RenderOptions | None = None
) -> Iterable[str]:
    """:func:`render` in pieces to be written one after another (their text joined is
    :func:`render`'s): a big report is written without being held whole."""
    from planner.app.fleet import FleetReport
    from planner.model.arguments import InvalidArgument, check_argument
    from planner.workloads.check import WorkloadReport

    check_argument(
        report, (FleetReport, WorkloadReport), "report", "a FleetReport or a WorkloadReport"
    )
    found = FORMATS.get(fmt) if isinstance(fmt, str) else None
    if found is None:
        raise InvalidArgument(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    check_argument(options, (RenderOptions, type(None)), "options", "RenderOptions or None")
    return found.pieces(report)(report, options or RenderOptions())
