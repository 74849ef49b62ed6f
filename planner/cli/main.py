"""The command line: ``main(argv) -> int``, the command table, and errors as one line.

Every command is one function of :mod:`planner.cli.commands`, named in
:data:`COMMANDS`; exit codes come from :func:`planner.cli.status.exit_code_for`.
"""

from __future__ import annotations

import gc
import os
import sys

from planner.cli.status import EXIT_INVALID, EXIT_IO, EXIT_OK, exit_code_for
from planner.cli.streams import tolerate_encodings, write_failure
from planner.model import __version__
from planner.model.errors import PlannerError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, str] = {
    "resolve": "run_resolve",
    "plan": "run_plan",
    "check": "run_check",
    "compare": "run_compare",
    "host": "run_host",
    "rules": "run_rules",
    "schema": "run_schema",
}
"""Each command's function in :mod:`planner.cli.commands`, imported when a command runs
(``--version`` and ``--help`` load neither the commands nor the layers under them)."""


def command(name: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs command ``name``."""
    from planner.cli import commands

    run: Callable[[argparse.Namespace], int] = getattr(commands, COMMANDS[name])
    return run


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
    tolerate_encodings()
    if sys.stdout is None:
        from planner.cli.output import error

        error("cannot write the output: standard output is closed")
        return EXIT_IO
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        if words == ["--version"]:  # what argparse prints, without building the parser
            sys.stdout.write(f"pull-planner {__version__}\n")
            sys.stdout.flush()
            return EXIT_OK
        if words in (["--help"], ["-h"]):  # the commands' names and help only
            from planner.cli.parser import build_parser

            build_parser(commands=False).print_help()
            sys.stdout.flush()
            return EXIT_OK
        return _run(words)
    except OSError as exc:
        problem = write_failure(exc)
        if problem is None:
            raise
        from planner.cli.output import error

        error(f"cannot write the output: {problem}")
        return EXIT_IO


def _run(words: list[str]) -> int:
    from planner.cli.options import hint_for
    from planner.cli.output import error
    from planner.cli.parser import build_parser, unknown_arguments

    # the command's own arguments only; every command's when there is no command word,
    # and to say whose an unknown option is
    parser = build_parser(only=words[0] if words and words[0] in COMMANDS else None)
    args, extra = parser.parse_known_args(words)
    if extra:
        unknown_arguments(build_parser(), args.command, extra)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        code = command(args.command)(args)
    except PlannerError as problem:
        for line in problem.problems[:-1]:  # a file's problems: one error line each
            error(line)
        error(f"{problem.problems[-1] if problem.problems else problem}{hint_for(problem, args)}")
        return exit_code_for(problem)
    except KeyboardInterrupt:
        return 130
    sys.stdout.flush()  # a failure to write shows here, not at exit
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
