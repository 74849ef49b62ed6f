"""Where rule sets are: the shipped ones by name, a rule file by path.

Shipped rule sets live in ``planner/_rules`` inside an installed wheel, or in
``rules/`` at the top of a source checkout.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from planner.model.errors import InvalidRules
from planner.model.files import path_kind
from planner.policy.ruleset import DEFAULT_RULES

__all__ = ["available_rule_sets", "find_rules", "rules_dir"]


def rules_dir() -> Path:
    """Directory of the shipped rule sets (wheel first, then source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if (candidate / f"{DEFAULT_RULES}.yaml").is_file():
            return candidate
    raise InvalidRules(f"shipped rule sets not found next to {package} (broken installation)")


def available_rule_sets() -> list[str]:
    """Names of the shipped rule sets, sorted."""
    return sorted(p.stem for p in rules_dir().glob("*.yaml"))


def find_rules(spec: str | Path, base: Path | None = None) -> Path:
    """The file a rule-set spec names: a shipped name (``docker``) or a path.

    A spec is a path when it has a path separator or ends in ``.yaml``/``.yml``;
    a relative path is taken from ``base`` (a host profile's folder) when given,
    else from the working directory. CLI and host profiles share this one rule.
    """
    if not isinstance(spec, (str, Path)):
        raise InvalidRules(f"a rule set is named by a string or a path, not {type(spec).__name__}")
    text = str(spec)
    if isinstance(spec, Path) or any(c in text for c in "/\\") or text.endswith((".yaml", ".yml")):
        path = Path(text).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        if path_kind(path) == "missing":
            raise InvalidRules(f"rule file {text!r} not found")
        return path.resolve()  # anything but a regular file is refused by the reader
    shipped = rules_dir() / f"{text}.yaml"
    if path_kind(shipped) != "file":
        names = available_rule_sets()
        close = difflib.get_close_matches(text, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidRules(
            f"unknown rule set {text!r}{hint}; available: {', '.join(names)}"
            " (or give a path to a rule file)"
        )
    return shipped
