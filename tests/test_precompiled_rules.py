"""The shipped rule files' pre-parsed data (planner/policy/compiled/) is that of rules/*.yaml as they are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from planner.model.errors import InvalidRules
from planner.model.yamlfile import load_file
from planner.policy.catalog import rules_dir
from planner.policy.compile_rules import COMMAND, render
from planner.policy.precompiled import compiled_dir, compiled_tree

STALE = f"the pre-parsed rules are stale: run `{COMMAND}` and commit planner/policy/compiled/"


def test_every_rule_file_has_fresh_data() -> None:
    sources = {path.stem: path for path in rules_dir().glob("*.yaml")}
    stored = {path.stem: path for path in compiled_dir().glob("*.json")}
    assert sorted(stored) == sorted(sources), STALE
    for name, path in sources.items():
        assert stored[name].read_text(encoding="utf-8") == render(path), f"{name}: {STALE}"


@pytest.mark.parametrize("path", sorted(rules_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_the_data_is_the_parsed_file(path: Path) -> None:
    tree, parsed = compiled_tree(path), load_file(path, InvalidRules)
    assert tree == parsed

    def positions(node: object) -> object:
        if isinstance(node, dict):
            return [(k, node.line_of(k), node.column_of(k), positions(v)) for k, v in node.items()]  # type: ignore[attr-defined]
        if isinstance(node, list):
            return [(node.line_of(i), node.column_of(i), positions(v)) for i, v in enumerate(node)]  # type: ignore[attr-defined]
        return node

    assert positions(tree) == positions(parsed)


def test_an_edited_file_is_read_as_yaml(tmp_path: Path) -> None:
    edited = tmp_path / "docker.yaml"
    edited.write_bytes((rules_dir() / "docker.yaml").read_bytes() + b"\n# edited\n")
    assert compiled_tree(edited) is None
    same = tmp_path / "crane.yaml"
    same.write_bytes((rules_dir() / "crane.yaml").read_bytes())
    assert compiled_tree(same) == load_file(same, InvalidRules)


def test_reading_shipped_rules_imports_no_yaml_parser() -> None:
    import subprocess

    def imported(spec: str) -> str:
        code = (
            f"import sys; from planner.policy.loader import load_rules; load_rules({spec!r});"
            " print(sorted({m.split('.')[0] for m in sys.modules} & {'yaml', 'packaging'}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert imported("docker") == "[]"
    assert imported("containerd-1.6") == "['packaging']"  # a release is looked up in the ranges
