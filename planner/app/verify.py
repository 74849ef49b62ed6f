"""Would the pull succeed: every manifest and blob a pull fetches, asked without downloading it.

Verification (:func:`planner.app.pulls.run_pulls` with ``verify=True``): for each pull,
the child manifest it reads by digest (when the tag is an index) and each blob its
plan downloads (the config, each layer the host does not have; a foreign layer at
its URL, when the plan fetches it there) are asked for with a ``HEAD`` at the
endpoint that serves them (the mirror a registry configuration sends the host to),
once per distinct (endpoint, repository, digest) a run, concurrently on the run's
session (:meth:`planner.sources.sourceset.SourceSet.presences`). The answer's
length must be the descriptor's size. Each pull gets a :class:`Verification` per
object; a ``missing`` or ``size-mismatch`` one breaks the pull (status ``broken``);
``unverified`` (the registry would not say) is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from planner.model.manifest import Descriptor, url_host
from planner.model.record import dataclass
from planner.select import explain

if TYPE_CHECKING:
    from planner.app.plan import Plan
    from planner.app.resolve import Resolution
    from planner.sources import Source
    from planner.transport.options import Presence

__all__ = [
    "Check",
    "Verification",
    "VerifyStatus",
    "blob_checks",
    "child_check",
    "failures",
    "record",
    "records",
    "unverified",
]

VerifyStatus = Literal["ok", "missing", "size-mismatch", "unverified"]


@dataclass(frozen=True, slots=True)
class Verification:
    """One manifest or blob a pull fetches, as its registry answered without sending it."""

    digest: str
    role: str
    """``child manifest``, ``config`` or ``layer N`` (N counts from 1, base layer first)."""
    endpoint: str
    """``HOST:PORT`` asked (a foreign layer's URL host)."""
    status: VerifyStatus
    size: int
    """The descriptor's size."""
    length: int | None = None
    """The length the registry declared (None when it did not say)."""
    detail: str = ""
    """How it was asked (``HEAD``, ``ranged GET``) or why it could not be (the registry's words)."""

    @property
    def failed(self) -> bool:
        """The pull fails on it: missing, or not the size the manifest says."""
        return self.status in ("missing", "size-mismatch")

    @property
    def text(self) -> str:
        """One line (for a status that is not ``ok``)."""
        return explain.verification(
            self.role, self.digest, self.endpoint, self.status, self.size, self.length, self.detail
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "role": self.role,
            "endpoint": self.endpoint,
            "status": self.status,
            "size": self.size,
            "length": self.length,
            "detail": self.detail or None,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One object to ask about: from which source, where (``manifest``, ``blob`` or a
    foreign layer's URL), its role in the pull, and the endpoint that serves it."""

    source: Source
    descriptor: Descriptor
    where: str
    role: str
    endpoint: str

    @property
    def key(self) -> tuple[int, str, str]:
        """Its key in :meth:`~planner.sources.sourceset.SourceSet.presences`' answer."""
        return (id(self.source), self.descriptor.digest, self.where)


def child_check(source: Source, resolution: Resolution) -> Check | None:
    """The child manifest a pull reads by digest after the index (None for a single image)."""
    if resolution.selected is None or resolution.index is None:
        return None
    endpoint = resolution.endpoint or source.endpoint
    return Check(source, resolution.selected, "manifest", "child manifest", endpoint)


def blob_checks(source: Source, resolution: Resolution, plan: Plan) -> list[Check]:
    """The blobs the plan downloads (present ones and repeats are not), in pull order."""
    endpoint = resolution.endpoint or source.endpoint
    checks = []
    for blob in plan.blobs:
        if blob.present or blob.duplicate_of is not None:
            continue
        role = "config" if blob.kind == "config" else f"layer {blob.order - 1}"
        if blob.foreign and blob.descriptor.urls:
            if blob.location is None:  # no URL parses: the engine fetches nothing there
                continue
            checks.append(
                Check(source, blob.descriptor, blob.location, role, url_host(blob.location))
            )
        else:
            checks.append(Check(source, blob.descriptor, "blob", role, endpoint))
    return checks


def record(check: Check, answer: Presence) -> Verification:
    """The verification of one checked object from its registry's answer."""
    d = check.descriptor
    status: VerifyStatus
    if answer.state == "missing":
        status = "missing"
    elif answer.state == "present" and answer.length is not None:
        status = "ok" if answer.length == d.size else "size-mismatch"
    else:
        status = "unverified"
    return Verification(
        d.digest, check.role, check.endpoint, status, d.size, answer.length, answer.detail
    )


def records(
    checks: Iterable[Check], answers: dict[tuple[int, str, str], Presence]
) -> tuple[Verification, ...]:
    """The verifications of these checks (those not asked, a source that is no registry, left out)."""
    return tuple(record(c, answers[c.key]) for c in checks if c.key in answers)


def unverified(verifications: Sequence[Verification]) -> tuple[str, ...]:
    """A warning for each manifest or blob that could not be verified."""
    return tuple(v.text for v in verifications if v.status == "unverified")


def failures(verifications: Sequence[Verification]) -> list[Verification]:
    return [v for v in verifications if v.failed]
