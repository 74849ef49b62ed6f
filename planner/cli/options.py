"""What the flags mean: hosts, host selection, allowances, registry access, bandwidth.

The one place that turns option values into library arguments; every message
here names the flag it is about.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from planner.model.errors import (
    InvalidInput,
    InvalidPlatform,
    InvalidReference,
    PlannerError,
    RegistryError,
)
from planner.model.files import read_stdin
from planner.model.platform import Platform
from planner.model.record import replace
from planner.model.reference import registry_name
from planner.model.text import one_line, plural
from planner.model.windows import release_name_problem
from planner.policy.loader import load_rules
from planner.policy.ruleset import DEFAULT_RULES, RuleSet
from planner.select.host import read_platform

if TYPE_CHECKING:
    from planner.app.rollout import Rollout
    from planner.hosts.local import LocalHost
    from planner.hosts.profiles import HostProfile
    from planner.hosts.registries import RegistryConfig
    from planner.report.formats import RenderOptions
    from planner.transport.options import RegistryOptions
    from planner.transport.stats import RateLimit

__all__ = [
    "allowances",
    "bandwidth",
    "build_host",
    "check_hosts",
    "check_upstream",
    "fleet_hosts",
    "local_hosts",
    "login_registry",
    "page_inputs",
    "present_digests",
    "registry_config",
    "registry_for",
    "registry_options",
    "render_options",
    "report_files",
    "routed_host",
    "rules_option",
    "select_hosts",
    "single_host",
    "unmatched_limits",
]


def build_host(
    platform: str,
    os_version: str | None = None,
    os_features: Sequence[str] = (),
    rules: RuleSet | None = None,
) -> Platform:
    """A host from ``--platform``, ``--os-version`` and ``--os-feature`` values.

    An architecture alone (``--platform arm64``) means ``linux/arm64``, as Docker
    on Linux reads it, unless ``rules`` read one word as the OS (podman: refused).
    """
    host = read_platform(platform, rules)
    changes: dict[str, object] = {}
    if os_version is not None:
        if os_version == "" or any(c.isspace() for c in os_version):
            raise InvalidPlatform(f"invalid --os-version {os_version!r}")
        problem = release_name_problem(os_version)
        if problem:  # a name the tool itself prints (ltsc2022): the build is what engines compare
            raise InvalidPlatform(f"--os-version {problem}")
        if host.os_version and host.os_version != os_version:
            raise InvalidPlatform(
                f"--os-version {os_version!r} conflicts with {host.os_version!r}"
                f" in --platform {platform!r}"
            )
        changes["os_version"] = os_version
    if os_features:
        for feature in os_features:
            if not feature or any(c.isspace() or c == "+" for c in feature):
                raise InvalidPlatform(f"invalid --os-feature {feature!r}")
        changes["os_features"] = tuple(dict.fromkeys((*host.os_features, *os_features)))
    return host.with_fields(**changes) if changes else host


MAX_PASSWORD = 64 << 10
"""Bytes of the one line --password-stdin reads (a token is a few KiB)."""
LOCAL = "local"
"""``--platform local``: this machine, as the engine of the rule set detects it."""


def single_host(args: argparse.Namespace, rules: RuleSet | None = None) -> Platform:
    """The host of ``--platform``, ``--os-version`` and ``--os-feature``.

    ``--platform local`` is this machine as the engine of ``rules`` (default:
    ``--rules``) detects it (:meth:`planner.hosts.local.Machine.host_for`).
    """
    if args.platform == LOCAL:
        return local_hosts(args, [rules or rules_option(args)])[0].platform
    return build_host(args.platform, args.os_version, args.os_feature, rules)


def local_hosts(args: argparse.Namespace, rule_sets: Sequence[RuleSet]) -> list[LocalHost]:
    """This machine, read once, as each of ``rule_sets`` sees it, with ``--os-version``
    and ``--os-feature`` applied."""
    from planner.hosts.local import read_machine

    machine = read_machine(os_version=args.os_version)
    if args.os_version is not None and machine.system != "windows":
        raise InvalidPlatform(
            f"--os-version {args.os_version!r}: this machine runs {machine.system}, not Windows"
        )
    features = getattr(args, "os_feature", None) or ()
    hosts = []
    for rules in rule_sets:
        local = machine.host_for(rules)
        if features:
            platform = build_host(local.platform.format_all(), None, features)
            local = replace(local, platform=platform)
        hosts.append(local)
    return hosts


def rules_option(args: argparse.Namespace) -> RuleSet:
    """``--rules NAME|FILE`` (default: docker)."""
    return load_rules(args.rules or DEFAULT_RULES)


def hint_for(error: PlannerError, args: argparse.Namespace | None = None) -> str:
    """What to add to an error's message to say which flag helps, if one does (``args``:
    the flags given, so that a flag already passed is not suggested again)."""
    if isinstance(error, InvalidPlatform) and error.field == "os.version":
        return " (give it with --os-version, e.g. --os-version 10.0.20348.1)"
    if isinstance(error, RegistryError) and error.login and error.rejected is None:
        if args is not None and getattr(args, "username", None):  # given for another registry
            return f" or, if --username is for {error.login}, pass --registry-login {error.login}"
        return " or pass --username NAME --password-stdin"
    return ""


# --------------------------------------------------------------------------- fleets


def select_hosts(
    hosts: Sequence[HostProfile], names: Sequence[str] = (), selectors: Sequence[str] = ()
) -> list[HostProfile]:
    """Hosts named by ``--host`` (all when none) that match every ``--select label=value``."""
    known = {h.name: h for h in hosts}
    for name in names:
        if name not in known:
            import difflib  # on a typo only: 1 ms of start-up otherwise

            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidInput(f"--host {name!r}: no such host{hint}; hosts: {', '.join(known)}")
    chosen = [known[n] for n in dict.fromkeys(names)] if names else list(hosts)
    for selector in selectors:
        label, sep, value = selector.partition("=")
        if not sep or not label:
            raise InvalidInput(f"--select {selector!r}: expected label=value")
        left = [h for h in chosen if h.labels.get(label) == value]
        if not left:
            raise InvalidInput(
                f"--select {selector!r} matches no host; {_labels_of(chosen, label)}"
            )
        chosen = left
    return chosen


def _labels_of(hosts: Sequence[HostProfile], label: str, most: int = 12) -> str:
    """What the hosts have instead: the values of ``label`` (and how many hosts have each),
    or, when none has it, the label keys they do have."""
    values: dict[str, int] = {}
    keys: dict[str, int] = {}
    for host in hosts:
        if label in host.labels:
            values[host.labels[label]] = values.get(host.labels[label], 0) + 1
        for key in host.labels:
            keys[key] = keys.get(key, 0) + 1
    if values:
        found, what = {f"{label}={v}": n for v, n in values.items()}, "the hosts have"
    elif keys:
        import difflib  # only for a hint

        close = difflib.get_close_matches(label, list(keys), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        found, what = keys, f"no host has the label {label!r}{hint}; their labels are"
    else:
        return f"none of the {plural(len(hosts), 'host')} has a label"
    shown = [f"{name} ({n})" if n > 1 else name for name, n in list(found.items())[:most]]
    more = f", and {len(found) - most} more" if len(found) > most else ""
    return f"{what}: {', '.join(shown)}{more}"


def fleet_hosts(args: argparse.Namespace) -> list[HostProfile] | None:
    """Hosts of ``--hosts`` (filtered by ``--host``/``--select``), or None in single-host mode."""
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
    from planner.hosts.inventory import load_inventory

    hosts = select_hosts(load_inventory(Path(args.hosts)), args.host, args.select)
    have = tuple(getattr(args, "have", ()))
    if have:
        hosts = [replace(h, have=h.have + have) for h in hosts]
    config = registry_config(args)
    if config is not None:
        hosts = [replace(h, registry_config=config) for h in hosts]
    return hosts


def registry_config(args: argparse.Namespace) -> RegistryConfig | None:
    """``--registry-config``: the configuration every host of the run pulls by."""
    path = getattr(args, "registry_config", None)
    if not path:
        return None
    from planner.hosts.registries import load_registry_config

    return load_registry_config(Path(path))


def routed_host(args: argparse.Namespace) -> HostProfile | None:
    """The single host of ``--platform`` with ``--registry-config``, or None without it."""
    config = registry_config(args)
    if config is None:
        return None
    from planner.hosts.profiles import HostProfile

    rules = rules_option(args)
    return HostProfile(args.platform, single_host(args, rules), rules, registry_config=config)


def check_hosts(args: argparse.Namespace) -> list[HostProfile]:
    """``check``'s hosts: those of ``--hosts``, or one host from ``--platform`` and its flags,
    named after the platform as given."""
    hosts = fleet_hosts(args)
    if hosts is not None:
        return hosts
    from planner.hosts.profiles import HostProfile

    routed = routed_host(args)
    if routed is not None:
        return [routed]
    rules = rules_option(args)
    return [HostProfile(args.platform, single_host(args, rules), rules)]


def allowances(
    values: Sequence[str], hosts: Sequence[HostProfile], images: Sequence[str]
) -> set[tuple[str, str]]:
    """``--allow-missing HOST:IMAGE`` (``*`` for any host or image) as (host, image) pairs."""
    names = {h.name for h in hosts}
    allowed = set()
    for value in values:
        host, sep, image = value.partition(":")
        if not sep or not host or not image:
            raise InvalidInput(f"--allow-missing {value!r}: expected HOST:IMAGE (either may be *)")
        if host != "*" and host not in names:
            raise InvalidInput(f"--allow-missing {value!r}: no host named {host!r}")
        if image != "*" and image not in images:
            raise InvalidInput(
                f"--allow-missing {value!r}: {image!r} is not one of the images checked"
            )
        for h in names if host == "*" else (host,):
            for i in images if image == "*" else (image,):
                allowed.add((h, i))
    return allowed


def present_digests(args: argparse.Namespace) -> set[str]:
    """Blob digests of every ``--have-digests FILE``."""
    from planner.app.plan import read_digest_file

    present: set[str] = set()
    for path in getattr(args, "have_digests", ()):
        present |= read_digest_file(Path(path))
    return present


def bandwidth(args: argparse.Namespace) -> float | None:
    """``--bandwidth RATE`` in bits per second."""
    from planner.model.text import parse_bandwidth

    value = getattr(args, "bandwidth", None)
    return parse_bandwidth(value) if value is not None else None


# --------------------------------------------------------------------------- registries


def registry_for(
    args: argparse.Namespace, *sources: str, have: Sequence[str] = ()
) -> RegistryOptions | None:
    """Registry options when some SOURCE (pulled) or ``have`` image is a registry
    reference, else None. ``--username`` belongs to the registry of the pulled ones."""
    from planner.sources import is_registry_spec, source_reference

    pulled = [s for s in sources if is_registry_spec(s)]
    if not pulled and not any(is_registry_spec(s) for s in have):
        return None
    registries = {source_reference(s).registry: None for s in pulled}
    also = {source_reference(s).registry: None for s in have if is_registry_spec(s)}
    return registry_options(
        args, reads_stdin="-" in sources, registries=list(registries), also=list(also)
    )


def login_registry(
    args: argparse.Namespace, registries: Sequence[str], also: Sequence[str] = ()
) -> str | None:
    """The one registry ``--username`` is for (None without it).

    Docker scopes a login to one registry (``docker login HOST``); so does the
    command line: the registry of the images named, or ``--registry-login HOST``
    when they are on several. Credentials are never offered to another registry.
    """
    if args.registry_login is not None and not args.username:
        raise InvalidInput("--registry-login needs --username (and --password-stdin)")
    if not args.username:
        return None
    known = list(dict.fromkeys(registry_name(r) for r in (*registries, *also)))
    if args.registry_login is not None:
        try:
            chosen = registry_name(args.registry_login)
        except InvalidReference as exc:
            raise InvalidInput(f"--registry-login: {exc}") from None
        if chosen not in known:
            raise InvalidInput(
                f"--registry-login {one_line(args.registry_login)}: no image of this run is on"
                f" that registry (they are on {', '.join(known) or 'no registry'})"
            )
        return chosen
    named = list(dict.fromkeys(registry_name(r) for r in registries))
    if len(named) == 1:
        return named[0]
    if not named:
        raise InvalidInput(
            "--username: no image to pull names a registry; name the one the credential is"
            " for with --registry-login HOST"
        )
    raise InvalidInput(
        f"--username: the images are on {len(named)} registries ({', '.join(named)});"
        " name the one the credential is for with --registry-login HOST"
    )


def registry_options(
    args: argparse.Namespace,
    reads_stdin: bool,
    registries: Sequence[str] = (),
    also: Sequence[str] = (),
) -> RegistryOptions:
    """RegistryOptions from the flags; ``registries`` are those of the images pulled,
    ``also`` those of other images the run reads (``have:``)."""
    if args.password_stdin and not args.username:
        raise InvalidInput("--password-stdin needs --username")
    if args.username and not args.password_stdin:
        raise InvalidInput(
            "--username needs --password-stdin (passwords are never taken as arguments)"
        )
    login = login_registry(args, registries, also)
    if args.password_stdin and reads_stdin:
        raise InvalidInput("SOURCE - and --password-stdin both read standard input")
    if args.timeout <= 0:
        raise InvalidInput(f"--timeout must be positive, not {args.timeout}")
    if args.retries < 0:
        raise InvalidInput(f"--retries must be 0 or more, not {args.retries}")
    # The CLI runs its requests on asyncio. httpcore imports trio, when installed, only to
    # serve trio callers; in this process there are none, and the import costs ~90 ms.
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]
    from planner.transport.credentials import Credential, CredentialStore
    from planner.transport.options import RegistryOptions

    explicit = None
    if args.username:
        raw = read_stdin(MAX_PASSWORD, "--password-stdin", line=True)
        try:
            secret = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"--password-stdin: the password on standard input is not UTF-8 text"
                f" (byte {exc.start})"
            ) from None
        if not secret:
            raise InvalidInput("--password-stdin: no password on standard input")
        explicit = Credential(args.username, secret, origin="--username")
    return RegistryOptions(
        credentials=CredentialStore(explicit, registry=login),
        cache_dir=Path(args.cache_dir).expanduser() if args.cache_dir else None,
        use_cache=not args.no_cache,
        plain_http=args.plain_http,
        timeout=args.timeout,
        retries=args.retries,
        deadline=args.deadline,
        log=_stderr_log if args.verbose else None,
        notify=_stderr_log,
    )


def _stderr_log(line: str) -> None:
    """Request logs (--verbose) and retry notices: one escaped line each on stderr."""
    from planner.report.layout import safe

    print(f"pull-planner: {safe(line)}", file=sys.stderr)


# --------------------------------------------------------------------------- reports


def page_inputs(args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(inventory, options) of a ``check`` run, as the page records them."""
    inventory = [("file", args.hosts)] if args.hosts else [("--platform", args.platform)]
    inventory += [("-f", name) for name in args.filename]
    inventory += [("--host", name) for name in args.host]
    inventory += [("--select", label) for label in args.select]
    options = [("--allow-missing", pattern) for pattern in args.allow_missing]
    flags = (("--no-plan", args.no_plan), ("--expand", args.expand))
    options += [(flag, "yes") for flag, on in flags if on]
    return inventory, options


def render_options(args: argparse.Namespace) -> RenderOptions:
    """How ``check`` lays out its report: the terminal's width and colour, ``--expand``,
    ``--suggest``, ``--rows``, and the inputs and time the HTML page records."""
    from planner.report.formats import RenderOptions
    from planner.report.html.fleet import stamp
    from planner.report.layout import Style, terminal_width

    inventory, recorded = page_inputs(args)
    return RenderOptions(
        width=terminal_width(),
        color=Style().enabled,
        expand=args.expand,
        suggest=args.suggest,
        rows=args.rows,
        inventory=tuple(inventory),
        recorded=tuple(recorded),
        generated=stamp(),
    )


def report_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(format, path) of each report ``check`` also writes to a file (``--junit FILE``…)."""
    from planner.report.formats import FORMATS

    return [
        (f.name, getattr(args, f.name))
        for f in FORMATS.values()
        if f.to_file and getattr(args, f.name)
    ]


def rate_limits(args: argparse.Namespace) -> list[RateLimit]:
    """``--rate-limit N/DURATION[@REGISTRY]``, each as given; a bad one is one line, exit 2."""
    from planner.transport.stats import parse_rate_limit

    out = []
    for text in getattr(args, "rate_limit", []):
        try:
            out.append(parse_rate_limit(text))
        except InvalidInput as exc:
            raise InvalidInput(f"--rate-limit: {exc}") from None
    return out


def unmatched_limits(limits: Sequence[RateLimit], rollout: Rollout | None) -> None:
    """A ``--rate-limit @REGISTRY`` that no pull of the run goes to is an error (as an
    ``--allow-missing`` pattern that matches nothing): a misspelt registry would else turn
    the gate off without a word."""
    registries = sorted({row.registry for row in rollout.rows}) if rollout is not None else []
    for limit in limits:
        if limit.registry and not any(limit.applies_to(r) for r in registries):
            raise InvalidInput(
                f"--rate-limit ...@{one_line(limit.registry)}: no pull of this run goes to that"
                f" registry (they go to {', '.join(registries) or 'no registry'})"
            )


def check_upstream(args: argparse.Namespace, hosts: Sequence[HostProfile]) -> None:
    """``--upstream`` compares a mirror's answer with upstream's: with no host that has a
    registry configuration it would do nothing, so it is refused rather than ignored."""
    if getattr(args, "upstream", False) and not any(h.registry_config for h in hosts):
        raise InvalidInput(
            "--upstream compares what a host's mirror serves with upstream: no host of this run"
            " has a registry configuration (--registry-config PATH, or registry_config in the"
            " host profile)"
        )
