"""Compare engines: one source, one host, several rule sets; where they differ, and why.

Each rule set resolves the same index for the same host (the index is read once).
Rule sets that pick the same entry for the same reason form one answer: engines
that agree on the pick but not on why (podman takes ``arm64/v8`` for an arm64 host
as an older variant, Docker as an exact match after normalization) are separate
answers, each in its own words. The engines disagree when the answers name more
than one entry. Each answer is explained from its verdict: the reason of the pick,
and, when other matches had the same rank, the tie-break that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from planner.app.resolve import Resolution, resolve_source
from planner.model.errors import InvalidInput, InvalidPlatform
from planner.model.platform import Platform
from planner.model.record import dataclass
from planner.policy.loader import available_rule_sets, load_rules
from planner.policy.ruleset import RuleSet
from planner.select import explain
from planner.select.host import host_view
from planner.select.order import decided_by
from planner.sources.sourceset import SourceSet

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = ["Answer", "Comparison", "compare", "position_of", "rule_sets"]


def rule_sets(specs: Sequence[str]) -> list[RuleSet]:
    """Rule sets by spec; ``all`` is the newest release of every shipped family."""
    names = [s for spec in specs for s in spec.split(",") if s]
    if names == ["all"] or not names:
        names = available_rule_sets()
    if "all" in names:
        raise InvalidInput("'all' means every family; name it alone")
    return [load_rules(name) for name in dict.fromkeys(names)]


@dataclass(frozen=True)
class Answer:
    """The rule sets that pick one entry (None: no entry), or refuse the host, and why."""

    position: int | None
    rules: tuple[str, ...]
    why: str
    refused: bool = False
    """The release cannot read the host's platform string."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "refused": self.refused,
            "rules": list(self.rules),
            "why": self.why,
        }


@dataclass(frozen=True)
class Comparison:
    source: str
    host: Platform
    resolutions: tuple[Resolution, ...]
    answers: tuple[Answer, ...]
    refused: tuple[tuple[str, str], ...] = ()
    """(rule set, why) for the rule sets that cannot read the host."""

    @property
    def agree(self) -> bool:
        """Every rule set pulls the same entry (or every one refuses the host)."""
        outcomes = {None if a.refused else ("pick", a.position) for a in self.answers}
        return len(outcomes) <= 1

    def to_dict(self) -> dict[str, Any]:
        results = []
        for r in self.resolutions:
            results.append(
                {
                    "rules": r.rules.name,
                    "releases": r.rules.releases or None,
                    "selected": r.selected.summary() if r.selected is not None else None,
                    "position": position_of(r),
                    "rank": r.selection.chosen.rank
                    if r.selection is not None and r.selection.chosen is not None
                    else None,
                    "reason": _why(r),
                    "preference": list(r.selection.preference) if r.selection else [],
                    "refused": False,
                }
            )
        for name, why in self.refused:  # this release cannot read the host: its own result
            results.append(
                {
                    "rules": name,
                    "releases": None,
                    "selected": None,
                    "position": None,
                    "rank": None,
                    "reason": why,
                    "preference": [],
                    "refused": True,
                }
            )
        return {
            "source": self.source,
            "host": self.host.to_oci(),
            "agree": self.agree,
            "results": results,
            "answers": [a.to_dict() for a in self.answers],
        }


def position_of(resolution: Resolution) -> int | None:
    """The index position of the pick (0 for a single image), None when there is none."""
    selection = resolution.selection
    if selection is not None:
        return selection.chosen.position if selection.chosen else None
    return 0 if resolution.selected is not None else None


def _why(resolution: Resolution) -> str:
    """The pick's reason, and the tie-break when other matches had its rank."""
    selection = resolution.selection
    if selection is None or selection.chosen is None:
        return resolution.problem or explain.reason(resolution.candidates[0].verdict)
    chosen = selection.chosen
    tied = [
        c for c in selection.candidates if c.match and c.rank == chosen.rank and c is not chosen
    ]
    tie = ""
    if tied:
        view = host_view(resolution.host, resolution.rules)
        decider = decided_by(
            chosen.descriptor,
            [c.descriptor for c in tied],
            view.order,
            selection.index.media_type,
        )
        tie = f"; {len(tied) + 1} entries tie at rank {chosen.rank}: {decider} decides"
    return chosen.reason + tie


def compare(
    source: str,
    host: Platform,
    rules: Sequence[RuleSet],
    *,
    registry: RegistryOptions | None = None,
    host_for: Callable[[RuleSet], Platform] | None = None,
) -> Comparison:
    """Resolve ``source`` for ``host`` under each rule set, and group the answers.

    ``host_for`` gives the host each rule set sees, when engines see one machine
    differently (:meth:`planner.hosts.local.Machine.host_for`: Docker adds the
    x86-64 level, containerd does not); ``host`` is then the one shown.
    """
    resolved: list[Resolution] = []
    refused: list[tuple[str, str]] = []
    with SourceSet(registry) as sources:
        opened = sources.get(source)
        for r in rules:
            try:
                resolved.append(resolve_source(opened, host_for(r) if host_for else host, r))
            except InvalidPlatform as exc:  # this release cannot read the host string
                refused.append((r.name, str(exc)))
    groups: dict[tuple[int | None, str], list[str]] = {}
    for resolution in resolved:
        key = (position_of(resolution), _why(resolution))
        groups.setdefault(key, []).append(resolution.rules.name)
    answers = [Answer(position, tuple(names), why) for (position, why), names in groups.items()]
    refusals: dict[str, list[str]] = {}
    for name, why in refused:
        refusals.setdefault(why, []).append(name)
    answers += [Answer(None, tuple(names), why, refused=True) for why, names in refusals.items()]
    return Comparison(source, host, tuple(resolved), tuple(answers), tuple(refused))
