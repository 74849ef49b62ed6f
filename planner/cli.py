"""Command line: a thin layer over the library.

Exit codes (one place, :func:`exit_code_for`):

* 0: an image was selected
* 1: no compatible image (the message lists what the index offers)
* 2: invalid input or usage (platform, manifest, rule file, SOURCE, flags)
* 3: I/O or registry failure (unreadable file, missing blob, digest mismatch,
  unreachable registry, authentication refused, manifest not found, rate limited)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner import __version__
from planner.errors import InvalidInput, InvalidPlatform, NoCompatibleImage, PlannerError
from planner.platform import Platform

if TYPE_CHECKING:
    from planner.registry import RegistryOptions

__all__ = ["build_host", "exit_code_for", "main"]

EXIT_OK, EXIT_NO_MATCH, EXIT_INVALID, EXIT_IO = 0, 1, 2, 3


def exit_code_for(error: PlannerError) -> int:
    """Map an error class to the documented exit code."""
    if isinstance(error, NoCompatibleImage):
        return EXIT_NO_MATCH
    if isinstance(error, InvalidInput):
        return EXIT_INVALID
    return EXIT_IO


def build_host(
    platform: str, os_version: str | None = None, os_features: Sequence[str] = ()
) -> Platform:
    """A host from ``--platform``, ``--os-version`` and ``--os-feature`` values."""
    host = Platform.parse(platform)
    changes: dict[str, object] = {}
    if os_version is not None:
        if os_version == "" or any(c.isspace() for c in os_version):
            raise InvalidPlatform(f"invalid --os-version {os_version!r}")
        if host.os_version and host.os_version != os_version:
            raise InvalidPlatform(
                f"--os-version {os_version!r} conflicts with {host.os_version!r} in --platform {platform!r}"
            )
        changes["os_version"] = os_version
    if os_features:
        for feature in os_features:
            if not feature or any(c.isspace() or c == "+" for c in feature):
                raise InvalidPlatform(f"invalid --os-feature {feature!r}")
        changes["os_features"] = tuple(dict.fromkeys((*host.os_features, *os_features)))
    if not changes:
        return host
    return host.with_fields(**changes)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pull-planner",
        description="Which image would this host pull from this tag, and why? A dry run: nothing is pulled.",
    )
    parser.add_argument("--version", action="version", version=f"pull-planner {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    resolve = commands.add_parser(
        "resolve",
        help="which entry of an index a host pulls, with the verdict on every entry",
        description=(
            "Resolve SOURCE for a host and explain every entry. SOURCE is an image reference"
            " (ubuntu:24.04, ghcr.io/org/app@sha256:...), a saved manifest list or index (JSON"
            " file, or - for stdin), or an OCI layout (oci:DIR[:TAG|@DIGEST])."
            " Exit status: 0 selected, 1 no compatible image, 2 invalid input, 3 I/O failure."
        ),
    )
    resolve.add_argument("source", metavar="SOURCE")
    _host_arguments(resolve)
    _registry_arguments(resolve)
    _format_argument(resolve)

    plan = commands.add_parser(
        "plan",
        help="the ordered download plan: config and layers, sizes, what is already present",
        description=(
            "Resolve SOURCE for a host as resolve does, read the chosen image manifest and list what"
            " the client downloads, in order: the config, then the layers (base first), with sizes,"
            " compression, what the host already has, and where each blob comes from. Exit status"
            " as for resolve."
        ),
    )
    plan.add_argument("source", metavar="SOURCE")
    _host_arguments(plan)
    present = plan.add_argument_group("what the host already has")
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
    _registry_arguments(plan)
    _format_argument(plan)

    rules = commands.add_parser(
        "rules",
        help="list the shipped rule sets, or show what a host runs under one",
        description="Without NAME, list the rule sets. With NAME, describe it; with --platform, show the"
        " platforms that host runs, most preferred first.",
    )
    rules.add_argument("name", metavar="NAME", nargs="?", help="rule set name or rule file path")
    rules.add_argument(
        "--platform", help="a host such as linux/arm64 to show the compatibility list of"
    )
    return parser


def _format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json", "yaml"),
        default="text",
        help="output format (default: text)",
    )


def _host_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("host")
    group.add_argument(
        "--platform",
        required=True,
        help="the host: os/arch[/variant], e.g. linux/arm64, linux/amd64/v3, windows(10.0.20348)/amd64",
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
        default="docker",
        metavar="NAME|FILE",
        help="rule set: docker (default), containerd, containerd-1.6, podman, crane, or a rule file",
    )


def _registry_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "registry",
        "Credentials come from --username, $REGISTRY_AUTH_FILE, Docker's config.json (auths,"
        " credHelpers, credsStore) or podman's auth.json, in that order.",
    )
    group.add_argument("--username", "-u", help="registry user name (with --password-stdin)")
    group.add_argument(
        "--password-stdin", action="store_true", help="read the password or token from stdin"
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
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per-request timeout (30)"
    )
    group.add_argument(
        "--retries", type=int, default=4, metavar="N", help="retries for 429/5xx/resets (4)"
    )
    group.add_argument(
        "--stats", action="store_true", help="print requests, bytes and cache hits to stderr"
    )
    group.add_argument(
        "--verbose", "-v", action="store_true", help="log each request (never headers or tokens)"
    )


def _registry_options(args: argparse.Namespace) -> RegistryOptions:
    """RegistryOptions from the flags; httpx is imported only when a registry is used."""
    if args.password_stdin and not args.username:
        raise InvalidInput("--password-stdin needs --username")
    if args.username and not args.password_stdin:
        raise InvalidInput(
            "--username needs --password-stdin (passwords are never taken as arguments)"
        )
    if args.password_stdin and args.source == "-":
        raise InvalidInput("SOURCE - and --password-stdin both read standard input")
    if args.timeout <= 0:
        raise InvalidInput(f"--timeout must be positive, not {args.timeout}")
    if args.retries < 0:
        raise InvalidInput(f"--retries must be 0 or more, not {args.retries}")
    from pathlib import Path

    from planner.registry import Credential, CredentialStore, RegistryOptions
    from planner.registry.client import stderr_log

    explicit = None
    if args.username:
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise InvalidInput("--password-stdin: no password on standard input")
        explicit = Credential(args.username, secret, origin="--username")
    return RegistryOptions(
        credentials=CredentialStore(explicit),
        cache_dir=Path(args.cache_dir).expanduser() if args.cache_dir else None,
        use_cache=not args.no_cache,
        plain_http=args.plain_http,
        timeout=args.timeout,
        retries=args.retries,
        log=stderr_log if args.verbose else None,
    )


def _is_registry_source(source: str) -> bool:
    from pathlib import Path

    return not (source == "-" or source.startswith("oci:") or Path(source).exists())


def _registry_if_needed(args: argparse.Namespace, *sources: str) -> RegistryOptions | None:
    return _registry_options(args) if any(_is_registry_source(s) for s in sources) else None


def _report(warnings: Sequence[str], stats_line: str | None) -> None:
    for warning in warnings:
        print(f"pull-planner: warning: {warning}", file=sys.stderr)
    if stats_line is not None:
        print(f"pull-planner: stats: {stats_line}", file=sys.stderr)


def _run_resolve(args: argparse.Namespace) -> int:
    from planner.render import dump, resolution_text
    from planner.resolution import resolve
    from planner.rulesets import load_rules

    host = build_host(args.platform, args.os_version, args.os_feature)
    rules = load_rules(args.rules)
    result = resolve(args.source, host, rules, registry=_registry_if_needed(args, args.source))
    if args.format == "text":
        sys.stdout.write(resolution_text(result))
    else:
        sys.stdout.write(dump(result.to_dict(), args.format))
    _report(result.warnings, result.stats.summary() if args.stats else None)
    if result.selected is None:
        offered = ", ".join(result.offered()) or "no entries"
        raise NoCompatibleImage(
            f"no image in {result.source} runs on {host.describe()} under rules {rules.name};"
            f" it offers: {offered}"
        )
    return EXIT_OK


def _run_plan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from planner.plan import plan, read_digest_file
    from planner.render import dump, plan_text
    from planner.rulesets import load_rules
    from planner.units import parse_bandwidth

    host = build_host(args.platform, args.os_version, args.os_feature)
    rules = load_rules(args.rules)
    bandwidth = parse_bandwidth(args.bandwidth) if args.bandwidth is not None else None
    present: set[str] = set()
    for path in args.have_digests:
        present |= read_digest_file(Path(path))
    if "-" in args.have:
        raise InvalidInput("--have - is not supported: standard input holds at most one document")
    result = plan(
        args.source,
        host,
        rules,
        have=args.have,
        have_digests=present,
        locations=args.locations,
        bandwidth=bandwidth,
        registry=_registry_if_needed(args, args.source, *args.have),
    )
    if args.format == "text":
        sys.stdout.write(plan_text(result))
    else:
        sys.stdout.write(dump(result.to_dict(), args.format))
    _report(result.warnings, result.stats.summary() if args.stats else None)
    return EXIT_OK


def _run_rules(args: argparse.Namespace) -> int:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_INVALID
    try:
        if args.command == "resolve":
            return _run_resolve(args)
        if args.command == "plan":
            return _run_plan(args)
        return _run_rules(args)
    except PlannerError as error:
        print(f"pull-planner: error: {error}", file=sys.stderr)
        return exit_code_for(error)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
