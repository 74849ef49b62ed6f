"""Resolutions and plans as text for people: the entry table, the download plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.model.manifest import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from planner.model.units import format_bandwidth, format_duration, human_size

if TYPE_CHECKING:
    from planner.app.plan import Plan
    from planner.app.resolve import Resolution

__all__ = ["estimate_text", "media_type_label", "plan_text", "resolution_text"]

_MEDIA_LABELS = {
    DOCKER_LIST: "Docker manifest list",
    OCI_INDEX: "OCI image index",
    DOCKER_MANIFEST: "Docker image manifest",
    OCI_MANIFEST: "OCI image manifest",
}


def media_type_label(media_type: str) -> str:
    return _MEDIA_LABELS.get(media_type, media_type)


def _short(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}:{encoded[:12]}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    ]


def resolution_text(result: Resolution) -> str:
    """A short report: what was resolved, a table of entries, the choice."""
    lines = [f"source  {result.source}"]
    if result.index is not None:
        count = len(result.candidates)
        lines.append(
            f"index   {media_type_label(result.index.media_type)}, {count}"
            f" entr{'y' if count == 1 else 'ies'}, {result.index.digest}"
        )
    lines.append(f"host    {result.host.describe()}")
    lines.append(f"rules   {result.rules.name}: {result.rules.summary}")
    lines.append("")
    preference = result.selection.preference if result.selection else ()
    order = {position: n for n, position in enumerate(preference, start=1)}
    chosen = (
        result.selection.chosen.position if result.selection and result.selection.chosen else None
    )
    rows = [["", "#", "platform", "digest", "pick", "verdict"]]
    for candidate in result.candidates:
        platform = candidate.descriptor.platform
        rows.append(
            [
                ">" if candidate.position == chosen or (result.selection is None) else "",
                str(candidate.position),
                platform.describe() if platform is not None else "(no platform)",
                _short(candidate.descriptor.digest),
                str(order.get(candidate.position, "-")) if result.selection else "1",
                candidate.reason,
            ]
        )
    lines.extend(_table(rows))
    lines.append("")
    if result.selected is not None:
        shown = f"{result.platform.describe()}, " if result.platform is not None else ""
        lines.append(
            f"selected  {result.selected.digest} ({shown}"
            f"{media_type_label(result.selected.media_type)}, {result.selected.size} bytes)"
        )
    else:
        lines.append("selected  nothing: no entry runs on this host")
    return "\n".join(lines) + "\n"


_SHORT_TYPES = {
    "application/vnd.oci.image.config.v1+json": "oci config",
    "application/vnd.docker.container.image.v1+json": "docker config",
    "application/vnd.oci.image.layer.v1.tar": "oci layer",
    "application/vnd.oci.image.layer.v1.tar+gzip": "oci layer",
    "application/vnd.oci.image.layer.v1.tar+zstd": "oci layer",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "docker layer",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "docker foreign layer",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "oci non-distributable layer",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "oci non-distributable layer",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "oci non-distributable layer",
}


def _where(location: str | None) -> str:
    if location is None:
        return "-"
    if "://" in location:
        from urllib.parse import urlsplit

        return urlsplit(location).netloc or location
    return "local file"


def plan_text(plan: Plan) -> str:
    """The ordered download plan as a table, then totals, estimate and hosts."""
    r = plan.resolution
    lines = [
        f"source    {r.source}",
        f"host      {r.host.describe()}",
        f"rules     {r.rules.name}: {r.rules.summary}",
    ]
    for kind, descriptor in plan.manifests:
        shown = ""
        if kind == "manifest" and r.platform is not None:
            shown = f" {r.platform.describe()}"
        lines.append(
            f"{kind:<9} {descriptor.digest}{shown} ({media_type_label(descriptor.media_type)},"
            f" {human_size(descriptor.size)})"
        )
    lines.append("")
    rows = [["order", "kind", "digest", "type", "compression", "size", "present", "from"]]
    for blob in plan.blobs:
        present = "yes" if blob.present else "no"
        if blob.duplicate_of is not None:
            present = f"= {blob.duplicate_of}"
        rows.append(
            [
                str(blob.order),
                blob.kind,
                _short(blob.descriptor.digest),
                _SHORT_TYPES.get(blob.descriptor.media_type, blob.descriptor.media_type),
                blob.compression,
                human_size(blob.descriptor.size),
                present,
                _where(blob.location),
            ]
        )
    lines.extend(_table(rows))
    t = plan.totals
    lines.append("")
    lines.append(
        f"totals    {t.blobs} blobs, {human_size(t.bytes)}; manifests {human_size(t.manifest_bytes)};"
        f" download {human_size(t.download_bytes)}, already present {human_size(t.present_bytes)}"
    )
    estimate = estimate_text(plan)
    if estimate:
        lines.append(f"estimate  {estimate}")
    if plan.hosts:
        lines.append("hosts     " + ", ".join(f"{h} ({what})" for h, what in plan.hosts))
    return "\n".join(lines) + "\n"


def estimate_text(plan: Plan) -> str | None:
    """``estimated transfer time for 4.289MB at 20 Mbit/s: 1.7 s`` when a bandwidth was given."""
    if plan.bandwidth is None:
        return None
    seconds = plan.estimated_seconds or 0.0
    return (
        f"estimated transfer time for {human_size(plan.totals.download_bytes)} at"
        f" {format_bandwidth(plan.bandwidth)}: {format_duration(seconds)}"
    )
