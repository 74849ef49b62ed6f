"""Where rule sets are: a family by name (``containerd``), a release (``containerd@1.7.20``),
an alias (``containerd-1.6``), or a rule file by path.

Shipped families live in ``planner/_rules`` inside an installed wheel, or in
``rules/`` at the top of a source checkout, one file per family named after it.
A family file may declare ``aliases`` (a name for one of its releases); they are
found by reading the family files, only when a name is not a family's.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from planner.model.errors import InvalidRules
from planner.model.files import path_kind
from planner.model.record import dataclass
from planner.policy.ruleset import DEFAULT_RULES

__all__ = [
    "CLIENTS",
    "Located",
    "available_rule_sets",
    "find_rules",
    "rules_dir",
    "shipped_aliases",
]

_SPEC = re.compile(r"(?P<name>[a-z0-9][a-z0-9._-]*)(?:@(?P<version>[^@\s]+))?")


def rules_dir() -> Path:
    """Directory of the shipped rule sets (wheel first, then source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if (candidate / f"{DEFAULT_RULES}.yaml").is_file():
            return candidate
    raise InvalidRules(f"shipped rule sets not found next to {package} (broken installation)")


CLIENTS = {
    "nerdctl": ("containerd", "it pulls through containerd's library"),
    "ctr": ("containerd", "containerd's own client"),
    "crictl": ("containerd", "on a containerd node; 'cri-o' on a CRI-O one"),
    "kubelet": ("containerd", "through the node's runtime: 'cri-o' on a CRI-O node"),
    "moby": ("docker", "moby is Docker Engine; 'docker-c8d' with the containerd image store"),
    "dockerd": ("docker", "'docker-c8d' with the containerd image store"),
    "buildkit": ("docker", "BuildKit uses the same Linux rules"),
    "oras": ("crane", "go-containerregistry's platform matching"),
    "go-containerregistry": ("crane", "crane is its client"),
    "ggcr": ("crane", "crane is its client"),
    "containers-image": ("podman", "podman, skopeo, buildah and CRI-O share it"),
    "crio": ("cri-o", "the family is spelled cri-o"),
    "regclient": ("regctl", "regctl is its client"),
}
"""Clients people name as a rule set that are not families: the family whose rules they
pull with (the README's rule-set table names them as clients of that family)."""


def available_rule_sets() -> list[str]:
    """Names of the shipped families, sorted (every command's help lists them: read with a
    plain directory listing, as ``glob`` would compile a pattern for it)."""
    with os.scandir(rules_dir()) as entries:
        return sorted(e.name[: -len(".yaml")] for e in entries if e.name.endswith(".yaml"))


@functools.lru_cache(maxsize=1)
def shipped_aliases() -> dict[str, tuple[str, str]]:
    """alias -> (family, release), from the ``aliases`` of every shipped family file."""
    from planner.policy.family import read_family

    return {
        alias: (path.stem, release)
        for path in sorted(rules_dir().glob("*.yaml"))
        for alias, release in read_family(path).aliases.items()
    }


@dataclass(frozen=True)
class Located:
    """A rule-set spec, found: the file, the release asked for, the name to show."""

    path: Path
    release: str | None
    """The release (``1.7.20``) of a family file; None: its newest range."""
    name: str
    """How the rule set is named in output: ``containerd@1.7.20``, ``containerd-1.6``, ``docker``."""


def find_rules(spec: str | Path, base: Path | None = None) -> Located:
    """The file (and release) a rule-set spec names.

    A spec is a path when it has a path separator or ends in ``.yaml``/``.yml``;
    a relative path is taken from ``base`` (a host profile's folder) when given,
    else from the working directory. Otherwise it is ``NAME[@RELEASE]``: a
    shipped family (``containerd``, ``containerd@1.7.20``) or an alias
    (``containerd-1.6``). CLI and host profiles share this one rule.
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
        return Located(path.resolve(), None, text)  # anything but a regular file: the reader says
    match = _SPEC.fullmatch(text)
    name = match.group("name") if match else text
    release = match.group("version") if match else None
    shipped = rules_dir() / f"{name}.yaml"
    if match and path_kind(shipped) == "file":
        return Located(shipped, release, text)
    aliases = shipped_aliases()
    if match and name in aliases and release is None:
        family, aliased = aliases[name]
        return Located(rules_dir() / f"{family}.yaml", aliased, name)
    names = available_rule_sets()
    client = CLIENTS.get(name.lower())
    if client is not None:
        family, why = client
        raise InvalidRules(
            f"unknown rule set {text!r}: {name} pulls with the rules of family {family!r}"
            f" ({why}); name {family!r}, or {family}@RELEASE for its release"
        )
    import difflib  # on a typo only: 1 ms of start-up otherwise

    close = difflib.get_close_matches(name, [*names, *aliases], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InvalidRules(
        f"unknown rule set {text!r}{hint}; available: {', '.join(names)}"
        f" (each as NAME or NAME@RELEASE; aliases: {', '.join(sorted(aliases)) or 'none'};"
        " or give a path to a rule file)"
    )
