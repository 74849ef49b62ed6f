"""Requests per pull: what one host's pull of one image asks the registry for.

The numbers an engine release makes (a HEAD of the tag, GETs of the tag's document) are
its rule file's ``requests`` block (:class:`planner.policy.registry.RequestRules`); the
counting is the same for every engine: the tag's own document, a GET of each child
manifest on the way (not of one the engine holds when its store is looked at first), one
GET per blob it lacks (foreign layers come from their urls, not the registry).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from planner.model.record import dataclass
from planner.policy.registry import RequestRules

__all__ = ["PullRequests", "count_requests"]


@dataclass(frozen=True, slots=True)
class PullRequests:
    """The registry requests of one pull."""

    manifest_get: int
    manifest_head: int
    blob_get: int | None
    """None when no plan was made (the blobs are not known)."""
    tokens: int = 0
    """Token requests, at a registry that wants a bearer token."""

    def to_dict(self) -> dict[str, int | None]:
        return {
            "manifest_get": self.manifest_get,
            "manifest_head": self.manifest_head,
            "blob_get": self.blob_get,
        }


def count_requests(
    rules: RequestRules | None,
    children: Sequence[str],
    *,
    held: Collection[str] = (),
    blob_get: int | None = None,
) -> PullRequests | None:
    """The requests an engine under ``rules`` makes for a pull that reads ``children`` (the
    child manifests on the way, index first, the image manifest last; none for a tag that
    is a single image) and GETs ``blob_get`` blobs; None when the rules do not say.

    ``held``: digests the host already has: a child manifest there is not asked again by an
    engine whose rules say ``held: skipped``.
    """
    if rules is None:
        return None
    asked = [d for d in children if not (rules.held == "skipped" and d in held)]
    return PullRequests(
        manifest_get=rules.tag_get + len(asked),
        manifest_head=rules.tag_head,
        blob_get=blob_get,
        tokens=rules.tokens,
    )
