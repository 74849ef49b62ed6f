"""The resolver's memo: hosts that share a judgement get the answer a fresh evaluation gives.

select() remembers answers by what the judge reads of a host
(planner.select.host.judging_view), so a host whose answer was made for
another host (another Windows revision, another os.version the rule set does
not compare) must get exactly the picks, order, reasons and warnings it would
get alone; and the memo stays within MEMO_ENTRIES entries.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from planner.model.errors import InvalidPlatform
from planner.model.manifest import Index, parse_document
from planner.model.platform import Platform
from planner.policy.loader import load_rules
from planner.select import selector
from planner.select.selector import Selection, clear_memo, select
from tests.helpers import index_json
from tests.test_selection_tables import CASES, _host, _index


def _siblings(host: Platform) -> list[Platform]:
    """Hosts an answer could wrongly be shared with: another revision, build or os.version."""
    fields = host.os_version.split(".")
    out = [host.with_fields(os_version="10.0.20348.7"), host.with_fields(os_version="")]
    if len(fields) >= 3 and fields[2].isdigit():
        revision = int(fields[3]) + 1 if len(fields) > 3 and fields[3].isdigit() else 7
        out.append(host.with_fields(os_version=".".join([*fields[:3], str(revision)])))
        for build in (int(fields[2]) - 1, int(fields[2]) + 1):
            out.append(host.with_fields(os_version=".".join([*fields[:2], str(build), "1"])))
    return out


def _answer(selection: Selection) -> dict[str, Any]:
    return {
        "candidates": selection.candidates_dict(),
        "preference": selection.preference,
        "chosen": selection.chosen.position if selection.chosen else None,
        "image": selection.image,
        "warnings": selection.warnings,
    }


@pytest.mark.parametrize(("row", "rules_name"), CASES)
def test_a_shared_answer_is_the_fresh_answer(row: dict[str, Any], rules_name: str) -> None:
    rules = load_rules(rules_name)
    host, index = _host(row), _index(row)
    clear_memo()
    try:
        fresh = _answer(select(index, host, rules))
    except InvalidPlatform:
        return  # this release refuses the host (tested in test_selection_tables)
    for sibling in _siblings(host):
        clear_memo()
        with contextlib.suppress(InvalidPlatform):
            select(index, sibling, rules)
        assert _answer(select(index, host, rules)) == fresh, sibling
    clear_memo()


def test_revisions_share_one_answer() -> None:
    """Windows hosts of one build judged once under rules that compare builds."""
    data = index_json(
        [
            {"platform": {"os": "windows", "architecture": "amd64", "os.version": v}}
            for v in ("10.0.17763.1", "10.0.20348.5", "10.0.20348.9")
        ]
    )
    index = parse_document(data, "revisions")
    assert isinstance(index, Index)
    for name in ("docker", "containerd"):
        rules = load_rules(name)
        clear_memo()
        answers = {
            id(select(index, Platform.parse(f"windows(10.0.20348.{r})/amd64"), rules))
            for r in range(50)
        }
        assert len(answers) == 1
        assert len(selector._memo) == 1


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Least recently used answers are dropped once the entries held pass MEMO_ENTRIES."""
    data = index_json([{"platform": {"os": "linux", "architecture": "amd64"}} for _ in range(10)])
    index = parse_document(data, "bounded")
    assert isinstance(index, Index)
    rules = load_rules("crane")  # compares os.version exactly: every host its own answer
    monkeypatch.setattr(selector, "MEMO_ENTRIES", 55)
    clear_memo()
    for r in range(20):
        select(index, Platform.parse(f"linux(1.{r})/amd64"), rules)
        assert selector._held[0] <= 55
    assert len(selector._memo) == 5
    last = select(index, Platform.parse("linux(1.19)/amd64"), rules)
    assert select(index, Platform.parse("linux(1.19)/amd64"), rules) is last
    clear_memo()
    assert selector._held[0] == 0
