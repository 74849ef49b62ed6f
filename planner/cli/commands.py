"""What each command does, given parsed arguments; :data:`planner.cli.main.COMMANDS` calls them."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from planner.cli import options
from planner.cli.output import (
    Progress,
    dump,
    error,
    report,
    rollout_refused,
    write,
    write_report,
)
from planner.cli.status import EXIT_NO_MATCH, EXIT_OK
from planner.model.errors import InvalidInput
from planner.model.record import replace
from planner.report.layout import Style, terminal_width

if TYPE_CHECKING:
    from planner.app.fleet import FleetReport, PairResult
    from planner.app.plan import Plan
    from planner.app.resolve import Resolution
    from planner.hosts.profiles import HostProfile
    from planner.model.platform import Platform
    from planner.policy.ruleset import RuleSet

__all__ = [
    "run_check",
    "run_compare",
    "run_host",
    "run_plan",
    "run_resolve",
    "run_rules",
    "run_schema",
]


def _run_fleet(
    args: argparse.Namespace, images: list[str], hosts: list[HostProfile], *, plans: bool
) -> FleetReport:
    from planner.app.fleet import run_fleet

    verify = getattr(args, "verify", False)
    if verify and not plans:
        raise InvalidInput("--verify needs plans (the blobs each pull fetches): drop --no-plan")

    options.check_upstream(args, hosts)
    progress = Progress()
    try:
        return run_fleet(
            images,
            hosts,
            registry=options.registry_for(args, *images, have=[s for h in hosts for s in h.have]),
            allow=options.allowances(getattr(args, "allow_missing", []), hosts, images),
            plans=plans,
            present=options.present_digests(args),
            locations=getattr(args, "locations", False),
            bandwidth=options.bandwidth(args),
            progress=progress,
            upstream=getattr(args, "upstream", False),
            verify=verify,
        )
    finally:
        progress.clear()


def _finish_fleet(args: argparse.Namespace, fleet: FleetReport) -> int:
    """Warnings per host, stats, and exit 1 naming each host that has no image."""
    for pair in fleet.pairs:
        report(pair.warnings, None, f"{pair.host.name}: ")
    report((), fleet.stats.summary() if args.stats else None)
    failed = [p for p in fleet.pairs if p.status in ("no-image", "will-not-run", "broken")]
    for pair in failed:
        error(f"{pair.host.name}: {pair.problem}")
    return EXIT_NO_MATCH if failed else EXIT_OK


# --------------------------------------------------------------------------- resolve


def run_resolve(args: argparse.Namespace) -> int:
    """``pull-planner resolve SOURCE``: which entry the host pulls, every verdict."""
    from planner.app.resolve import resolve

    hosts = options.fleet_hosts(args)
    if hosts is not None:
        return _resolve_fleet(args, hosts)
    if args.verify:  # the host's pull planned, and its blobs asked for: one fleet pair
        pair, fleet = _one_host(args, options.check_hosts(args)[0])
        return _show_resolution(args, pair.resolution, pair, fleet)
    routed = options.routed_host(args)
    if routed is not None:
        from planner.app.route import resolve_host

        result = resolve_host(
            args.source,
            routed,
            registry=options.registry_for(args, args.source),
            compare=args.upstream,
        )
    else:
        options.check_upstream(args, [])
        rules = options.rules_option(args)
        result = resolve(
            args.source,
            options.single_host(args, rules),
            rules,
            registry=options.registry_for(args, args.source),
        )
    return _show_resolution(args, result)


def _one_host(args: argparse.Namespace, host: HostProfile) -> tuple[PairResult, FleetReport]:
    """SOURCE for one host through the fleet's path (``--verify``, a routed ``plan``): the
    answer a fleet gives that host, shown by ``resolve`` and ``plan`` as their own."""
    host = replace(host, have=tuple(getattr(args, "have", ()) or host.have))
    fleet = _run_fleet(args, [args.source], [host], plans=True)
    return fleet.pairs[0], fleet


def _broken(pair: PairResult | None) -> int | None:
    """Exit 1 with the pair's problem when ``--verify`` found its pull would fail."""
    if pair is not None and pair.status == "broken":
        error(pair.problem)
        return EXIT_NO_MATCH
    return None


def _show_resolution(
    args: argparse.Namespace,
    result: Resolution,
    pair: PairResult | None = None,
    fleet: FleetReport | None = None,
) -> int:
    """One host's resolution, in ``resolve``'s own shape (with ``verification`` when the run
    verified), its warnings, stats and exit status."""
    from planner.report.text.answers import resolution_text, verification_text

    verified = pair is not None and fleet is not None and fleet.verified
    if args.quiet:
        write(f"{result.selected.digest}\n" if result.selected is not None else "")
    elif args.format == "text":
        width = terminal_width()
        text = resolution_text(result, width, Style())
        if pair is not None and verified:
            text += verification_text(pair.verifications, True, width)
        write(text)
    else:
        extra = _verification(pair, fleet) if pair is not None and fleet is not None else {}
        write(dump({**result.to_dict(), **extra}, args.format))
    stats = fleet.stats if fleet is not None else result.stats
    report(result.warnings, stats.summary() if args.stats else None)
    if result.selected is None:
        raise result.no_image_error()
    broken = _broken(pair)
    return broken if broken is not None else _runs(result.problem)


def _verification(pair: PairResult, fleet: FleetReport) -> dict[str, object]:
    """The pair's ``verification`` entries, when the run verified (for resolve and plan JSON)."""
    if not fleet.verified:
        return {}
    return {"status": pair.status, "verification": [v.to_dict() for v in pair.verifications]}


def _resolve_fleet(args: argparse.Namespace, hosts: list[HostProfile]) -> int:
    from planner.report.text.answers import resolution_text, verification_text

    fleet = _run_fleet(args, [args.source], hosts, plans=args.verify)
    if args.quiet:  # one "HOST DIGEST" line per host that has an image
        write(
            "".join(
                f"{p.host.name} {p.resolution.selected.digest}\n"
                for p in fleet.pairs
                if p.resolution.selected
            )
        )
    elif args.format == "text":
        width, style = terminal_width(), Style()
        write(
            "\n".join(
                f"== {p.host.name}\n{resolution_text(p.resolution, width, style)}"
                + verification_text(p.verifications, fleet.verified, width)
                for p in fleet.pairs
            )
        )
    else:
        results = [
            {"host_name": p.host.name, **p.resolution.to_dict(), **_verification(p, fleet)}
            for p in fleet.pairs
        ]
        write(
            dump(
                {"source": args.source, "results": results, "stats": fleet.stats.to_dict()},
                args.format,
            )
        )
    return _finish_fleet(args, fleet)


# --------------------------------------------------------------------------- plan


def run_plan(args: argparse.Namespace) -> int:
    """``pull-planner plan SOURCE``: the ordered download plan and its totals."""
    from planner.app.plan import plan

    if "-" in args.have:
        raise InvalidInput("--have - is not supported: standard input holds at most one document")
    if args.locations:
        from planner.sources import is_registry_spec

        if not is_registry_spec(args.source):
            raise InvalidInput(f"--locations needs a registry SOURCE; {args.source} is not one")
    hosts = options.fleet_hosts(args)
    if hosts is not None:
        return _plan_fleet(args, hosts)
    routed = options.routed_host(args)
    if args.verify or routed is not None:  # as one host of a fleet: its pull at its endpoint
        pair, fleet = _one_host(args, routed or options.check_hosts(args)[0])
        if pair.plan is None:
            if pair.resolution.selected is None:
                raise pair.resolution.no_image_error()
            return _broken(pair) or EXIT_NO_MATCH
        return _show_plan(args, pair.plan, pair, fleet)
    rules = options.rules_option(args)
    result = plan(
        args.source,
        options.single_host(args, rules),
        rules,
        have=args.have,
        have_digests=options.present_digests(args),
        locations=args.locations,
        bandwidth=options.bandwidth(args),
        registry=options.registry_for(args, args.source, have=args.have),
    )
    return _show_plan(args, result)


def _show_plan(
    args: argparse.Namespace,
    result: Plan,
    pair: PairResult | None = None,
    fleet: FleetReport | None = None,
) -> int:
    """One host's plan, in ``plan``'s own shape (with ``verification`` when the run
    verified), its warnings, stats and exit status."""
    from planner.report.text.answers import plan_text, verification_text

    verified = pair is not None and fleet is not None and fleet.verified
    if args.quiet:
        write("".join(f"{digest}\n" for digest in result.downloads()))
    elif args.format == "text":
        width = terminal_width()
        text = plan_text(result, width)
        if pair is not None and verified:
            text += verification_text(pair.verifications, True, width)
        write(text)
    else:
        extra = _verification(pair, fleet) if pair is not None and fleet is not None else {}
        write(dump({**result.to_dict(), **extra}, args.format))
    stats = fleet.stats if fleet is not None else result.stats
    report(result.warnings, stats.summary() if args.stats else None)
    broken = _broken(pair)
    return broken if broken is not None else _runs(result.resolution.problem)


def _runs(problem: str) -> int:
    """Exit 1 when the pick will not run here (a single image for another platform, a
    Windows build the isolation cannot run), as when there is no compatible image."""
    if problem:
        error(f"the pick will not run on this host: {problem}")
        return EXIT_NO_MATCH
    return EXIT_OK


def _plan_fleet(args: argparse.Namespace, hosts: list[HostProfile]) -> int:
    from planner.report.rows import fleet_footer
    from planner.report.text.answers import plan_text, verification_text

    fleet = _run_fleet(args, [args.source], hosts, plans=True)
    if args.quiet:  # one "HOST DIGEST" line per blob each host downloads
        write(
            "".join(
                f"{p.host.name} {digest}\n"
                for p in fleet.pairs
                if p.plan
                for digest in p.plan.downloads()
            )
        )
    elif args.format == "text":
        width = terminal_width()
        blocks = [
            f"== {p.host.name}\n"
            + (plan_text(p.plan, width) if p.plan else f"{p.problem}\n")
            + verification_text(p.verifications, fleet.verified, width)
            for p in fleet.pairs
            if p.plan or p.status == "broken"
        ]
        write("\n".join(blocks) + "\n" + "\n".join(fleet_footer(fleet)) + "\n")
    else:
        plans = [
            {"host_name": p.host.name, **p.plan.to_dict(), **_verification(p, fleet)}
            for p in fleet.pairs
            if p.plan
        ]
        broken = [
            {"host_name": p.host.name, "source": args.source, **_verification(p, fleet)}
            for p in fleet.pairs
            if p.plan is None and p.status == "broken"
        ]
        data = {
            "source": args.source,
            "plans": plans,
            **({"broken": broken} if broken else {}),
            "fleet": fleet.fleet_dict(),
            "stats": fleet.stats.to_dict(),
        }
        write(dump(data, args.format))
    return _finish_fleet(args, fleet)


# --------------------------------------------------------------------------- check


def run_check(args: argparse.Namespace) -> int:
    """``pull-planner check IMAGE... --hosts FILE``: the fleet matrix and the release gate;
    ``check -f FILE``: workloads (:func:`planner.cli.workload_check.run_workload_check`)."""
    if args.filename:
        from planner.cli.workload_check import run_workload_check

        if args.images:
            raise InvalidInput("check takes IMAGEs or -f FILE (workloads), not both")
        return run_workload_check(args)
    if not args.images:
        raise InvalidInput("give the IMAGEs to check, or -f FILE with workloads")
    if args.suggest:
        raise InvalidInput("--suggest needs -f FILE: it suggests node affinity for workloads")
    if args.rows != "workloads":
        raise InvalidInput(
            "--rows is for workload checks (-f FILE): an IMAGE check has a row per host"
        )
    if "-" in args.images:
        raise InvalidInput(
            "check reads each IMAGE by reference, file or layout; - is not supported"
        )
    limits = options.rate_limits(args)
    hosts = options.check_hosts(args)
    fleet = _run_fleet(args, list(dict.fromkeys(args.images)), hosts, plans=not args.no_plan)
    fleet = fleet.with_rollout(limits)
    options.unmatched_limits(limits, fleet.rollout)
    write_report(fleet, args.format, options.render_options(args), options.report_files(args))
    report((), fleet.stats.summary() if args.stats else None)
    refused = rollout_refused(fleet.rollout)
    if fleet.failures:
        error(f"{len(fleet.failures)} of {len(fleet.pairs)} checks failed")
    return EXIT_NO_MATCH if fleet.failures or refused else EXIT_OK


# --------------------------------------------------------------------------- compare


def run_compare(args: argparse.Namespace) -> int:
    """``pull-planner compare SOURCE --platform P [--rules A,B|all]``: engines side by side."""
    from planner.app.compare import compare, rule_sets
    from planner.report.text.answers import comparison_text

    sets = rule_sets(args.rules)
    seen: dict[str, Platform] = {}
    if args.platform == options.LOCAL:  # each engine sees this machine its own way
        seen = {h.rules: h.platform for h in options.local_hosts(args, sets)}
    elif args.platform and "/" not in args.platform:  # one word: an architecture, or an OS (podman)
        seen = {
            r.name: options.build_host(args.platform, args.os_version, args.os_feature, r)
            for r in sets
            if r.host_rules.bare == "architecture"
        }

    def host_for(rules: RuleSet) -> Platform:
        if rules.name in seen:
            return seen[rules.name]
        return options.build_host(args.platform, args.os_version, args.os_feature, rules)

    result = compare(
        args.source,
        next(iter(seen.values())) if seen else options.single_host(args),
        sets,
        registry=options.registry_for(args, args.source),
        host_for=host_for if seen or "/" not in (args.platform or "/") else None,
    )
    if args.format == "text":
        write(comparison_text(result, terminal_width()))
    else:
        write(dump(result.to_dict(), args.format))
    return EXIT_OK if result.agree else EXIT_NO_MATCH


# --------------------------------------------------------------------------- host


def run_host(args: argparse.Namespace) -> int:
    """``pull-planner host [--rules A,B|all]``: this machine as each engine detects it."""
    from planner.app.compare import rule_sets
    from planner.report.text.answers import local_text

    hosts = options.local_hosts(args, rule_sets(args.rules))
    if args.format == "text":
        write(local_text(hosts, terminal_width()))
    else:
        write(dump({"hosts": [h.to_dict() for h in hosts]}, args.format))
    return EXIT_OK


# --------------------------------------------------------------------------- rules, schema


def run_rules(args: argparse.Namespace) -> int:
    """``pull-planner rules [NAME[@RELEASE]] [--platform P]``: families, or what a host runs."""
    from planner.policy.catalog import shipped_aliases
    from planner.policy.family import read_family
    from planner.policy.loader import available_rule_sets, load_rules
    from planner.report.text.rules import families_text, host_runs_text, rule_set_text

    if args.name is None:
        if args.platform:
            raise InvalidInput("--platform needs a rule set NAME")
        families = [(n, read_family(load_rules(n).path)) for n in available_rule_sets()]
        write(families_text(families, shipped_aliases(), terminal_width()))
        return EXIT_OK
    rules = load_rules(args.name)
    if args.platform is None:
        write(rule_set_text(rules, terminal_width()))
        return EXIT_OK
    from planner.select.host import host_view

    host = options.single_host(args, rules)
    write(host_runs_text(host_view(host, rules), rules, terminal_width()))
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    """``pull-planner schema hosts|rules``: a JSON Schema."""
    if args.what == "rules":
        from planner.policy.schema import json_schema

        print(json.dumps(json_schema(), indent=2))
    else:
        from planner.hosts.profiles import HOSTS_SCHEMA

        print(json.dumps(HOSTS_SCHEMA, indent=2))
    return EXIT_OK
