"""Download plans: what a host downloads when it pulls, before anything moves.

:func:`plan` resolves SOURCE for the host (as :func:`planner.resolve` does),
reads the chosen image manifest, and lists what the client fetches, in order:
the config blob, then the layers in manifest order (base layer first). Each
blob has its digest, media type, compression, size, whether the host already
has it, and where it is fetched from. Totals count each distinct blob once and
split the bytes into what must be downloaded and what is already present.

What counts as present: blobs of images the host already has (``have``,
resolved for the same host and rules, e.g. the currently deployed tag) and
explicit digests (``have_digests``). That turns a plan into an upgrade delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from planner.app.requests import PullRequests
from planner.app.resolve import Resolution, check_types, resolve_source
from planner.model.arguments import bandwidth_argument, items_argument
from planner.model.errors import InvalidInput, InvalidManifest, SourceError
from planner.model.files import read_capped
from planner.model.manifest import Descriptor, ImageManifest, first_url, url_host, validate_digest
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.policy.loader import load_rules
from planner.policy.ruleset import DEFAULT_RULES, RuleSet
from planner.select import explain
from planner.select.verdicts import Notice, NoticeCode
from planner.sources import Source, check_registry
from planner.sources.sourceset import SourceSet
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = [
    "Plan",
    "PlannedBlob",
    "Totals",
    "build_plan",
    "compression_of",
    "plan",
    "present_from",
    "read_digest_file",
]

MAX_DIGEST_FILE = 16 << 20
"""A digest list of more than 16 MiB (some 200,000 digests) is refused."""

FOREIGN_TYPES = frozenset(
    {
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    }
)


def compression_of(media_type: str) -> str:
    """``gzip``, ``zstd``, ``none`` or ``unknown``, from a config or layer media type."""
    if media_type.endswith(("+gzip", ".tar.gzip")):
        return "gzip"
    if media_type.endswith(("+zstd", ".tar.zstd")):
        return "zstd"
    if media_type.endswith((".tar", "+json", ".json")):
        return "none"
    return "unknown"


@dataclass(frozen=True, slots=True)
class PlannedBlob:
    """One blob the client fetches (or skips because the host has it)."""

    order: int
    kind: Literal["config", "layer"]
    descriptor: Descriptor
    present: bool
    location: str | None
    """Where it is fetched from: registry blob URL, CDN URL (when locations were asked for), foreign URL."""
    duplicate_of: int | None = None
    """Order of an earlier identical layer: this one is not downloaded again."""

    @property
    def compression(self) -> str:
        return compression_of(self.descriptor.media_type)

    @property
    def foreign(self) -> bool:
        return self.descriptor.media_type in FOREIGN_TYPES

    def to_dict(self) -> dict[str, Any]:
        out = {
            "order": self.order,
            "kind": self.kind,
            "digest": self.descriptor.digest,
            "mediaType": self.descriptor.media_type,
            "size": self.descriptor.size,
            "compression": self.compression,
            "urls": list(self.descriptor.urls),
            "present": self.present,
            "location": self.location,
        }
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
        return out


@dataclass(frozen=True, slots=True)
class Totals:
    blobs: int
    """Distinct blobs (config and layers)."""
    bytes: int
    """Their sizes, each distinct blob once."""
    manifest_bytes: int
    """Index(es) and image manifest read on the way."""
    download_bytes: int
    """Blob bytes the host does not have yet."""
    present_bytes: int

    def to_dict(self) -> dict[str, int]:
        return {
            "blobs": self.blobs,
            "bytes": self.bytes,
            "manifest_bytes": self.manifest_bytes,
            "download_bytes": self.download_bytes,
            "present_bytes": self.present_bytes,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered download plan of one host pulling one SOURCE."""

    resolution: Resolution
    manifest: ImageManifest
    manifests: tuple[tuple[str, Descriptor], ...]
    """Documents read on the way, as (``index`` | ``manifest``, descriptor)."""
    blobs: tuple[PlannedBlob, ...]
    totals: Totals
    notices: tuple[Notice, ...]
    hosts: tuple[tuple[str, str], ...]
    """Distinct hosts the pull talks to, as (host, what it serves)."""
    bandwidth: float | None = None
    """Bits per second for the transfer-time estimate."""
    stats: Stats = field(default_factory=Stats)
    held: frozenset[str] = frozenset()
    """Digests the host already has (blobs, and manifests its engine need not ask again)."""

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(explain.notice(n) for n in self.notices)

    @property
    def requests(self) -> PullRequests | None:
        """The registry requests the host's engine makes for this pull (rules' ``requests``)."""
        blob_get = sum(
            1
            for b in self.blobs
            if b.duplicate_of is None
            and not b.present
            and not (b.foreign and b.descriptor.urls)  # fetched from its urls
        )
        return self.resolution.requests(self.held, blob_get)

    def downloads(self) -> dict[str, int]:
        """Digest -> size of each blob the host downloads (those it has are not)."""
        return {b.descriptor.digest: b.descriptor.size for b in self.blobs if not b.present}

    @property
    def estimated_seconds(self) -> float | None:
        if self.bandwidth is None:
            return None
        return self.totals.download_bytes * 8 / self.bandwidth

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract of a plan (``pull-planner plan``'s JSON output)."""
        r = self.resolution
        index = next((d for kind, d in self.manifests if kind == "index"), None)
        out: dict[str, Any] = {
            "source": r.source,
            "rules": r.rules.name,
            "host": r.host.to_oci(),
            "index": index.summary() if index is not None else None,
            "manifest": {
                **self.manifest.descriptor.summary(),
                "platform": r.platform.to_oci() if r.platform is not None else None,
            },
            "manifests": [{"kind": kind, **d.summary()} for kind, d in self.manifests],
            "blobs": [b.to_dict() for b in self.blobs],
            "totals": self.totals.to_dict(),
            "hosts": [{"host": h, "serves": what} for h, what in self.hosts],
            "endpoint": r.endpoint or None,
            "route": r.route.to_dict() if r.route is not None else None,
            "pull_requests": requests.to_dict() if (requests := self.requests) else None,
            "warnings": list(self.warnings),
            "stats": self.stats.to_dict(),
        }
        if self.bandwidth is not None:
            out["estimate"] = {
                "bandwidth_bits_per_second": self.bandwidth,
                "seconds": round(self.estimated_seconds or 0.0, 3),
            }
        return out


# --------------------------------------------------------------------------- present blobs


def read_digest_file(path: Path) -> set[str]:
    """Digests from a file, one per line; blank lines and ``#`` comments are skipped."""
    data = read_capped(path, MAX_DIGEST_FILE, error=InvalidInput)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    digests = set()
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            digests.add(validate_digest(text, f"{path}:{number}"))
        except InvalidManifest as exc:
            raise InvalidInput(str(exc)) from None
    return digests


def image_manifest(source: Source, resolution: Resolution) -> ImageManifest:
    """The chosen image manifest (read from the source) for a resolution that selected one."""
    assert resolution.selected is not None
    if resolution.index is None:
        document, _ = source.read_top()
    else:
        if not source.can_read_children:
            raise SourceError(
                f"{source.name}: the plan needs manifest {resolution.selected.digest}, which this"
                f" source does not hold; save it next to the index as {resolution.selected.digest}.json"
                " or plan from the registry or an OCI layout"
            )
        document = source.read_document(resolution.selected)
    if not isinstance(document, ImageManifest):
        raise InvalidManifest(
            f"{source.name}: {resolution.selected.digest} is an index nested too deep to plan"
        )
    return document


def present_from(source: Source, resolution: Resolution) -> tuple[set[str], Notice | None]:
    """Blob digests of the image a host has from ``source``; a notice when it has none."""
    if resolution.selected is None:
        return set(), Notice(NoticeCode.HAVE_HAS_NO_IMAGE, {"source": source.name})
    return blob_digests(image_manifest(source, resolution)), None


# --------------------------------------------------------------------------- planning


def blob_digests(manifest: ImageManifest) -> set[str]:
    """The config and layer digests of an image: what a host that has it has."""
    return {manifest.config.digest, *(layer.digest for layer in manifest.layers)}


def descriptors_of(manifest: ImageManifest) -> list[tuple[Literal["config", "layer"], Descriptor]]:
    """Config first, then layers in manifest order (base layer first): the pull order."""
    return [("config", manifest.config), *(("layer", layer) for layer in manifest.layers)]


def _fetched_on_the_way(
    resolution: Resolution, manifest: ImageManifest
) -> list[tuple[str, Descriptor]]:
    documents: list[tuple[str, Descriptor]] = []
    if resolution.index is not None:
        documents.append(("index", resolution.index))
        selection = resolution.selection
        while (
            selection is not None
            and selection.chosen is not None
            and selection.chosen.nested is not None
        ):
            documents.append(("index", selection.chosen.descriptor))
            selection = selection.chosen.nested
    documents.append(("manifest", manifest.descriptor))
    return documents


def build_plan(
    source: Source,
    resolution: Resolution,
    *,
    present: Iterable[str] = (),
    locations: bool = False,
    bandwidth: float | None = None,
    extra_notices: Sequence[Notice] = (),
) -> Plan:
    """The plan for a resolution that selected an image, from an opened source."""
    manifest = image_manifest(source, resolution)
    present_set = set(present)
    notices = list(resolution.notices) + list(extra_notices)
    descriptors = descriptors_of(manifest)
    # Non-distributable layers with urls are fetched from those urls, not the registry.
    foreign = {d.digest: d for _, d in descriptors if d.media_type in FOREIGN_TYPES and d.urls}
    where: dict[str, str | None] = {
        d.digest: first_url(foreign[d.digest].urls)
        if d.digest in foreign
        else source.blob_url(d.digest)
        for _, d in descriptors
    }

    hosts: dict[str, str] = {}
    registry_host = source.registry_host
    if registry_host:
        hosts[registry_host] = "manifests and blobs"
    if locations:
        to_locate = [
            d.digest
            for _, d in descriptors
            if d.digest not in foreign and d.digest not in present_set
        ]
        found = source.blob_locations(to_locate)
        for digest, location in found.items():
            where[digest] = location.url
        if registry_host and found and all(loc.redirected for loc in found.values()):
            hosts[registry_host] = "manifests"
        for location in found.values():
            if location.redirected:
                hosts.setdefault(location.host, "blobs (redirected)")
    for digest in sorted(foreign):
        for url in foreign[digest].urls:
            host = url_host(url)
            if host:
                hosts.setdefault(host, "foreign layers")

    blobs: list[PlannedBlob] = []
    first: dict[str, int] = {}
    for order, (kind, descriptor) in enumerate(descriptors, start=1):
        duplicate_of = first.get(descriptor.digest)
        if duplicate_of is None:
            first[descriptor.digest] = order
        else:
            notices.append(
                Notice(
                    NoticeCode.REPEATED_LAYER,
                    {"order": order, "digest": descriptor.digest, "first": duplicate_of},
                )
            )
        blobs.append(
            PlannedBlob(
                order=order,
                kind=kind,
                descriptor=descriptor,
                present=descriptor.digest in present_set,
                location=where[descriptor.digest],
                duplicate_of=duplicate_of,
            )
        )
    distinct = [b for b in blobs if b.duplicate_of is None]
    total = sum(b.descriptor.size for b in distinct)
    present_bytes = sum(b.descriptor.size for b in distinct if b.present)
    fetched = _fetched_on_the_way(resolution, manifest)
    totals = Totals(
        blobs=len(distinct),
        bytes=total,
        manifest_bytes=sum(d.size for _, d in fetched),
        download_bytes=total - present_bytes,
        present_bytes=present_bytes,
    )
    return Plan(
        resolution=resolution,
        manifest=manifest,
        manifests=tuple(fetched),
        blobs=tuple(blobs),
        totals=totals,
        notices=tuple(notices),
        hosts=tuple(hosts.items()),
        bandwidth=bandwidth,
        stats=source.stats,
        held=frozenset(present_set),
    )


def plan(
    source: str | Source,
    host: Platform | str,
    rules: RuleSet | str = DEFAULT_RULES,
    *,
    have: Sequence[str | Source] = (),
    have_digests: Iterable[str] = (),
    locations: bool = False,
    bandwidth: float | None = None,
    registry: RegistryOptions | None = None,
) -> Plan:
    """The ordered download plan of ``host`` pulling ``source`` under ``rules``.

    ``have`` are images the host already has (SOURCE strings or sources),
    resolved for the same host and rules; ``have_digests`` further blob
    digests it has. ``locations`` asks the registry where each blob to download
    is served from (redirects to a CDN). ``bandwidth`` (bits per second) adds a
    transfer-time estimate. Raises :class:`~planner.NoCompatibleImage` when the
    source has nothing for the host.
    """
    check_types(source, host, rules)
    host = Platform.parse(host) if isinstance(host, str) else host
    rules = load_rules(rules) if isinstance(rules, str) else rules
    have = items_argument(have, (str, Source), "have", "SOURCE strings or Sources")
    have_blobs: list[str] = items_argument(have_digests, str, "have_digests", "digest strings")
    bandwidth = bandwidth_argument(bandwidth)
    check_registry(registry)
    present = {validate_digest(d, "have digest") for d in have_blobs}
    notices = []
    with SourceSet(registry) as sources:  # SOURCE and every have share one registry session
        main = sources.get(source) if isinstance(source, str) else source
        haves = [sources.get(spec) if isinstance(spec, str) else spec for spec in have]
        sources.tops(s for s in (source, *have) if isinstance(s, str))
        for have_source in haves:
            digests, notice = present_from(have_source, resolve_source(have_source, host, rules))
            present |= digests
            if notice:
                notices.append(notice)
        resolution = resolve_source(main, host, rules)
        if resolution.selected is None:
            raise resolution.no_image_error()
        return build_plan(
            main,
            resolution,
            present=present,
            locations=locations,
            bandwidth=bandwidth,
            extra_notices=notices,
        )
