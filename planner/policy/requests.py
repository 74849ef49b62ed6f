"""``requests``: the registry requests one pull makes, per engine release.

What the engine asks the registry for a tag: HEADs and GETs of the tag's manifest, a GET of
each child manifest on the way (unless the engine already holds it, where it looks first),
one GET per blob it lacks, and the token requests of a registry that wants a bearer token.
The counting (:func:`planner.app.requests.pull_requests`) is the same for every engine; what
differs, and is data here, are these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from planner.model.yamlfile import Checker, MarkedMap

__all__ = ["HELD", "RequestRules", "read_requests"]

HELD = ("fetched", "skipped")
Held = Literal["fetched", "skipped"]


@dataclass(frozen=True)
class RequestRules:
    """What one pull of a tag costs the registry, before blobs."""

    tag_head: int
    """Manifest HEADs to resolve the tag to a digest (containerd's resolver: 1)."""
    tag_get: int
    """GETs of the tag's own document (the index, or the single image's manifest)."""
    held: Held
    """A child manifest the engine already holds: ``fetched`` again, or ``skipped``."""
    tokens: int
    """Token requests per pull, at a registry that wants a bearer token (0 at one that does not)."""
    source: str
    """Where these numbers are read from (or measured)."""


def read_requests(check: Checker, top: MarkedMap) -> RequestRules | None:
    if "requests" not in top:
        return None
    node = check.mapping(
        top["requests"],
        "requests",
        required=("source",),
        optional=("tag_head", "tag_get", "held", "tokens"),
        parent=top,
        key="requests",
    )

    def count(key: str, default: int) -> int:
        value = node.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
            raise check.fail(node, key, f"requests.{key}", "must be a whole number from 0 to 9")
        return value

    return RequestRules(
        tag_head=count("tag_head", 0),
        tag_get=count("tag_get", 1),
        held=cast(Held, check.choice(node, "held", "requests.held", HELD, "fetched")),
        tokens=count("tokens", 1),
        source=check.string(node, "source", "requests.source", non_empty=True),
    )
