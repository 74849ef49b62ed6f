"""Resolutions and plans as text for people: the entry table, the download plan."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from planner.model.manifest import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from planner.model.text import format_bandwidth, format_duration, human_size
from planner.report.layout import Style, safe, table, wrap

if TYPE_CHECKING:
    from collections.abc import Sequence

    from planner.app.compare import Comparison
    from planner.app.plan import Plan
    from planner.app.resolve import Resolution
    from planner.app.verify import Verification
    from planner.hosts.local import LocalHost

__all__ = [
    "comparison_text",
    "estimate_text",
    "local_text",
    "media_type_label",
    "plan_text",
    "resolution_text",
    "verification_text",
]

_MEDIA_LABELS = {
    DOCKER_LIST: "Docker manifest list",
    OCI_INDEX: "OCI image index",
    DOCKER_MANIFEST: "Docker image manifest",
    OCI_MANIFEST: "OCI image manifest",
}


def media_type_label(media_type: str) -> str:
    return _MEDIA_LABELS.get(media_type, media_type)


def _short(digest: str) -> str:
    """12 hex digits, as ``docker images`` shows IDs; other algorithms keep their name."""
    algorithm, _, encoded = digest.partition(":")
    return encoded[:12] if algorithm == "sha256" else f"{algorithm}:{encoded[:12]}"


def _field(key: str, value: str, width: int) -> list[str]:
    """``key      value``, the value wrapped under itself (a digest is never split)."""
    pad = " " * KEY_WIDTH
    return textwrap.wrap(
        value,
        width=width,
        initial_indent=f"{key:<{KEY_WIDTH - 1}} ",
        subsequent_indent=pad,
        break_long_words=False,
        break_on_hyphens=False,
    )


KEY_WIDTH = 9
"""``selected `` plus a space: a 71-character sha256 digest still fits 80 columns."""


def resolution_text(result: Resolution, width: int = 80, style: Style | None = None) -> str:
    """A short report: what was resolved, a table of entries (every verdict), the choice."""
    paint = style or Style(None)
    lines = _field("source", safe(result.source), width)
    lines += _route_lines(result, width)
    if result.index is not None:
        count = len(result.candidates)
        lines += _field(
            "index",
            f"{media_type_label(result.index.media_type)}, {count}"
            f" entr{'y' if count == 1 else 'ies'}, {result.index.digest}",
            width,
        )
    lines += _field("host", safe(result.host.describe()), width)
    lines += _field("rules", f"{result.rules.name}: {safe(result.rules.summary)}", width)
    lines.append("")
    order = result.selection.order_of() if result.selection else {}
    chosen = (
        result.selection.chosen.position if result.selection and result.selection.chosen else None
    )
    picked = []
    rows = [["", "#", "platform", "digest", "pick", "verdict"]]
    for candidate in result.candidates:
        platform = candidate.descriptor.platform
        is_pick = candidate.position == chosen or result.selection is None
        picked.append(is_pick)
        rows.append(
            [
                ">" if is_pick else "",
                str(candidate.position),
                safe(platform.describe()) if platform is not None else "(no platform)",
                _short(candidate.descriptor.digest),
                str(order.get(candidate.position, "-")) if result.selection else "1",
                safe(candidate.reason_text(ranked=False)),
            ]
        )

    def row_style(index: int, line: str) -> str:
        if picked[index]:
            return paint("pick", line)
        return line if result.candidates[index].match else paint("dim", line)

    lines += table(rows, width, style=row_style)
    lines.append("")
    if result.selected is not None:
        shown = f"{safe(result.platform.describe())}, " if result.platform is not None else ""
        lines += _field(
            "selected",
            f"{result.selected.digest} ({shown}"
            f"{media_type_label(result.selected.media_type)}, {result.selected.size} bytes)",
            width,
        )
        if result.problem:  # pulled, and it will not run: the engine's pick all the same
            lines += [
                paint("fail", line)
                for line in wrap(safe(result.problem), width, "  ", "WILL NOT RUN: ")
            ]
    else:
        lines.append(paint("fail", "selected nothing: no entry runs on this host"))
    differs = result.route.differs if result.route is not None else ""
    if differs and differs != result.problem:  # the WILL NOT RUN line may have said it
        lines += [paint("fail", line) for line in textwrap.wrap(safe(differs), width)]
    return "\n".join(lines) + "\n"


def _route_lines(result: Resolution, width: int) -> list[str]:
    """``from``: the endpoint asked, and (with a registry configuration) what sent the host
    there, the endpoints that failed before it and those that would follow a failure."""
    route = result.route
    if not result.endpoint or route is None:
        return []
    why = f" ({safe(route.origin)})" if route.origin else f" (upstream; {safe(route.config)})"
    asked = f" as {safe(route.asked)}" if route.asked.split("/", 1)[0] != result.endpoint else ""
    lines = _field("from", f"{safe(result.endpoint)}{asked}{why}", width)
    if route.note:
        lines += _field("name", safe(route.note), width)
    for endpoint, message in route.failed:
        lines += _field("skipped", f"{safe(endpoint)}: {safe(message)}", width)
    if route.fallbacks:
        lines += _field("fallback", ", ".join(safe(e) for e in route.fallbacks), width)
    up = route.upstream
    if up is not None:
        if up.same:
            told = f"{safe(up.endpoint)}: the same copy ({up.digest})"
        elif up.digest is None:
            told = f"{safe(up.endpoint)}: {safe(up.problem)}"
        else:
            pick = f"; pick {up.selected} ({safe(up.platform or '')})" if up.selected else ""
            told = f"{safe(up.endpoint)}: {up.digest}{pick}"
        lines += _field("upstream", told, width)
    return lines


def _family(media_type: str) -> str:
    """``oci``, ``docker`` or ``foreign`` (a non-distributable layer) for a blob's media type."""
    from planner.app.plan import FOREIGN_TYPES  # a plan's: resolve alone does not load plans

    if media_type in FOREIGN_TYPES:
        return "foreign"
    if media_type.startswith("application/vnd.oci."):
        return "oci"
    if media_type.startswith("application/vnd.docker."):
        return "docker"
    return safe(media_type)


def _where(location: str | None) -> str:
    if location is None:
        return "-"
    if "://" in location:
        from urllib.parse import urlsplit

        try:
            return safe(urlsplit(location).netloc or location)
        except ValueError:  # a URL that does not parse (a foreign layer's, say): as given
            return safe(location)
    return "local file"


def plan_text(plan: Plan, width: int = 80) -> str:
    """The ordered download plan as a table, then totals, estimate and hosts."""
    r = plan.resolution
    lines = _field("source", safe(r.source), width)
    lines += _field("host", safe(r.host.describe()), width)
    lines += _field("rules", f"{r.rules.name}: {safe(r.rules.summary)}", width)
    for kind, descriptor in plan.manifests:
        shown = ""
        if kind == "manifest" and r.platform is not None:
            shown = f" {safe(r.platform.describe())}"
        lines += _field(
            kind,
            f"{descriptor.digest}{shown} ({media_type_label(descriptor.media_type)},"
            f" {human_size(descriptor.size)})",
            width,
        )
    lines.append("")
    rows = [["order", "kind", "digest", "size", "present", "type", "from"]]
    for blob in plan.blobs:
        present = "yes" if blob.present else "no"
        if blob.duplicate_of is not None:
            present = f"= {blob.duplicate_of}"
        rows.append(
            [
                str(blob.order),
                blob.kind,
                _short(blob.descriptor.digest),
                human_size(blob.descriptor.size),
                present,
                f"{_family(blob.descriptor.media_type)} {blob.compression}",
                _where(blob.location),
            ]
        )
    lines += table(rows, width)
    t = plan.totals
    lines.append("")
    lines += _field(
        "totals",
        f"{t.blobs} blobs, {human_size(t.bytes)}; manifests {human_size(t.manifest_bytes)};"
        f" download {human_size(t.download_bytes)}, already present {human_size(t.present_bytes)}",
        width,
    )
    estimate = estimate_text(plan)
    if estimate:
        lines += _field("estimate", estimate, width)
    if plan.hosts:
        lines += _field("hosts", ", ".join(f"{safe(h)} ({what})" for h, what in plan.hosts), width)
    return "\n".join(lines) + "\n"


def estimate_text(plan: Plan) -> str | None:
    """``estimated transfer time for 4.289MB at 20 Mbit/s: 1.7 s`` when a bandwidth was given."""
    if plan.bandwidth is None:
        return None
    seconds = plan.estimated_seconds or 0.0
    return (
        f"transfer time for {human_size(plan.totals.download_bytes)} at"
        f" {format_bandwidth(plan.bandwidth)}: {format_duration(seconds)}"
    )


def verification_text(verifications: Sequence[Verification], verified: bool, width: int) -> str:
    """``verified  6 of 6 ok at localhost:5000``, then one line per one that is not ok
    ('' when the run did not verify)."""
    if not verified:
        return ""
    ok = sum(v.status == "ok" for v in verifications)
    where = sorted({v.endpoint for v in verifications if v.endpoint})
    at = f" at {', '.join(safe(e) for e in where)}" if where else ""
    lines = _field("verified", f"{ok} of {len(verifications)} ok{at}", width)
    for v in verifications:
        if v.status != "ok":
            lines += _field(v.status, safe(v.text), width)
    return "\n".join(lines) + "\n"


def comparison_text(result: Comparison, width: int = 80) -> str:
    """One row per rule set (its pick and preference order), then each answer explained."""
    lines = _field("source", safe(result.source), width)
    seen = {r.rules.name: r.host for r in result.resolutions}
    if all(h == result.host for h in seen.values()):
        lines += _field("host", safe(result.host.describe()), width)
    else:  # --platform local: each engine detects this machine its own way
        views: dict[str, list[str]] = {}
        for name, host in seen.items():
            views.setdefault(safe(host.describe()), []).append(name)
        text = "; ".join(f"{h} ({', '.join(names)})" for h, names in views.items())
        lines += _field("host", f"this machine, as {text}", width)
    lines.append("")
    from planner.app.compare import position_of

    rows = [["rules", "pick", "platform", "order"]]
    for r in result.resolutions:
        position = position_of(r)
        shown = safe(r.platform.describe()) if r.platform is not None else "-"
        order = " ".join(map(str, r.selection.preference)) if r.selection else "0"
        rows.append([r.rules.name, "-" if position is None else str(position), shown, order or "-"])
    for name, _ in result.refused:
        rows.append([name, "-", "cannot read the host", "-"])
    lines += table(rows, width)
    lines.append("")
    if result.agree:
        lines.append("all agree")
    for answer in result.answers:
        names = ", ".join(answer.rules)
        if answer.refused:
            head = f"{names}: cannot read the host:"
        elif answer.position is None:
            head = f"{names}: no entry:"
        else:
            head = f"{names}: entry {answer.position}:"
        lines += wrap(safe(answer.why), width, "    ", head + " ")
    return "\n".join(lines) + "\n"


def local_text(hosts: Sequence[LocalHost], width: int = 80) -> str:
    """This machine as each engine detects it: the platform, then how each value was found."""
    lines: list[str] = []
    for local in hosts:
        if lines:
            lines.append("")
        lines.append(f"{local.rules}: {safe(local.platform.describe())}")
        for how in local.how:
            lines += wrap(safe(how), width, "    ", "  ")
    return "\n".join(lines) + "\n"
