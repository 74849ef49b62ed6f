"""Resolve a source for a host: the library entry point behind ``pull-planner resolve``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.manifest import (
    MAX_CONFIG_BYTES,
    Descriptor,
    ImageManifest,
    Index,
    parse_config_platform,
)
from planner.platform import Platform
from planner.resolver import Candidate, Selection, judge_image_platform, select
from planner.rulesets import DEFAULT_RULES, RuleSet, load_rules
from planner.sources import Source, open_source
from planner.stats import Stats

if TYPE_CHECKING:
    from planner.registry import RegistryOptions

__all__ = ["Resolution", "resolve", "resolve_source"]


@dataclass(frozen=True)
class Resolution:
    """Which image a host pulls from a source, with the verdict on every entry."""

    source: str
    rules: RuleSet
    host: Platform
    index: Descriptor | None
    """The index that was resolved; None when the source is a single image."""
    selected: Descriptor | None
    """The image manifest the host pulls; None when nothing is compatible."""
    platform: Platform | None
    """The selected image's platform (from the index entry, or the image config)."""
    candidates: tuple[Candidate, ...]
    warnings: tuple[str, ...]
    selection: Selection | None = None
    stats: Stats = field(default_factory=Stats)
    """Registry requests, bytes and cache hits spent on this answer."""

    @property
    def ok(self) -> bool:
        return self.selected is not None

    def offered(self) -> list[str]:
        """Platforms the index offers, for messages."""
        seen: dict[str, None] = {}
        for c in self.candidates:
            if c.descriptor.is_attestation:
                continue
            p = c.descriptor.platform
            seen[p.describe() if p else "(no platform)"] = None
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract of ``pull-planner resolve --format json``."""
        selected = None
        if self.selected is not None:
            selected = {
                **self.selected.summary(),
                "platform": self.platform.to_oci() if self.platform is not None else None,
            }
        return {
            "source": self.source,
            "rules": self.rules.name,
            "host": self.host.to_oci(),
            "index": self.index.summary() if self.index is not None else None,
            "selected": selected,
            "candidates": [c.to_dict() for c in self.candidates],
            "warnings": list(self.warnings),
            "stats": self.stats.to_dict(),
        }


def resolve(
    source: str | Source,
    host: Platform | str,
    rules: RuleSet | str = DEFAULT_RULES,
    *,
    registry: RegistryOptions | None = None,
) -> Resolution:
    """Which image ``host`` pulls from ``source`` under ``rules``.

    ``source`` is a SOURCE string (see :func:`planner.sources.open_source`) or
    a :class:`~planner.sources.Source`; ``host`` a :class:`Platform` or a
    platform string such as ``linux/arm64`` or ``windows(10.0.20348)/amd64``;
    ``rules`` a rule set or its name or path; ``registry`` configures registry
    access when ``source`` is an image reference.
    """
    if isinstance(host, str):
        host = Platform.parse(host)
    if isinstance(rules, str):
        rules = load_rules(rules)
    if isinstance(source, str):
        with open_source(source, registry) as opened:
            return resolve_source(opened, host, rules)
    return resolve_source(source, host, rules)


def resolve_source(source: Source, host: Platform, rules: RuleSet) -> Resolution:
    """:func:`resolve` on an opened source (the source stays open)."""
    document, descriptor = source.read_top()
    if isinstance(document, Index):
        selection = select(
            document,
            host,
            rules,
            load_index=source.read_index if source.can_read_children else None,
        )
        return Resolution(
            source=source.name,
            rules=rules,
            host=host,
            index=descriptor,
            selected=selection.image,
            platform=selection.platform,
            candidates=selection.candidates,
            warnings=selection.warnings,
            selection=selection,
            stats=source.stats,
        )
    return _resolve_single(source, document, descriptor, host, rules)


def _resolve_single(
    source: Source, manifest: ImageManifest, descriptor: Descriptor, host: Platform, rules: RuleSet
) -> Resolution:
    """A tag that is one image: it is pulled whatever its platform, with a warning."""
    data = source.read_blob(manifest.config, MAX_CONFIG_BYTES)
    warnings: list[str] = []
    platform = None
    if data is None:
        reason = (
            "single image; its platform is unknown (config blob not available from this source)"
        )
        warnings.append(
            "the source is a single image manifest and its config is not available, so whether"
            " it runs on this host is unknown; clients pull it anyway"
        )
    else:
        platform = parse_config_platform(data, f"{source.name}: config {manifest.config.digest}")
        runs, why = judge_image_platform(platform, host, rules)
        reason = f"single image ({platform.describe()}); {why}"
        if not runs:
            warnings.append(
                f"the image is {platform.describe()} and will not run on this host ({why});"
                " docker and podman pull it with a warning, containerd silently"
            )
    candidate = Candidate(
        0,
        Descriptor(descriptor.media_type, descriptor.digest, descriptor.size, platform),
        True,
        0,
        reason,
    )
    return Resolution(
        source=source.name,
        rules=rules,
        host=host,
        index=None,
        selected=descriptor,
        platform=platform,
        candidates=(candidate,),
        warnings=tuple(warnings),
        stats=source.stats,
    )
