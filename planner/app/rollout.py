"""Rollout cost: the counted requests each registry receives from each egress.

A fleet check pulls each image once on each host; a workload check pulls each container's
image on each eligible node as its ``imagePullPolicy`` says (``Never``: not at all;
``IfNotPresent``: on the first pod start; ``Always``: on every pod start, the later ones
costing what the engine asks again for an image it holds). How many pods start on a node
(replicas, restarts, scale-ups) is not known from the files: the figures count one pod
start per eligible node, and say what each further start of an ``Always`` pod adds.

Registries count manifest GETs (Docker Hub: a HEAD is free); a rate limit
(:class:`~planner.transport.stats.RateLimit`, given, or read from the registry's
``ratelimit-limit`` header) is one budget per egress (one NAT address is one client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from planner.app.requests import PullRequests
from planner.model.record import dataclass
from planner.model.text import plural
from planner.transport.stats import RateLimit, parse_ratelimit_header

__all__ = ["PullCost", "RegistryCost", "Rollout", "registry_name", "rollout_cost"]


def registry_name(endpoint: str) -> str:
    """``registry-1.docker.io:443`` as ``registry-1.docker.io``; other ports kept."""
    return endpoint[: -len(":443")] if endpoint.endswith(":443") else endpoint


@dataclass(frozen=True, slots=True)
class PullCost:
    """One image pulled on one host (a fleet pair, a container on an eligible node)."""

    egress: str
    endpoint: str
    first: PullRequests
    """The pull when the host lacks the image."""
    again: PullRequests | None = None
    """Each further pod start (``Always``): what the engine asks for an image it holds."""
    policy: str = ""
    """``Always``, ``IfNotPresent``, ``Never``; '' for a fleet pair (pulled once)."""
    times: int = 1
    """How many hosts make this same pull (the nodes of a pool behind one egress)."""


@dataclass(frozen=True, slots=True)
class RegistryCost:
    """What one registry receives from one egress."""

    egress: str
    registry: str
    pulls: int
    manifest_get: int
    manifest_head: int
    blob_get: int | None
    again_get: int = 0
    """Manifest GETs each further start of every ``Always`` pod adds (a multiplier the files
    cannot give: replicas per node, restarts)."""
    never: int = 0
    """Pulls ``imagePullPolicy: Never`` leaves out (the image must already be there)."""
    limit: RateLimit | None = None
    refused: int = 0
    """Counted requests beyond the limit's budget."""

    @property
    def counted(self) -> int:
        """The requests a registry's pull limit counts: manifest GETs."""
        return self.manifest_get

    def sentence(self) -> str:
        """The gate's line for this row."""
        egress = f" from egress {self.egress}" if self.egress else ""
        said = f"{self.counted:,} counted manifest {plural_word(self.counted)} to {self.registry}{egress}"
        limit = self.limit
        if limit is None:
            return f"the rollout makes {said}"
        if limit.observed:
            left = f", {limit.remaining} remaining" if limit.remaining is not None else ""
            whose = f"the registry's own limit of {limit.count} per {limit.window()}{left} (its ratelimit headers)"
        else:
            whose = f"the limit of {limit.count} per {limit.window()}"
        verdict = (
            f"{whose} refuses about {self.refused:,} of them"
            if self.refused
            else f"{whose} allows them"
        )
        more = (
            f" (at least: each further start of its Always pods adds {self.again_get})"
            if self.again_get
            else ""
        )
        return f"the rollout makes {said}; {verdict}{more}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "egress": self.egress or None,
            "registry": self.registry,
            "pulls": self.pulls,
            "manifest_get": self.manifest_get,
            "manifest_head": self.manifest_head,
            "blob_get": self.blob_get,
            "counted": self.counted,
            "per_further_start": self.again_get,
            "never": self.never,
            "limit": self.limit.to_dict() if self.limit is not None else None,
            "refused": self.refused,
        }


def plural_word(n: int) -> str:
    return "request" if n == 1 else "requests"


@dataclass(frozen=True)
class Rollout:
    """Every (egress, registry) row, and the limits it was judged by."""

    rows: tuple[RegistryCost, ...]
    limits: tuple[RateLimit, ...] = ()
    unknown: int = 0
    """Pulls whose engine's rules state no requests (not counted)."""

    @property
    def failures(self) -> list[RegistryCost]:
        return [r for r in self.rows if r.refused]

    @property
    def note(self) -> str:
        """What the figures assume, in one line."""
        out = (
            "counted: manifest GETs (a HEAD is free); one pod start per eligible node,"
            " replicas and restarts are yours to multiply"
        )
        if self.unknown:
            out += f"; {plural(self.unknown, 'pull')} not counted (their rules state no requests)"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "registries": [r.to_dict() for r in self.rows],
            "limits": [limit.to_dict() for limit in self.limits],
            "failures": [r.sentence() for r in self.failures],
            "note": self.note,
        }


def _observed(rate_limits: Mapping[str, tuple[str, str]]) -> dict[str, RateLimit]:
    out = {}
    for endpoint, (limit, remaining) in rate_limits.items():
        read = parse_ratelimit_header(limit, remaining)
        if read is not None:
            count, seconds, left = read
            name = registry_name(endpoint)
            out[name] = RateLimit(count, seconds, name, observed=True, remaining=left)
    return out


def rollout_cost(
    costs: Iterable[PullCost],
    limits: Sequence[RateLimit] = (),
    rate_limits: Mapping[str, tuple[str, str]] | None = None,
    *,
    unknown: int = 0,
) -> Rollout:
    """Add the pulls up per (egress, registry) and judge each row by its limit: a given
    limit for its registry (or every registry), else what the registry's ``ratelimit``
    headers said (``rate_limits``: endpoint -> (limit, remaining), from the run's stats)."""
    sums: dict[tuple[str, str], list[Any]] = {}
    for cost in costs:
        key = (cost.egress, registry_name(cost.endpoint))
        row = sums.setdefault(key, [0, 0, 0, 0, 0, 0])
        times = cost.times
        if cost.policy == "Never":
            row[5] += times
            continue
        row[0] += times
        row[1] += cost.first.manifest_get * times
        row[2] += cost.first.manifest_head * times
        if cost.first.blob_get is None or row[3] is None:
            row[3] = None
        else:
            row[3] += cost.first.blob_get * times
        if cost.policy == "Always" and cost.again is not None:
            row[4] += cost.again.manifest_get * times
    observed = _observed(rate_limits or {})
    rows = []
    for (egress, registry), (pulls, get, head, blobs, again, never) in sorted(sums.items()):
        limit = next((x for x in limits if x.applies_to(registry)), observed.get(registry))
        if limit is not None and registry in observed and not limit.observed:
            seen = observed[registry]  # the window as the registry counts it now
            limit = RateLimit(limit.count, limit.seconds, limit.registry, remaining=seen.remaining)
        refused = max(0, get - limit.budget()) if limit is not None else 0
        rows.append(
            RegistryCost(egress, registry, pulls, get, head, blobs, again, never, limit, refused)
        )
    return Rollout(tuple(rows), tuple(limits), unknown)
