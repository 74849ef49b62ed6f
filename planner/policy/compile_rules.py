"""Make the shipped rule files' pre-parsed data again (:mod:`planner.policy.precompiled`)::

    python -m planner.policy.compile_rules

Run it after editing or adding ``rules/*.yaml`` (a test fails until it is run;
after a merge that touched rule files, run it again rather than merging the
generated files by hand). Each file is first read in full, every range
validated, so only valid rules are pre-parsed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from planner.model.errors import InvalidRules
from planner.policy.catalog import rules_dir
from planner.policy.family import read_family
from planner.policy.loader import read_rule_file
from planner.policy.precompiled import compiled_dir, decode, digest, encode

__all__ = ["COMMAND", "render", "write_all"]

COMMAND = "python -m planner.policy.compile_rules"
"""The one command that makes the data again (the staleness test names it)."""


def render(path: Path) -> str:
    """The pre-parsed data of one rule file, as written to ``compiled/NAME.json``."""
    from planner.model.yamlfile import load_file

    source = path.read_bytes()
    tree = load_file(path, InvalidRules)
    encoded = encode(tree)
    if decode(json.loads(json.dumps(encoded))) != tree:
        raise ValueError(f"{path}: does not survive JSON")
    document = {"source": f"rules/{path.name}", "fingerprint": digest(source), "tree": encoded}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_all() -> list[Path]:
    """Make every rule file's data again (and drop data whose file is gone); each file is
    first read in full (every range), so only valid rules are pre-parsed."""
    out = compiled_dir()
    out.mkdir(exist_ok=True)
    sources = sorted(rules_dir().glob("*.yaml"))
    written = []
    for path in sources:
        family = read_family.__wrapped__(path)
        for index in range(len(family.ranges)):
            read_rule_file.__wrapped__(path, index)
        target = out / f"{path.stem}.json"
        target.write_text(render(path), encoding="utf-8")
        written.append(target)
    for stale in out.glob("*.json"):
        if stale not in written:
            stale.unlink()
    return written


def main() -> int:
    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
