"""The HTML report's data: a neutral matrix of rows (hosts, node pools) x columns (images, workloads).

Every check that renders as a page (``check IMAGE...``; workloads later) is
turned into one :class:`Matrix` by an adapter (:mod:`planner.report.html.fleet`
for fleets), and :func:`planner.report.html.page.render_html` draws any matrix
the same way. The matrix holds no report objects, only what the page shows:

* **Keys** are raw, exactly as the JSON output spells them (``pairs[].host``,
  ``pairs[].image``; for workloads ``nodes[].host`` and the workload's
  ``KIND/NAMESPACE/NAME``): the page writes them into ``data-*`` attributes,
  escaped for HTML but otherwise unchanged, so scripts read the same values.
* **Text** (labels, picks, reasons, warnings) is shown as the terminal shows
  it: control characters as escapes (:func:`planner.report.layout.safe`); the
  renderer escapes it for HTML on top.
* **Cells** with the same answer (the hosts of one node pool) share one
  :class:`Section` list in :attr:`Matrix.details`, written once into the
  page's JSON blob and drawn on demand.
"""

from __future__ import annotations

from typing import Any, Literal

from planner.app.fleet import Status
from planner.model.record import dataclass

__all__ = [
    "FAILING",
    "STATUSES",
    "BlobLine",
    "CandidateLine",
    "Cell",
    "Column",
    "Matrix",
    "Row",
    "Section",
    "Status",
]

STATUSES: tuple[Status, ...] = ("no-image", "broken", "will-not-run", "allowed", "ok")
"""Every status, failing first: the order the page sorts cells in."""
FAILING: tuple[Status, ...] = ("no-image", "broken", "will-not-run")


@dataclass(frozen=True)
class CandidateLine:
    """One index entry and its verdict, as the resolve table shows it."""

    position: int
    platform: str
    digest: str
    preference: int | None
    """Place in the host's order (1 = the pick); None when rejected."""
    reason: str
    """The one-line reason (:mod:`planner.select.explain`)."""

    def to_json(self) -> list[Any]:
        return [self.position, self.platform, self.digest, self.preference, self.reason]


@dataclass(frozen=True)
class BlobLine:
    """One blob of a download plan."""

    order: int
    kind: str
    """``config`` or ``layer``."""
    digest: str
    size: int
    state: Literal["download", "present", "duplicate"]
    compression: str

    def to_json(self) -> list[Any]:
        return [self.order, self.kind, self.digest, self.size, self.state, self.compression]


@dataclass(frozen=True)
class Section:
    """The details of one image in one cell (a workload cell has one per container)."""

    title: str
    """What the section is about: the image, or ``CONTAINER: IMAGE`` for a workload."""
    status: Status
    problem: str = ""
    selected: str | None = None
    """The digest of the image manifest pulled."""
    platform: str | None = None
    """The pick's platform."""
    rules: str = ""
    candidates: tuple[CandidateLine, ...] = ()
    warnings: tuple[str, ...] = ()
    blobs: tuple[BlobLine, ...] = ()
    download_bytes: int | None = None
    total_bytes: int | None = None
    """Every distinct blob, present ones included; None without a plan."""
    endpoint: str | None = None
    """``HOST:PORT`` the host asks for this image."""
    via: str | None = None
    """The registry configuration line that sent it there (None: the reference's registry)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "status": self.status,
            "problem": self.problem,
            "endpoint": self.endpoint,
            "via": self.via,
            "selected": self.selected,
            "platform": self.platform,
            "rules": self.rules,
            "candidates": [c.to_json() for c in self.candidates],
            "warnings": list(self.warnings),
            "blobs": [b.to_json() for b in self.blobs],
            "download": self.download_bytes,
            "total": self.total_bytes,
        }


@dataclass(frozen=True)
class Cell:
    """One row x one column."""

    status: Status
    pick: str
    """What the cell shows besides its status: the pick's platform, or ''."""
    download_bytes: int | None
    """What each host of the row downloads for this column; None without a plan."""
    problem: str = ""
    detail: int = -1
    """Index into :attr:`Matrix.details` (-1: none)."""

    @property
    def failing(self) -> bool:
        return self.status in FAILING


@dataclass(frozen=True)
class Column:
    key: str
    """Raw: ``data-image`` (or ``data-workload``), as in the JSON output."""
    label: str
    """Shown in the header (safe text)."""
    about: str = ""
    """A longer description: the index digest, a workload's kind."""
    problem: str = ""
    """A failure of the column itself, whatever the row (a workload no node may run:
    safe text); shown in its header and among the problems."""


@dataclass(frozen=True)
class Row:
    key: str
    """Raw: the ``data-host`` of the row's cells, the first host it stands for."""
    members: tuple[str, ...]
    """Every host the row stands for (raw, ``key`` first): a node pool."""
    label: str
    """Shown as the row header (safe text)."""
    about: tuple[str, ...] = ()
    """Values for :attr:`Matrix.about_labels` (safe text): platform, rules."""
    download_bytes: int | None = None
    """What each host of the row downloads for all columns; None without plans."""


@dataclass(frozen=True)
class Matrix:
    """What one HTML report shows."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    cells: tuple[tuple[Cell | None, ...], ...]
    """One tuple per row, one cell per column; None where the column does not apply to
    the row (a workload that is not scheduled on that node pool): an empty cell with no
    ``data-status``, as the JSON output has no entry for it."""
    details: tuple[tuple[Section, ...], ...] = ()
    row_kind: str = "host"
    """The row attribute name (``data-host``) and header word."""
    column_kind: str = "image"
    """The column attribute name: ``image`` or ``workload``."""
    about_labels: tuple[str, ...] = ("platform", "rules")
    checks: int = 0
    """What the gate counts, as the JSON output does: pairs (host x image), workloads."""
    check_noun: str = "check"
    """What one of :attr:`checks` is called: ``check``, ``workload``."""
    failures: int = 0
    gate_closed: bool = False
    """Closed by more than failures: a rate limit refuses part of the rollout."""
    total_bytes: int | None = None
    """What all hosts download (None without plans)."""
    unique_bytes: int | None = None
    """What a pull-through mirror fetches once."""
    inputs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """Titled tables of (name, value) lines: images and digests, inventory, rules."""
    stats: tuple[tuple[str, str], ...] = ()
    """Request figures, (name, value)."""
    notes: tuple[str, ...] = ()
    """Extra lines under the matrix (skipped documents, options)."""
    rollout: tuple[tuple[str, ...], ...] = ()
    """The rollout cost per registry: a header row, then one row per (egress, registry)."""
    rollout_lines: tuple[str, ...] = ()
    """Under that table: each row a rate limit refuses, then what the figures assume."""

    def hosts(self) -> int:
        return sum(len(row.members) for row in self.rows)
