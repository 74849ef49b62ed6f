"""The command line: ``main(argv) -> int``, the command table, and errors as one line.

Every command is one function of :mod:`planner.cli.commands`, named in
:data:`COMMANDS`; exit codes come from :func:`planner.cli.status.exit_code_for`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence

from planner.cli import commands, output
from planner.cli.options import hint_for
from planner.cli.parser import build_parser
from planner.cli.status import EXIT_INVALID, EXIT_IO, exit_code_for
from planner.model.errors import PlannerError

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "resolve": commands.run_resolve,
    "plan": commands.run_plan,
    "check": commands.run_check,
    "compare": commands.run_compare,
    "host": commands.run_host,
    "rules": commands.run_rules,
    "schema": commands.run_schema,
}


GC_THRESHOLDS = (50_000, 20, 10)
"""The collector's thresholds while a command runs (CPython's are 700, 10, 10).

A run allocates many records that live until it ends (a fleet of 50,000
pairs: resolutions, plans, their JSON); at the default the collector scans
them again every 700 allocations, 10-15% of such a run."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)


def _main(argv: Sequence[str] | None) -> int:
    if sys.stderr is None:  # closed: errors go nowhere rather than crash
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    output.tolerate_encodings()
    if sys.stdout is None:
        output.error("cannot write the output: standard output is closed")
        return EXIT_IO
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_INVALID
        try:
            code = COMMANDS[args.command](args)
        except PlannerError as error:
            for line in error.problems[:-1]:  # a file's problems: one error line each
                output.error(line)
            output.error(f"{error.problems[-1] if error.problems else error}{hint_for(error)}")
            return exit_code_for(error)
        except KeyboardInterrupt:
            return 130
        sys.stdout.flush()  # a failure to write shows here, not at exit
        return code
    except OSError as exc:
        problem = output.write_failure(exc)
        if problem is None:
            raise
        output.error(f"cannot write the output: {problem}")
        return EXIT_IO


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
