"""What each CLI command does, given parsed arguments (see :mod:`planner.cli`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.cli import EXIT_NO_MATCH, EXIT_OK, build_host, registry_options
from planner.errors import InvalidInput, NoCompatibleImage, SourceError
from planner.platform import Platform

if TYPE_CHECKING:
    from planner.profiles import HostProfile
    from planner.registry import RegistryOptions

__all__ = ["run_check", "run_plan", "run_resolve", "run_rules", "run_schema"]


def _registry(args: argparse.Namespace, *sources: str) -> RegistryOptions | None:
    from planner.sources.sourceset import is_registry_spec

    if not any(is_registry_spec(s) for s in sources):
        return None
    return registry_options(args, reads_stdin="-" in sources)


def _report(warnings: Sequence[str], stats_line: str | None, prefix: str = "") -> None:
    for warning in warnings:
        print(f"pull-planner: warning: {prefix}{warning}", file=sys.stderr)
    if stats_line is not None:
        print(f"pull-planner: stats: {stats_line}", file=sys.stderr)


def _dump(data: dict[str, Any], fmt: str) -> None:
    from planner.render import dump

    sys.stdout.write(dump(data, fmt))


def _fleet_hosts(args: argparse.Namespace) -> list[HostProfile] | None:
    """Hosts of --hosts (filtered by --host/--select), or None in single-host mode."""
    single = [
        flag
        for flag, value in (
            ("--platform", getattr(args, "platform", None)),
            ("--os-version", getattr(args, "os_version", None)),
            ("--os-feature", getattr(args, "os_feature", None)),
            ("--rules", getattr(args, "rules", None)),
        )
        if value
    ]
    if args.hosts is None:
        if args.host or args.select:
            raise InvalidInput("--host and --select need --hosts FILE")
        if not getattr(args, "platform", None):
            raise InvalidInput("give the host: --platform os/arch[/variant], or --hosts FILE")
        return None
    if single:
        raise InvalidInput(f"{single[0]} and --hosts do not mix: describe hosts in the profile")
    from planner.profiles import load_hosts, select_hosts

    return select_hosts(load_hosts(Path(args.hosts)), args.host, args.select)


class _Progress:
    """A progress line on stderr, only on a terminal and only once the work takes a moment."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < 0.5:
            return
        sys.stderr.write(f"\rpull-planner: {stage} {done}/{total}\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _run_fleet(
    args: argparse.Namespace, images: list[str], hosts: list[HostProfile], *, plans: bool
) -> Any:
    from planner.fleet import parse_allowances, run_fleet

    allow = parse_allowances(getattr(args, "allow_missing", []), hosts, images)
    have = tuple(getattr(args, "have", ()))
    if have:
        hosts = [dataclasses.replace(h, have=h.have + have) for h in hosts]
    present: set[str] = set()
    for path in getattr(args, "have_digests", ()):
        from planner.planning import read_digest_file

        present |= read_digest_file(Path(path))
    progress = _Progress()
    try:
        return run_fleet(
            images,
            hosts,
            registry=_registry(args, *images, *(s for h in hosts for s in h.have)),
            allow=allow,
            plans=plans,
            present=present,
            locations=getattr(args, "locations", False),
            bandwidth=_bandwidth(args),
            progress=progress,
        )
    finally:
        progress.clear()


def _bandwidth(args: argparse.Namespace) -> float | None:
    from planner.units import parse_bandwidth

    value = getattr(args, "bandwidth", None)
    return parse_bandwidth(value) if value is not None else None


def _finish_fleet(args: argparse.Namespace, report: Any) -> int:
    """Warnings per host, stats, and exit 1 naming each host that has no image."""
    for pair in report.pairs:
        warnings = pair.plan.warnings if pair.plan else pair.resolution.warnings
        _report(warnings, None, f"{pair.host.name}: ")
    _report((), report.stats.summary() if args.stats else None)
    missing = [p for p in report.pairs if p.resolution.selected is None]
    for pair in missing:
        print(f"pull-planner: error: {pair.host.name}: {pair.problem}", file=sys.stderr)
    return EXIT_NO_MATCH if missing else EXIT_OK


# --------------------------------------------------------------------------- resolve


def run_resolve(args: argparse.Namespace) -> int:
    from planner.render import resolution_text
    from planner.resolution import resolve
    from planner.rulesets import DEFAULT_RULES, load_rules

    hosts = _fleet_hosts(args)
    if hosts is not None:
        return _resolve_fleet(args, hosts)
    host = build_host(args.platform, args.os_version, args.os_feature)
    rules = load_rules(args.rules or DEFAULT_RULES)
    result = resolve(args.source, host, rules, registry=_registry(args, args.source))
    if args.format == "text":
        sys.stdout.write(resolution_text(result))
    else:
        _dump(result.to_dict(), args.format)
    _report(result.warnings, result.stats.summary() if args.stats else None)
    if result.selected is None:
        offered = ", ".join(result.offered()) or "no entries"
        raise NoCompatibleImage(
            f"no image in {result.source} runs on {host.describe()} under rules {rules.name};"
            f" it offers: {offered}"
        )
    return EXIT_OK


def _resolve_fleet(args: argparse.Namespace, hosts: list[HostProfile]) -> int:
    from planner.render import resolution_text

    report = _run_fleet(args, [args.source], hosts, plans=False)
    if args.format == "text":
        blocks = [f"== {p.host.name}\n{resolution_text(p.resolution)}" for p in report.pairs]
        sys.stdout.write("\n".join(blocks))
    else:
        _dump(
            {
                "source": args.source,
                "results": [
                    {"host_name": p.host.name, **p.resolution.to_dict()} for p in report.pairs
                ],
                "stats": report.stats.to_dict(),
            },
            args.format,
        )
    return _finish_fleet(args, report)


# --------------------------------------------------------------------------- plan


def run_plan(args: argparse.Namespace) -> int:
    from planner.planning import plan, read_digest_file
    from planner.render import plan_text
    from planner.rulesets import DEFAULT_RULES, load_rules

    if "-" in args.have:
        raise InvalidInput("--have - is not supported: standard input holds at most one document")
    hosts = _fleet_hosts(args)
    if hosts is not None:
        return _plan_fleet(args, hosts)
    host = build_host(args.platform, args.os_version, args.os_feature)
    rules = load_rules(args.rules or DEFAULT_RULES)
    present: set[str] = set()
    for path in args.have_digests:
        present |= read_digest_file(Path(path))
    result = plan(
        args.source,
        host,
        rules,
        have=args.have,
        have_digests=present,
        locations=args.locations,
        bandwidth=_bandwidth(args),
        registry=_registry(args, args.source, *args.have),
    )
    if args.format == "text":
        sys.stdout.write(plan_text(result))
    else:
        _dump(result.to_dict(), args.format)
    _report(result.warnings, result.stats.summary() if args.stats else None)
    return EXIT_OK


def _plan_fleet(args: argparse.Namespace, hosts: list[HostProfile]) -> int:
    from planner.render import plan_text
    from planner.render_fleet import fleet_footer

    report = _run_fleet(args, [args.source], hosts, plans=True)
    if args.format == "text":
        blocks = [f"== {p.host.name}\n{plan_text(p.plan)}" for p in report.pairs if p.plan]
        sys.stdout.write("\n".join(blocks) + "\n" + "\n".join(fleet_footer(report)) + "\n")
    else:
        _dump(
            {
                "source": args.source,
                "plans": [
                    {"host_name": p.host.name, **p.plan.to_dict()} for p in report.pairs if p.plan
                ],
                "fleet": report.fleet_dict(),
                "stats": report.stats.to_dict(),
            },
            args.format,
        )
    return _finish_fleet(args, report)


# --------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    from planner.render_fleet import fleet_junit, fleet_markdown, fleet_text

    if "-" in args.images:
        raise InvalidInput(
            "check reads each IMAGE by reference, file or layout; - is not supported"
        )
    hosts = _fleet_hosts(args)
    assert hosts is not None
    report = _run_fleet(args, list(dict.fromkeys(args.images)), hosts, plans=not args.no_plan)
    if args.format == "text":
        sys.stdout.write(fleet_text(report))
    elif args.format == "markdown":
        sys.stdout.write(fleet_markdown(report))
    elif args.format == "junit":
        sys.stdout.write(fleet_junit(report))
    else:
        _dump(report.to_dict(), args.format)
    for path, render in ((args.junit, fleet_junit), (args.markdown, fleet_markdown)):
        if path:
            try:
                Path(path).write_text(render(report), encoding="utf-8")
            except OSError as exc:
                raise SourceError(f"cannot write {path}: {exc.strerror or exc}") from None
    _report((), report.stats.summary() if args.stats else None)
    if report.failures:
        print(
            f"pull-planner: error: {len(report.failures)} of {len(report.pairs)} checks failed",
            file=sys.stderr,
        )
        return EXIT_NO_MATCH
    return EXIT_OK


# --------------------------------------------------------------------------- rules, schema


def run_rules(args: argparse.Namespace) -> int:
    from planner.rulesets import available_rule_sets, load_rules

    if args.name is None:
        if args.platform:
            raise InvalidInput("--platform needs a rule set NAME")
        for name in available_rule_sets():
            print(f"{name:16} {load_rules(name).summary}")
        return EXIT_OK
    rules = load_rules(args.name)
    if args.platform is None:
        print(f"{rules.name}: {rules.summary}")
        print(f"file     {rules.path}")
        if rules.clients:
            print(f"clients  {rules.clients}")
        for source in rules.sources:
            print(f"source   {source}")
        return EXIT_OK
    host = rules.host_normalizer(Platform.parse(args.platform))
    runs = rules.vector(host)
    print(f"a {host.format()} host runs, most preferred first ({rules.name}):")
    for rank, (arch, variant) in enumerate(runs):
        print(f"  {rank}  {host.os}/{arch}{'/' + variant if variant else ''}")
    if not runs:
        print("  nothing")
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    from planner.profiles import HOSTS_SCHEMA

    print(json.dumps(HOSTS_SCHEMA, indent=2))
    return EXIT_OK
