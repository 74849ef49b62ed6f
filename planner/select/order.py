"""Ordering the matches: rank first, then the rule set's tie-breaks, then list order.

Every client sorts stably (``sort.SliceStable`` in containerd and moby, a
position tie-break in containers/image), so entries that tie on everything
keep the order of the index. The tie-breaks a rule file may name (``order``,
``windows.order``):

* ``more-os-features``: more os.features first (containerd/platforms rc.3+ ``Less``);
* ``zstd-first``: the zstd instance first, in OCI indexes only (containers/image
  5.25+ ``chooseInstance``: annotation ``io.github.containers.compression.zstd``);
* ``os-version-desc``: the larger os.version *string* first (containerd/platforms
  rc.2+ ``windowsMatchComparer.Less``: ``10.0.20348.999`` > ``10.0.20348.2849``);
* ``revision-desc``: the larger numeric revision (4th os.version field) first
  (containerd 1.6 ``windowsMatchComparer.Less``, ``winRevision``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planner.model.manifest import OCI_INDEX, Descriptor
from planner.model.windows import revision_of
from planner.policy.ruleset import TieBreak

__all__ = ["decided_by", "preference"]


class _Descending:
    """Sort key wrapper that reverses the order of strings."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _tie_key(tie: TieBreak, desc: Descriptor, index_media_type: str) -> Any:
    platform = desc.platform
    if tie == "more-os-features":
        return -len(platform.os_features) if platform else 0
    if tie == "zstd-first":
        return 0 if index_media_type == OCI_INDEX and desc.is_zstd else 1
    if tie == "os-version-desc":
        return _Descending(platform.os_version if platform else "")
    # revision-desc: winRevision(), 0 when missing or not a number
    return -revision_of(platform.os_version) if platform else 0


def preference(
    entries: Sequence[Descriptor],
    ranks: Sequence[int | None],
    ties: Sequence[TieBreak],
    index_media_type: str,
) -> list[int]:
    """Positions of the matching entries (rank not None), most preferred first."""

    def key(i: int) -> tuple[Any, ...]:
        return (ranks[i], *(_tie_key(t, entries[i], index_media_type) for t in ties), i)

    return sorted((i for i, rank in enumerate(ranks) if rank is not None), key=key)


def decided_by(
    chosen: Descriptor,
    others: Sequence[Descriptor],
    ties: Sequence[TieBreak],
    index_media_type: str,
) -> str:
    """Which tie-break put ``chosen`` before entries of its rank: the first whose keys differ."""
    for tie in ties:
        mine = _tie_key(tie, chosen, index_media_type)
        if any(_tie_key(tie, other, index_media_type) != mine for other in others):
            return tie
    return "list order"
