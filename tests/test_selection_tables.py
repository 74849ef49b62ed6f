"""Table-driven selection tests: tests/data/selection/*.yaml (format in its README).

Every row is checked under every shipped rule set; expectations come from the
clients' sources and tests cited in each row, not from pull-planner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.model.errors import InvalidPlatform
from planner.model.manifest import Index, parse_document
from planner.model.platform import Platform
from planner.policy.loader import available_rule_sets, load_rules
from planner.policy.ruleset import RuleSet
from planner.select.host import read_platform
from planner.select.selector import select
from tests.helpers import index_json

TABLES = Path(__file__).parent / "data" / "selection"
RULE_SETS = ["docker", "containerd", "containerd-1.6", "podman", "crane"]


def _entry(spec: Any) -> dict[str, Any]:
    """Turn a table entry into descriptor fields."""
    if spec is None:
        return {}
    if isinstance(spec, str):
        return {"platform": Platform.parse(spec).to_oci()}
    out: dict[str, Any] = {}
    platform = spec.get("platform")
    if isinstance(platform, str):
        out["platform"] = Platform.parse(platform).to_oci()
    elif isinstance(platform, dict):
        out["platform"] = platform
    if "os_features" in spec:
        out["platform"]["os.features"] = spec["os_features"]
    if "annotations" in spec:
        out["annotations"] = spec["annotations"]
    if "mediaType" in spec:
        out["mediaType"] = spec["mediaType"]
    return out


def _rows() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in sorted(TABLES.glob("*.yaml")):
        for row in yaml.safe_load(path.read_text()):
            rows.append((f"{path.stem}:{row['id']}", row))
    return rows


ROWS = _rows()
CASES = [
    pytest.param(row, rules, id=f"{row_id}[{rules}]")
    for row_id, row in ROWS
    for rules in row["expect"]
]


def _index(row: dict[str, Any]) -> Index:
    data = index_json([_entry(e) for e in row["entries"]], docker=row.get("index") == "docker")
    document = parse_document(data, row["id"])
    assert isinstance(document, Index)
    return document


def _host(row: dict[str, Any], rules: RuleSet | None = None) -> Platform:
    """The host as the client reads the row's platform text (``arm64`` alone: see
    :func:`~planner.select.host.read_platform`)."""
    host = read_platform(row["host"], rules)
    if "host_os_features" in row:
        host = host.with_fields(os_features=tuple(row["host_os_features"]))
    return host


@pytest.mark.parametrize(("row", "rules_name"), CASES)
def test_selection(row: dict[str, Any], rules_name: str) -> None:
    expected = row["expect"][rules_name]
    rules = load_rules(rules_name)
    if expected == "parse-error":  # this release refuses the host's platform string
        with pytest.raises(InvalidPlatform):
            select(_index(row), _host(row, rules), rules)
        return
    selection = select(_index(row), _host(row, rules), rules)
    chosen = selection.chosen.position if selection.chosen else None
    if isinstance(expected, list):
        assert list(selection.preference) == expected, [c.reason for c in selection.candidates]
        assert chosen == (expected[0] if expected else None)
    else:
        assert chosen == expected, [c.reason for c in selection.candidates]
    # Every rejected entry says why, every accepted one has a rank.
    for candidate in selection.candidates:
        assert candidate.reason
        assert (candidate.rank is not None) == candidate.match


def test_tables_are_complete() -> None:
    assert len(CASES) >= 150
    ids = [row_id for row_id, _ in ROWS]
    assert len(ids) == len(set(ids)), "duplicate row ids"
    for row_id, row in ROWS:
        assert row.get("source"), f"{row_id} cites no source"
        if not row_id.startswith("releases:"):  # release-boundary rows name releases only
            assert set(RULE_SETS) <= set(row["expect"]), f"{row_id} must expect every rule set"


def test_every_shipped_family_is_tabled() -> None:
    named = {spec.split("@")[0] for _, row in ROWS for spec in row["expect"]}
    families = set(available_rule_sets())
    assert families <= named | {"containerd-1.6"}, families - named
