"""``pull-planner check -f FILE``: workloads on the nodes they may be scheduled on."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from planner.cli import options
from planner.cli.output import Progress, error, report, rollout_refused, write_report
from planner.cli.status import EXIT_NO_MATCH, EXIT_OK
from planner.model.errors import InvalidInput
from planner.model.files import read_stdin
from planner.model.text import plural

if TYPE_CHECKING:
    pass

__all__ = ["run_workload_check"]


def _stdin(limit: int) -> bytes:
    return read_stdin(limit, "-f -")


def run_workload_check(args: argparse.Namespace) -> int:
    """Read the workload files, check them on ``--hosts`` (or one ``--platform`` host), report."""
    from planner.workloads.check import check_workloads
    from planner.workloads.files import STDIN, read_manifests
    from planner.workloads.model import workload_allowances

    reads_stdin = STDIN in args.filename
    if reads_stdin and args.password_stdin:
        raise InvalidInput("-f - and --password-stdin both read standard input")
    if args.expand:
        raise InvalidInput("--expand is for IMAGE checks; workload results are per node in JSON")
    if args.verify and args.no_plan:
        raise InvalidInput("--verify needs plans (the blobs each pull fetches): drop --no-plan")
    limits = options.rate_limits(args)
    hosts = options.check_hosts(args)
    options.check_upstream(args, hosts)
    manifests = read_manifests(args.filename, stdin=_stdin, environ=os.environ)
    report(manifests.warnings, None)
    if not manifests.workloads:
        raise InvalidInput(
            f"no workload in {', '.join(args.filename)}"
            f" ({plural(len(manifests.skipped), 'document')} skipped: not workloads)"
        )
    allow = workload_allowances(args.allow_missing, manifests.workloads, hosts)
    images = [c.reference for w in manifests.workloads for c in w.containers]
    progress = Progress()
    try:
        checked = check_workloads(
            manifests.workloads,
            hosts,
            skipped=manifests.skipped,
            registry=options.registry_for(args, *images, have=[s for h in hosts for s in h.have])
            if images
            else None,
            allow=allow,
            plans=not args.no_plan,
            present=options.present_digests(args),
            progress=progress,
            warnings=manifests.warnings,
            verify=args.verify,
            upstream=args.upstream,
        )
    finally:
        progress.clear()
    checked = checked.with_rollout(limits)
    options.unmatched_limits(limits, checked.rollout)
    write_report(checked, args.format, options.render_options(args), options.report_files(args))
    seen: dict[tuple[str, str], None] = {}
    for pull in checked.pulls:  # each warning once per image, not once per node
        if pull.status == "will-not-run":
            continue  # the problem lines say it
        for warning in pull.warnings:
            seen[(pull.image, warning)] = None
    for image, warning in seen:
        report([warning], None, f"{image}: ")
    report((), checked.stats.summary() if args.stats else None)
    refused = rollout_refused(checked.rollout)
    if checked.failures:
        error(f"{len(checked.failures)} of {len(checked.results)} workloads failed")
    return EXIT_NO_MATCH if checked.failures or refused else EXIT_OK
