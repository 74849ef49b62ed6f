"""The argument parser: every command, and the options shared by several (one helper each)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, cast

from planner.cli.status import EXIT_INVALID
from planner.model import __version__
from planner.report.layout import terminal_columns

__all__ = ["FORMATS", "build_parser", "unknown_arguments"]

FORMATS = ("text", "json", "yaml")


class _Formatter(argparse.HelpFormatter):
    """argparse's own help layout and width (the terminal's columns less 2), without the
    shutil import (with bz2 and lzma) argparse makes for every parser to measure it."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = terminal_columns(sys.__stdout__) - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, a "did you mean" for a mistyped command or flag,
    and exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors look like every other error: one line, the same prefix, exit 2."""
        message += _did_you_mean(self, message)
        self.exit(EXIT_INVALID, f"pull-planner: error: {message} (see: {self.prog} --help)\n")


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    """The long options of one (sub)command."""
    return [o for a in parser._actions for o in a.option_strings if o.startswith("--")]


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The commands of the top parser, by name."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown_arguments(
    parser: argparse.ArgumentParser, command: str | None, extra: list[str]
) -> None:
    """Refuse what ``command`` does not take (one line, exit 2, that command's help named):
    an option of another command says whose it is, a typo gets its closest option."""
    import difflib  # on a usage error only

    commands = _commands(parser)
    here = commands.get(command or "", parser)
    known = _long_options(here)
    said = []
    value_of_flag = False  # the word after an unknown option is taken for its value
    for word in extra:
        flag = word.split("=", 1)[0]
        if not flag.startswith("--"):
            if not value_of_flag:
                said.append(f"unexpected argument {word!r}")
            value_of_flag = False
            continue
        value_of_flag = "=" not in word
        owners = [name for name, sub in commands.items() if flag in _long_options(sub)]
        if owners:
            said.append(f"{flag} is an option of {', '.join(owners)}, not of {command}")
            continue
        names = {o.removeprefix("--"): o for o in known}  # "--" alone makes any two alike
        close = difflib.get_close_matches(flag.removeprefix("--"), list(names), n=1)
        hint = f" (did you mean {names[close[0]]!r}?)" if close else ""
        said.append(f"unknown option {flag}{hint}")
    here.error("; ".join(said))


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """`` (did you mean 'resolve'?)`` for argparse's invalid-choice errors."""
    import difflib  # on a usage error only
    import re

    choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if choice is None:
        return ""
    close = difflib.get_close_matches(choice[1], re.findall(r"'([^']*)'", choice[2]), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_ONCE_HINTS = {
    "--platform": "; for several hosts, list them in a --hosts file",
    "--hosts": "; one profile can include others (include:)",
    "--rules": "; compare and host take several (--rules A,B)",
}


class _Once(argparse._StoreAction):
    """An option that takes one value: given twice, it is refused (one line, exit 2)
    instead of argparse's silent last-one-wins, which answered for one of two hosts."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        given: dict[str, object] = namespace.__dict__.setdefault("_given", {})
        if self.dest in given and option_string is not None:
            name = (
                self.option_strings[-1]
                if self.option_strings[-1].startswith("--")
                else option_string
            )
            parser.error(
                f"{name} given twice ({given[self.dest]}, then {values}): it takes one value"
                + _ONCE_HINTS.get(name, "")
            )
        given[self.dest] = values
        super().__call__(parser, namespace, values, option_string)


def _once(parser: argparse.ArgumentParser) -> None:
    """Every single-value option of ``parser`` and its commands refuses a second value."""
    for action in parser._actions:
        if type(action) is argparse._StoreAction and action.option_strings:
            action.__class__ = _Once
        elif isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _once(command)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _format_argument(
    parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS, quiet: str | None = None
) -> None:
    parser.add_argument(
        "--format", choices=formats, default="text", help="output format (default: text)"
    )
    if quiet:
        parser.add_argument("--quiet", "-q", action="store_true", help=quiet)


def _verify_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify",
        action="store_true",
        help="ask the registry (the mirror a host is routed to) for every manifest and blob"
        " each pull fetches, with a HEAD, once per distinct blob, without downloading any;"
        " a pull that needs a missing one or one of another size fails (WON'T PULL, exit 1)",
    )


def _engines_arguments(parser: argparse.ArgumentParser, os_version: str, rules: str) -> None:
    """--os-version, --os-feature and --rules A,B,...|all: one host, several rule sets."""
    parser.add_argument("--os-version", help=os_version)
    parser.add_argument(
        "--os-feature", action="append", default=[], metavar="FEATURE", help="an os.feature"
    )
    parser.add_argument("--rules", action="append", default=[], metavar="A,B,...|all", help=rules)


def _host_arguments(parser: argparse.ArgumentParser) -> None:
    from planner.policy.catalog import available_rule_sets

    group = parser.add_argument_group(
        "hosts",
        "One host from --platform and its flags, or the hosts of a profile (--hosts).",
    )
    group.add_argument(
        "--platform",
        help="the host: os/arch[/variant], e.g. linux/arm64, linux/amd64/v3,"
        " windows(10.0.20348)/amd64; local: this machine as the engine of --rules detects it",
    )
    group.add_argument(
        "--os-version", help="the host's os.version, e.g. 10.0.17763.1 (Windows hosts)"
    )
    group.add_argument(
        "--os-feature",
        action="append",
        default=[],
        metavar="FEATURE",
        help="an os.feature the host has, e.g. win32k (repeatable)",
    )
    group.add_argument(
        "--rules",
        metavar="NAME|FILE",
        help="rule set: a family (" + ", ".join(available_rule_sets()) + "; docker by default),"
        " NAME@RELEASE (containerd@1.7.20), an alias (containerd-1.6), or a rule file",
    )
    group.add_argument(
        "--hosts",
        metavar="FILE",
        help="the hosts: a YAML host profile (see 'schema hosts'), or what hosts print:"
        " kubectl get nodes -o json|yaml, docker info, podman info (recognised by content)",
    )
    group.add_argument(
        "--registry-config",
        metavar="PATH",
        help="where every host of the run pulls from: a containerd hosts directory"
        " (certs.d), a registries.conf, a daemon.json or a k3s registries.yaml"
        " (a host profile's registry_config, for all hosts)",
    )
    group.add_argument(
        "--upstream",
        action="store_true",
        help="when a host's mirror answers, also ask upstream (one HEAD; the whole answer only"
        " when the copies differ) and show both",
    )
    group.add_argument(
        "--host", action="append", default=[], metavar="NAME", help="only this host (repeatable)"
    )
    group.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="LABEL=VALUE",
        help="only hosts with this label (repeatable: all must match)",
    )


def _registry_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "registry",
        "Credentials come from --username, $REGISTRY_AUTH_FILE, Docker's config.json (auths,"
        " credHelpers, credsStore) or podman's auth.json, in that order.",
    )
    group.add_argument(
        "--username",
        "-u",
        help="registry user name (with --password-stdin), for the registry of the images"
        " named; sent to no other registry",
    )
    group.add_argument(
        "--password-stdin", action="store_true", help="read the password or token from stdin"
    )
    group.add_argument(
        "--registry-login",
        metavar="HOST",
        help="the registry --username is for, when the images are on several",
    )
    group.add_argument(
        "--plain-http",
        action="store_true",
        help="use http:// (localhost and 127.0.0.1 registries use it anyway)",
    )
    group.add_argument(
        "--cache-dir", metavar="DIR", help="manifest cache (default: $XDG_CACHE_HOME/pull-planner)"
    )
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    group.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="deadline for each whole request: connect, headers and body (30)",
    )
    group.add_argument(
        "--deadline",
        type=_positive_seconds,
        default=300.0,
        metavar="SECONDS",
        help="deadline for all registry work of the run, retries included (300)",
    )
    group.add_argument(
        "--retries",
        type=_count,
        default=4,
        metavar="N",
        help="retries for 429/5xx/resets (4)",
    )
    group.add_argument(
        "--stats", action="store_true", help="print requests, bytes and cache hits to stderr"
    )
    group.add_argument(
        "--verbose", "-v", action="store_true", help="log each request (never headers or tokens)"
    )


def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    present = parser.add_argument_group("what the hosts already have")
    present.add_argument(
        "--have",
        action="append",
        default=[],
        metavar="SOURCE",
        help="an image already on the host (e.g. the deployed tag), resolved for the same host;"
        " repeatable",
    )
    present.add_argument(
        "--have-digests",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of blob digests already on the host, one per line; repeatable",
    )


def build_parser(*, commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``commands=False``, each command's name and help without its
    arguments (all that ``pull-planner --help`` prints); with ``only``, the arguments of
    that command alone (what a run of it parses: the others' cost 10 ms to build)."""
    parser = _Parser(
        prog="pull-planner",
        description="Which image would this host pull from this tag, and what would it download?"
        " A dry run: nothing is pulled.",
    )
    parser.add_argument("--version", action="version", version=f"pull-planner {__version__}")
    table = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, **about: Any) -> argparse.ArgumentParser:
        """A command's parser; with ``only``, none for another command (a run of ``only``
        neither lists nor parses the others, and its arguments are added only below, for
        ``only``: the None is never used)."""
        if only in (None, name):
            made: argparse.ArgumentParser = table.add_parser(name, **about)
            return made
        return cast(argparse.ArgumentParser, None)

    resolve = add(
        "resolve",
        help="which entry of an index a host pulls, with the verdict on every entry",
        description=(
            "Resolve SOURCE for a host and explain every entry. SOURCE is an image reference"
            " (ubuntu:24.04, ghcr.io/org/app@sha256:...), a saved manifest list or index (JSON"
            " file, or - for stdin), or an OCI layout (oci:DIR[:TAG|@DIGEST])."
            " Exit status: 0 selected, 1 no compatible image, the pick will not run here, or"
            " (--verify) a manifest or blob its pull needs is missing, 2 invalid input, 3 I/O"
            " failure."
        ),
    )
    plan = add(
        "plan",
        help="the ordered download plan: config and layers, sizes, what is already present",
        description=(
            "Resolve SOURCE for a host as resolve does, read the chosen image manifest and list what"
            " the client downloads, in order: the config, then the layers (base first), with sizes,"
            " compression, what the host already has, and where each blob comes from. Exit status"
            " as for resolve."
        ),
    )
    check = add(
        "check",
        help="every image or workload x every host: the release gate and rollout download sizes",
        description=(
            "Resolve and plan every IMAGE for every host (--hosts FILE, or one host from"
            " --platform). A pair fails when the host finds no compatible image, or gets one that"
            " will not run there (a single-image tag for another platform; a Windows build its"
            " isolation does not run), or (--verify) whose pull needs a manifest or blob the"
            " registry does not serve as listed. With -f FILE (Kubernetes manifests, helm template or"
            " kustomize build output, Compose files; - reads standard input), every container"
            " of every workload is checked on each node it may be scheduled on (nodeSelector,"
            " required node affinity, taints and tolerations, nodeName, os.name). Exit status:"
            " 0 all pass, 1 a check failed, 2 invalid input, 3 I/O or registry failure."
        ),
    )
    compare = add(
        "compare",
        help="which entry each engine or release takes for one host, and why they differ",
        description=(
            "Resolve SOURCE for one host under several rule sets (--rules A,B,... or all, the"
            " default: the newest release of every family) and explain every disagreement in one"
            " line. Exit status: 0 all agree, 1 some differ, 2 invalid input, 3 I/O failure."
        ),
    )
    host = add(
        "host",
        help="this machine as each engine detects it (what --platform local means)",
        description="Show the platform each engine (--rules A,B,... or all, the default: the"
        " newest release of every family) detects on this machine when a pull names no"
        " platform: the x86-64 level from the CPU flags, the ARM variant from /proc/cpuinfo,"
        " the OS and Windows build, and how each value was found.",
    )
    rules = add(
        "rules",
        help="list the rule families and their release ranges, or show what a host runs",
        description="Without NAME, list the rule families, the release ranges of each and the"
        " aliases. With NAME[@RELEASE], describe that rule set; with --platform, show the"
        " platforms that host runs, most preferred first (and, for Windows, which builds).",
    )
    schema = add(
        "schema",
        help="print a JSON Schema (for editors and CI): schema hosts, schema rules",
        description="Print the JSON Schema of a host profile file (hosts) or a rule file (rules).",
    )
    if not commands:
        return parser

    if only in (None, "resolve"):
        resolve.add_argument("source", metavar="SOURCE")
        _host_arguments(resolve)
        _verify_argument(resolve)
        _registry_arguments(resolve)
        _format_argument(
            resolve, quiet="print only the picked digest (with --hosts: HOST DIGEST per host)"
        )

    if only in (None, "plan"):
        plan.add_argument("source", metavar="SOURCE")
        _host_arguments(plan)
        _plan_arguments(plan)
        plan.add_argument(
            "--locations",
            action="store_true",
            help="ask the registry where each blob is served from (CDN redirects), without downloading",
        )
        plan.add_argument(
            "--bandwidth",
            metavar="RATE",
            help="estimate the transfer time at RATE, e.g. 100Mbit, 1Gbit/s, 12.5MB/s",
        )
        _verify_argument(plan)
        _registry_arguments(plan)
        _format_argument(
            plan,
            quiet="print only the digests of the blobs it downloads (not those it --have), one per"
            " line (with --hosts: HOST DIGEST)",
        )

    if only in (None, "check"):
        check.add_argument(
            "images", metavar="IMAGE", nargs="*", help="SOURCE of each image to check"
        )
        check.add_argument(
            "-f",
            "--filename",
            action="append",
            default=[],
            metavar="FILE",
            help="Kubernetes manifests (a file or a directory of them) or a Compose file to check"
            " instead of IMAGEs (- reads standard input); repeatable",
        )
        _host_arguments(check)
        check.add_argument(
            "--allow-missing",
            action="append",
            default=[],
            metavar="HOST:IMAGE",
            help="accept a known gap: this pair may fail (either side may be *); with -f,"
            " WORKLOAD:NODE (KIND/NAMESPACE/NAME, NAMESPACE/NAME or NAME; * patterns); repeatable",
        )
        check.add_argument(
            "--no-plan", action="store_true", help="resolve only: no manifests read, no sizes"
        )
        _verify_argument(check)
        check.add_argument(
            "--rate-limit",
            action="append",
            default=[],
            metavar="N/DURATION[@REGISTRY]",
            help="gate the rollout cost: at most N counted manifest requests per DURATION (s, m, h,"
            " d) from each egress, to REGISTRY or every registry (100/6h@registry-1.docker.io);"
            " a registry's own ratelimit headers are used when it sends them; repeatable",
        )
        check.add_argument(
            "--expand",
            action="store_true",
            help="one row per host (default: like hosts, a node pool, share one row: NAME (+N))",
        )
        check.add_argument(
            "--rows",
            choices=("workloads", "pools"),
            default="workloads",
            help="with -f, text: a row per workload (default) or per node pool, as the HTML page",
        )
        check.add_argument(
            "--suggest",
            action="store_true",
            help="with -f: print, for each failing workload, the node affinity under which it runs"
            " (a YAML patch) and the images that need more platforms",
        )
        from planner.report.formats import FORMATS as REPORT_FORMATS

        for fmt in REPORT_FORMATS.values():
            if fmt.to_file:
                check.add_argument(
                    f"--{fmt.name}", metavar="FILE", help=f"also write {fmt.description}"
                )
        _registry_arguments(check)
        _format_argument(check, tuple(REPORT_FORMATS))

    if only in (None, "compare"):
        compare.add_argument("source", metavar="SOURCE")
        compare.add_argument(
            "--platform",
            required=True,
            help="the host: os/arch[/variant], e.g. windows/amd64; local: this machine, as each"
            " engine detects it",
        )
        _engines_arguments(
            compare,
            "the host's os.version, e.g. 10.0.26100.1",
            "rule sets to compare, e.g. containerd@1.7.20,containerd@2.2.7 (default: all)",
        )
        _registry_arguments(compare)
        _format_argument(compare)

    if only in (None, "host"):
        _engines_arguments(
            host,
            "the Windows build, when the engine's differs",
            "engines to ask, e.g. docker@29.6.0,containerd@2.1.6 (default: all)",
        )
        _format_argument(host)

    if only in (None, "rules"):
        rules.add_argument(
            "name",
            metavar="NAME[@RELEASE]",
            nargs="?",
            help="a family (containerd), a release (containerd@1.7.20), an alias, or a rule file",
        )
        rules.add_argument(
            "--platform", help="a host such as linux/arm64 to show the compatibility list of"
        )
        rules.add_argument("--os-version", help="the host's os.version (Windows hosts)")
        rules.add_argument(
            "--os-feature", action="append", default=[], metavar="FEATURE", help="an os.feature"
        )

    if only in (None, "schema"):
        schema.add_argument(
            "what", choices=("hosts", "rules"), help="hosts: a host profile; rules: a rule file"
        )

    _once(parser)
    return parser
