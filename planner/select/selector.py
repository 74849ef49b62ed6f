"""Selection: which entry of an index a host pulls, and the verdict on every entry.

Pure functions over parsed documents; no I/O except through the ``load_index``
callback used to follow nested indexes. The mechanism, common to every rule
set (the policy comes from the rule set):

1. The host yields its vector, the platforms it runs, best first
   (:mod:`planner.select.host`).
2. Each entry is judged on its own (:mod:`planner.select.judge`).
3. Matching entries are ordered by rank, then by the rule set's tie-breaks,
   then by list order (:mod:`planner.select.order`), and the first is taken.
   A nested index is followed; when nothing inside it matches, the next entry
   is tried (moby ``pullManifestList``).
"""

from __future__ import annotations

import functools
import operator
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from planner.model.arguments import check_argument
from planner.model.errors import InvalidManifest
from planner.model.manifest import Descriptor, Index
from planner.model.platform import Platform
from planner.model.record import dataclass, field
from planner.policy.ruleset import RuleSet
from planner.select import explain
from planner.select.host import HostView, host_view, judging_view
from planner.select.judge import DECIDED_BEFORE_HOST_OS_VERSION, judge, settle_fallbacks
from planner.select.notices import choice_notices, entry_notices
from planner.select.order import preference as order_matches
from planner.select.verdicts import Notice, NoticeCode, Verdict

__all__ = ["MAX_INDEX_DEPTH", "MEMO_ENTRIES", "Candidate", "Selection", "clear_memo", "select"]

MAX_INDEX_DEPTH = 4
"""How deep nested indexes are followed before giving up."""
MAX_NESTED_INDEXES = 64
"""How many distinct nested indexes one selection may read before giving up.

Nested indexes are a graph, not a tree: entries of several levels may point
at the same child. Each distinct child is judged once per selection, and a
hostile index that fans out to many distinct children is stopped here."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One index entry with its verdict."""

    position: int
    descriptor: Descriptor
    verdict: Verdict
    nested: Selection | None = None
    """For an entry that is itself an index and was followed: what was chosen inside it."""

    @property
    def match(self) -> bool:
        return self.verdict.match

    @property
    def rank(self) -> int | None:
        return self.verdict.rank

    @property
    def reason(self) -> str:
        """The verdict in one line (``rank 2: ...``, ``rejected: ...``)."""
        return self.reason_text()

    def reason_text(self, ranked: bool = True) -> str:
        """:attr:`reason`; without ``ranked``, no ``rank N:`` (a table that shows the order)."""
        found = None if self.nested is None else self.nested.image is not None
        return explain.candidate_reason(self.verdict, found, ranked)

    def to_dict(self, preference: int | None, seen: set[str] | None = None) -> dict[str, Any]:
        """The JSON form; ``preference`` is this entry's place in the host's order (1 = the
        pick), None when rejected; a nested index already listed (in ``seen``) is not
        listed again."""
        platform = self.descriptor.platform
        out: dict[str, Any] = {
            "position": self.position,
            "digest": self.descriptor.digest,
            "mediaType": self.descriptor.media_type,
            "platform": platform.to_oci() if platform is not None else None,
            "match": self.match,
            "rank": self.rank,
            "preference": preference,
            "reason": self.reason,
        }
        if self.nested is not None:
            seen = set() if seen is None else seen
            if self.descriptor.digest in seen:
                out["nested_listed_before"] = True
            else:
                seen.add(self.descriptor.digest)
                out["nested"] = self.nested.candidates_dict(seen)
        return out


@dataclass(frozen=True)
class Selection:
    """The outcome of selecting within one index."""

    index: Index
    verdicts: tuple[Verdict, ...]
    """Each entry's verdict, by position (the compact record; see :attr:`candidates`)."""
    preference: tuple[int, ...]
    """Positions of the matching entries, most preferred first."""
    chosen: Candidate | None
    """The entry of this index that is pulled (may be a nested index)."""
    image: Descriptor | None
    """The image manifest finally pulled (through nested indexes)."""
    platform: Platform | None
    """Platform of that image manifest as the index declares it."""
    notices: tuple[Notice, ...]
    followed: tuple[tuple[int, Selection], ...] = ()
    """Nested indexes that were followed: (position, what was chosen inside)."""

    @functools.cached_property
    def candidates(self) -> tuple[Candidate, ...]:
        """Every entry with its verdict, made when first asked for (a fleet rarely asks).

        An entry's record is shared with every other answer on the same index that
        gave it the same verdict (hosts of one judgement on the entries that do not
        read their os.version): memory follows distinct verdicts, not hosts.
        """
        nested = dict(self.followed)
        chosen = self.chosen
        made = _records(self.index)
        out = []
        for i, (desc, verdict) in enumerate(zip(self.index.manifests, self.verdicts, strict=True)):
            if chosen is not None and chosen.position == i:
                out.append(chosen)
                continue
            inner = nested.get(i)
            record = made[i]
            if record is None or record.verdict is not verdict or record.nested is not inner:
                record = made[i] = Candidate(i, desc, verdict, inner)
            out.append(record)
        return tuple(out)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(explain.notice(n) for n in self.notices)

    def order_of(self) -> dict[int, int]:
        """position -> place in the preference order (1 = the pick)."""
        return {position: n for n, position in enumerate(self.preference, start=1)}

    def candidates_dict(self, seen: set[str] | None = None) -> list[dict[str, Any]]:
        order = self.order_of()
        return [c.to_dict(order.get(c.position), seen) for c in self.candidates]


# --------------------------------------------------------------------------- selection


MEMO_ENTRIES = 150_000
"""How many index entries the remembered answers may hold together (least recently used
answers are dropped first). The worst case, every entry its own verdict and every
answer's candidate records made, measures about 53 MB (``benchmarks/scale.py``)."""
_MEMO_INDEXES = 256


@dataclass
class _IndexMemo:
    """What select() remembers about one (index, rule set), whatever the host."""

    index: Index
    rules: RuleSet
    entry_notices: list[Notice]
    groups: tuple[int, ...]
    """Each entry's group: entries the judge cannot tell apart (same media type,
    attestation flag and platform) share one, and are judged once per host."""
    firsts: tuple[int, ...]
    """The first position of each group."""
    coarse: dict[int, dict[int, Verdict]] = field(default_factory=dict)
    """Per :attr:`HostView.coarse`: the groups' verdicts that do not read the os.version."""

    def spread(self, judged: Sequence[Verdict]) -> tuple[Verdict, ...]:
        """Each entry's verdict, from one verdict per group."""
        if len(self.groups) == len(self.firsts):
            return tuple(judged)  # every entry its own group
        picked = operator.itemgetter(*self.groups)(judged)
        return picked if len(self.groups) > 1 else (picked,)


def _index_memo(index: Index, rules: RuleSet) -> _IndexMemo:
    groups: list[int] = []
    seen: dict[tuple[object, ...], int] = {}
    firsts: list[int] = []
    for position, desc in enumerate(index.manifests):
        key = (desc.media_type, desc.is_attestation, desc.platform)
        group = seen.get(key)
        if group is None:
            group = seen[key] = len(firsts)
            firsts.append(position)
        groups.append(group)
    return _IndexMemo(index, rules, entry_notices(index, rules), tuple(groups), tuple(firsts))


_indexes: OrderedDict[tuple[int, int], _IndexMemo] = OrderedDict()
_memo: OrderedDict[tuple[object, ...], tuple[Index, RuleSet, Selection, int]] = OrderedDict()
"""Answers, least recently used first: (index, rules, selection, entries held)."""
_held = [0]


_candidates: OrderedDict[int, tuple[Index, list[Candidate | None]]] = OrderedDict()
"""Per index (by identity), the last record made of each entry, for answers to share."""


def _records(index: Index) -> list[Candidate | None]:
    known = _candidates.get(id(index))
    if known is not None and known[0] is index:
        _candidates.move_to_end(id(index))
        return known[1]
    made: list[Candidate | None] = [None] * len(index.manifests)
    _candidates[id(index)] = (index, made)
    while len(_candidates) > _MEMO_INDEXES:
        _candidates.popitem(last=False)
    return made


def clear_memo() -> None:
    """Forget every remembered answer (benchmarks measure cold evaluations with it)."""
    _indexes.clear()
    _candidates.clear()
    _memo.clear()
    _held[0] = 0


def _remember(key: tuple[object, ...], index: Index, rules: RuleSet, selection: Selection) -> None:
    weight = _weight(selection)
    _memo[key] = (index, rules, selection, weight)
    _held[0] += weight
    while _held[0] > MEMO_ENTRIES and len(_memo) > 1:
        _held[0] -= _memo.popitem(last=False)[1][3]


def _weight(selection: Selection) -> int:
    """Entries an answer holds, nested indexes included (each distinct one once)."""
    seen: dict[int, Selection] = {}
    todo = [selection]
    while todo:
        done = todo.pop()
        if id(done) not in seen:
            seen[id(done)] = done
            todo += [nested for _, nested in done.followed]
    return sum(len(s.verdicts) for s in seen.values())


def select(
    index: Index,
    host: Platform,
    rules: RuleSet,
    *,
    load_index: Callable[[Descriptor], Index] | None = None,
) -> Selection:
    """Choose the entry of ``index`` that ``host`` pulls under ``rules``.

    ``load_index`` reads a nested index by descriptor; without it a chosen
    nested index is reported as chosen, with a warning, and not followed.

    The answer depends only on the index, the rule set and what the judge
    reads of the host (:func:`~planner.select.host.judging_view`: not the
    Windows revision, nor an os.version the rules do not compare), so it is
    remembered, least recently used dropped first once the answers hold
    :data:`MEMO_ENTRIES` entries: a fleet of thousands of hosts costs one
    evaluation per distinct judgement, and hosts of one judgement share the
    answer.
    """
    if (
        not isinstance(index, Index)
        or not isinstance(host, Platform)
        or not isinstance(rules, RuleSet)
    ):
        check_argument(index, Index, "index", "an Index")
        check_argument(host, Platform, "host", "a Platform")
        check_argument(rules, RuleSet, "rules", "a RuleSet")
    view = host_view(host, rules)
    key = (id(index), id(rules), view.key[0], load_index is not None)
    known = _memo.get(key)
    if known is not None and known[0] is index and known[1] is rules:
        _memo.move_to_end(key)
        return known[2]
    memo_key = (id(index), id(rules))
    memo = _indexes.get(memo_key)
    if memo is None or memo.index is not index or memo.rules is not rules:
        memo = _indexes[memo_key] = _index_memo(index, rules)
        while len(_indexes) > _MEMO_INDEXES:
            _indexes.popitem(last=False)
    else:
        _indexes.move_to_end(memo_key)
    selection = _select(index, judging_view(view), rules, _Walk(load_index), 0, memo)
    _remember(key, index, rules, selection)
    return selection


@dataclass
class _Walk:
    """One selection's walk through nested indexes: each distinct child judged once."""

    load_index: Callable[[Descriptor], Index] | None
    nested: dict[str, Selection] = field(default_factory=dict)

    def child(self, desc: Descriptor, view: HostView, rules: RuleSet, depth: int) -> Selection:
        done = self.nested.get(desc.digest)
        if done is None:
            if len(self.nested) >= MAX_NESTED_INDEXES:
                raise InvalidManifest(
                    f"index {desc.digest}: more than {MAX_NESTED_INDEXES} distinct nested"
                    " indexes to follow; refusing a fan-out no client would walk"
                )
            assert self.load_index is not None
            index = self.load_index(desc)
            done = _select(index, view, rules, self, depth + 1, _index_memo(index, rules))
            self.nested[desc.digest] = done
        return done


def _judge_across_os_versions(
    memo: _IndexMemo,
    entries: Sequence[Descriptor],
    view: HostView,
    rules: RuleSet,
    media_type: str,
) -> list[Verdict]:
    """One verdict per group, reusing those given before the host's os.version was read."""
    shared = memo.coarse.get(view.coarse)
    if shared is None:
        if len(memo.coarse) >= 256:
            memo.coarse.clear()
        shared = memo.coarse[view.coarse] = {}
    judged = []
    for group, position in enumerate(memo.firsts):
        verdict = shared.get(group)
        if verdict is None:
            verdict = judge(entries[position], view, rules, media_type)
            if verdict.code in DECIDED_BEFORE_HOST_OS_VERSION:
                shared[group] = verdict
        judged.append(verdict)
    return judged


def _select(
    index: Index, view: HostView, rules: RuleSet, walk: _Walk, depth: int, memo: _IndexMemo
) -> Selection:
    if depth > MAX_INDEX_DEPTH:
        raise InvalidManifest(
            f"index {index.digest}: nested more than {MAX_INDEX_DEPTH} levels deep"
        )
    entries = index.manifests
    if view.coarse < 0:
        judged = [judge(entries[i], view, rules, index.media_type) for i in memo.firsts]
    else:
        judged = _judge_across_os_versions(memo, entries, view, rules, index.media_type)
    verdicts = memo.spread(judged)
    if rules.arch_fallback:
        verdicts = settle_fallbacks(verdicts)
    preference = order_matches(entries, [v.rank for v in verdicts], view.order, index.media_type)
    notices = [*view.notices, *memo.entry_notices]
    followed: list[tuple[int, Selection]] = []

    def chosen(position: int, image: Descriptor | None, platform: Platform | None) -> Selection:
        nested = followed[-1][1] if followed and followed[-1][0] == position else None
        return Selection(
            index,
            verdicts,
            tuple(preference),
            Candidate(position, entries[position], verdicts[position], nested),
            image,
            platform,
            tuple(notices),
            tuple(followed),
        )

    for position in preference:
        desc = entries[position]
        if not desc.is_index:
            notices += choice_notices(position, preference, index, view, rules)
            return chosen(position, desc, desc.platform)
        if walk.load_index is None:
            notices.append(
                Notice(NoticeCode.NESTED_UNREADABLE, {"position": position, "digest": desc.digest})
            )
            return chosen(position, desc, desc.platform)
        nested = walk.child(desc, view, rules, depth)
        followed.append((position, nested))
        if nested.image is not None:
            notices += nested.notices
            return chosen(position, nested.image, nested.platform)
    return Selection(
        index, verdicts, tuple(preference), None, None, None, tuple(notices), tuple(followed)
    )
