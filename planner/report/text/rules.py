"""Rule sets as text (``pull-planner rules``): every family with its release ranges, one
rule set's description, and what a host runs under it; every line fitted to the width."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.report.layout import safe, wrap

if TYPE_CHECKING:
    from planner.policy.family import Family
    from planner.policy.ruleset import RuleSet
    from planner.select.host import HostView

__all__ = ["families_text", "host_runs_text", "rule_set_text"]


def families_text(
    families: Sequence[tuple[str, Family]], aliases: dict[str, tuple[str, str]], width: int = 80
) -> str:
    """Each family's newest summary, then each of its ranges (specifier, summary)."""
    lines: list[str] = []
    for name, family in families:
        lines += wrap(safe(family.ranges[-1].summary), width, " " * 13, f"{name:12} ")
        for release_range in family.ranges:
            label = f"  {release_range.text or 'any release':22} "
            if len(label) > width // 2:  # a long specifier: its summary under it
                lines += [
                    label.rstrip(),
                    *wrap(safe(release_range.summary), width, " " * 6, " " * 6),
                ]
            else:
                lines += wrap(safe(release_range.summary), width, " " * len(label), label)
    listed = ", ".join(f"{a} = {f}@{r}" for a, (f, r) in sorted(aliases.items()))
    lines += wrap(listed or "none", width, " " * 13, "aliases      ")
    return "\n".join(lines) + "\n"


def rule_set_text(rules: RuleSet, width: int = 80) -> str:
    """One rule set: its name and summary, releases, the change it starts, file, clients, sources."""
    lines = wrap(safe(rules.summary), width, "    ", f"{rules.name}: ")
    fields = [
        ("releases", rules.releases),
        ("changed", rules.range_source),
        ("file", str(rules.path)),
        ("clients", rules.clients),
        *(("source", source) for source in rules.sources),
    ]
    for label, value in fields:
        if value:
            lines += wrap(safe(value), width, " " * 9, f"{label:8} ")
    return "\n".join(lines) + "\n"


def host_runs_text(view: HostView, rules: RuleSet, width: int = 80) -> str:
    """What a host runs under ``rules``, most preferred first, and the Windows builds it takes."""
    lines = wrap(
        f"a {safe(view.host.describe())} host runs, most preferred first ({rules.name}):",
        width,
        "  ",
    )
    lines += [f"  {rank}  {view.norm.os}/{entry}" for rank, entry in enumerate(view.runs)]
    if not view.runs:
        lines.append("  nothing")
    if view.is_windows:
        lines += wrap(_windows_builds(view, rules), width, "    ", "windows builds: ")
    return "\n".join(lines) + "\n"


def _windows_builds(view: HostView, rules: RuleSet) -> str:
    """Which Windows builds the host takes, and how ties are broken, in one line."""
    ties = ", ".join(view.order) or "list order"
    if view.strategy == "any-build":
        return f"every build (the host gives no os.version); ties: {ties}"
    host = view.windows_version
    if view.strategy == "docker-classic" and host is not None:
        return (
            f"any build up to {host.build}, the host's own first, then list order"
            " (older builds need Hyper-V isolation)"
        )
    abi = rules.windows.stable_abi
    if view.strategy == "stable-abi" and host is not None and abi is not None:
        low, high = abi.window(host)
        span = f"{low}" if low == high else f"{low}-{high}"
        return f"{span} (major.minor {host.major}.{host.minor}); ties: {ties}"
    return "os.version is not compared"
