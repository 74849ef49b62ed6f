"""Rule families: one client's rules for every release range, written as differences.

A family file holds the rules of its oldest release range at the top level,
``releases`` (that range, as a version specifier), and ``ranges``: each later
range names its ``releases``, a one-line ``summary``, the ``source`` of the
change (commit, file, function) and ``set``, only the keys that changed. A
range's rules are the previous range's with ``set`` merged in: mappings are
merged key by key, anything else (lists, strings) is replaced, and ``null``
removes a key. ``aliases`` names single releases (``containerd-1.6: 1.6.39``).
``builds`` are distributions' builds of some releases that select differently
from upstream (Debian's ``docker.io`` 20.10): a release written with the
build's version suffix (``docker@20.10.24+dfsg1``, as ``docker info`` reports
it) takes its range's rules with the build's ``set`` merged in.

A rule file without ``ranges`` is a family of one range.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from planner.model.errors import InvalidRules
from planner.model.record import dataclass
from planner.model.yamlfile import Checker, MarkedList, MarkedMap, load_file

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

__all__ = ["FAMILY_KEYS", "Build", "Family", "Range", "merge", "read_family", "split_release"]

FAMILY_KEYS = ("releases", "ranges", "aliases", "builds")
"""Top-level keys of a family file that are not rules themselves."""

_RELEASE = re.compile(r"(?P<number>\d+(?:\.\d+){1,2})(?P<suffix>[-+~].*)?", re.ASCII)


def split_release(release: str) -> tuple[str, str]:
    """``("20.10.24", "+dfsg1")`` from ``20.10.24+dfsg1``; the suffix is '' when none.

    A text that is not ``MAJOR.MINOR[.PATCH]`` with a ``-``, ``+`` or ``~`` suffix
    is returned whole, as the number (the caller reports it)."""
    match = _RELEASE.fullmatch(release)
    if match is None:
        return release, ""
    return match.group("number"), match.group("suffix") or ""


@dataclass(frozen=True)
class Range:
    """One release range of a family: its specifier and its full (merged) rule data."""

    text: str
    """The specifier as written (``>=1.7.19,<2.0.0``); '' for a file without ranges."""
    summary: str
    source: str
    data: MarkedMap
    """The rule keys of this range, every previous range's changes merged in."""

    @functools.cached_property
    def releases(self) -> SpecifierSet:
        """``text`` read (packaging is imported only when a release is looked up)."""
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(self.text)


@dataclass(frozen=True)
class Build:
    """A distribution's build of some releases (``builds`` in a family file)."""

    suffix: str
    """The version suffix that names the build, matched as a prefix (``+dfsg``: ``+dfsg1``)."""
    text: str
    """The releases it covers, a version specifier as written."""
    summary: str
    source: str
    change: MarkedMap
    """The rule keys the build changes, merged into its range's rules."""

    @functools.cached_property
    def releases(self) -> SpecifierSet:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(self.text)

    def names(self, number: str, suffix: str) -> bool:
        """Whether ``number`` with ``suffix`` is this build."""
        return bool(self.suffix) and suffix.startswith(self.suffix) and number in self.releases


@dataclass(frozen=True)
class Family:
    """A family file, read: its ranges oldest first, and its aliases."""

    path: Path
    name: str
    ranges: tuple[Range, ...]
    aliases: dict[str, str]
    builds: tuple[Build, ...] = ()

    def build_of(self, release: str | None) -> int | None:
        """The build a release names by its suffix (``20.10.24+dfsg1``), None for upstream."""
        if release is None:
            return None
        number, suffix = split_release(release)
        for index, build in enumerate(self.builds):
            if suffix and build.names(number, suffix):
                return index
        return None

    def pick(self, release: str | None) -> tuple[int, Range]:
        """The range a release falls in (the newest when ``release`` is None); a build suffix
        (``+dfsg1``, ``-0ubuntu4``) does not change the range."""
        if release is None:
            return len(self.ranges) - 1, self.ranges[-1]
        release = split_release(release)[0]
        from packaging.version import InvalidVersion, Version

        try:
            version = Version(release)
        except InvalidVersion:
            raise InvalidRules(
                f"{self.name}@{release}: {release!r} is not a release number such as 1.7.20"
            ) from None
        for index, candidate in enumerate(self.ranges):
            if candidate.text and version in candidate.releases:
                return index, candidate
        known = "; ".join(r.text for r in self.ranges if r.text) or "none"
        raise InvalidRules(
            f"{self.name}@{release}: no rules for release {release}; the known release"
            f" ranges are {known}"
        )


def merge(base: MarkedMap, change: MarkedMap) -> MarkedMap:
    """``base`` with ``change`` merged in, keeping each key's position in its own file.

    Mappings are merged key by key, other values replaced, ``null`` removes a key (a
    range's ``set``, and a ``local.changes`` item's).
    """
    out = MarkedMap(base)
    out.line, out.column = base.line, base.column
    out.key_lines, out.key_columns = dict(base.key_lines), dict(base.key_columns)
    for key, value in change.items():
        if value is None:
            out.pop(key, None)
            continue
        old = out.get(key)
        out[key] = (
            merge(old, value)
            if isinstance(old, MarkedMap) and isinstance(value, MarkedMap)
            else value
        )
        out.key_lines[key] = change.line_of(key)
        out.key_columns[key] = change.column_of(key)
    return out


def _specifier(check: Checker, node: MarkedMap, where: str, *, checked: bool) -> str:
    """``releases``: a version specifier (``checked``: the pre-parsed data of a shipped
    file, whose every specifier was read when it was made)."""
    text = check.string(node, "releases", where, non_empty=True)
    if checked:
        return text
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(text)
        return text
    except InvalidSpecifier:
        raise check.fail(
            node,
            "releases",
            where,
            f"{text!r} is not a version specifier such as '>=1.7.19,<2.0.0'",
        ) from None


@functools.lru_cache(maxsize=32)
def read_family(path: Path) -> Family:
    """Read a rule file as a family of ranges (not yet validated as rules: the loader does)."""
    check = Checker(path, InvalidRules)
    from planner.policy.precompiled import compiled_tree

    tree = compiled_tree(path)
    checked = tree is not None
    top = check.table(load_file(path, InvalidRules) if tree is None else tree, "", key=None)
    base = MarkedMap({k: v for k, v in top.items() if k not in FAMILY_KEYS})
    base.line, base.column = top.line, top.column
    base.key_lines, base.key_columns = dict(top.key_lines), dict(top.key_columns)
    summary = top.get("summary") if isinstance(top.get("summary"), str) else ""
    if "releases" not in top:
        if "ranges" in top:
            raise check.fail(top, "ranges", "ranges", "needs 'releases' for the oldest range too")
        ranges = [Range("", str(summary), "", base)]
    else:
        text = _specifier(check, top, "releases", checked=checked)
        ranges = [Range(text, str(summary), "", base)]
        items = top.get("ranges", MarkedList())
        if not isinstance(items, MarkedList):
            raise check.fail(top, "ranges", "ranges", "must be a list of release ranges")
        for i, item in enumerate(items):
            where = f"ranges[{i}]"
            node = check.mapping(
                item,
                where,
                required=("releases", "summary", "source"),
                optional=("set",),
                parent=items,
                key=i,
            )
            text = _specifier(check, node, f"{where}.releases", checked=checked)
            change = check.table(
                node.get("set", MarkedMap()), f"{where}.set", parent=node, key="set"
            )
            data = merge(ranges[-1].data, change)
            range_summary = check.string(node, "summary", f"{where}.summary", non_empty=True)
            data["summary"] = range_summary
            ranges.append(
                Range(text, range_summary, check.string(node, "source", f"{where}.source"), data)
            )
    builds = _builds(check, top, checked)
    aliases: dict[str, str] = {}
    if "aliases" in top:
        for alias, release in check.str_map(
            top["aliases"], "aliases", parent=top, key="aliases"
        ).items():
            aliases[alias] = release
    return Family(path, path.stem, tuple(ranges), aliases, builds)


def _builds(check: Checker, top: MarkedMap, checked: bool) -> tuple[Build, ...]:
    items = top.get("builds", MarkedList())
    if not isinstance(items, MarkedList):
        raise check.fail(top, "builds", "builds", "must be a list of distribution builds")
    builds = []
    for i, item in enumerate(items):
        where = f"builds[{i}]"
        node = check.mapping(
            item,
            where,
            required=("suffix", "releases", "summary", "source"),
            optional=("set",),
            parent=items,
            key=i,
        )
        suffix = check.string(node, "suffix", f"{where}.suffix", non_empty=True)
        if suffix[0] not in "-+~":
            raise check.fail(
                node, "suffix", f"{where}.suffix", f"{suffix!r} must start with '-', '+' or '~'"
            )
        text = _specifier(check, node, f"{where}.releases", checked=checked)
        change = check.table(node.get("set", MarkedMap()), f"{where}.set", parent=node, key="set")
        summary = check.string(node, "summary", f"{where}.summary", non_empty=True)
        source = check.string(node, "source", f"{where}.source", non_empty=True)
        builds.append(Build(suffix, text, summary, source, change))
    return tuple(builds)
