"""Where a host really pulls from: its registry configuration's route, asked as the engine asks.

:func:`resolve_routed` takes a host with a registry configuration
(:attr:`~planner.hosts.records.HostProfile.registry_config`) and a reference, and:

1. checks that the host's engine reads that format (the family's ``registry.config``);
2. takes the route (:meth:`~planner.hosts.registries.RegistryConfig.route`): short names
   qualified, the endpoints in the engine's order, those that may serve a tag (or a digest);
3. asks each endpoint in turn for the reference, moving on as the engine does
   (``registry.fallback``: after any error, or after a mirror's only), and resolves the
   host's pick from the first that answers: what the host really gets there;
4. when a mirror's answer leaves the host without an image that runs, asks upstream too,
   and says in one line how the mirror's copy differs (``mirror M serves only
   linux/amd64 for this tag; upstream has linux/arm64``). Upstream is asked for nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from planner.app.resolve import Resolution, Routed, Upstream, resolve_source
from planner.hosts.records import HostProfile
from planner.hosts.registries import Hop, InvalidRegistryConfig, RegistryConfig, Route
from planner.model.arguments import check_argument
from planner.model.errors import RegistryError, SourceError
from planner.model.platform import Platform
from planner.model.record import replace
from planner.model.text import one_line
from planner.policy.ruleset import RuleSet
from planner.select.runs import Isolation
from planner.sources import Source, check_registry
from planner.sources.sourceset import SourceSet

if TYPE_CHECKING:
    from planner.transport.options import RegistryOptions

__all__ = ["OpenSource", "check_engine", "resolve_host", "resolve_routed", "route_for"]

OpenSource = Callable[[str], Source]
"""Opens a SOURCE string (a reference at an endpoint) on the run's registry session."""


class RoutedHost(Protocol):
    """What routing reads of a host: a :class:`~planner.hosts.records.HostProfile`, or the
    :class:`~planner.app.pulls.PullHost` of a node pool (its first host's name)."""

    @property
    def name(self) -> str: ...
    @property
    def platform(self) -> Platform: ...
    @property
    def rules(self) -> RuleSet: ...
    @property
    def isolation(self) -> Isolation | None: ...
    @property
    def registry_config(self) -> RegistryConfig | None: ...


def check_engine(config: RegistryConfig, rules: RuleSet, host: str = "") -> None:
    """The host's engine reads this configuration's format, or one clear line."""
    who = f"host {host!r}: " if host else ""
    engine = rules.registry
    if engine is None:
        raise InvalidRegistryConfig(
            f"{config.path}: {who}rules {rules.name} declare no registry block: which"
            " registry configuration this engine reads is not known"
        )
    if config.format not in engine.config:
        raise InvalidRegistryConfig(
            f"{config.path}: {who}a {config.kind} ({config.format}), which {rules.name} does not"
            f" read (it reads: {', '.join(engine.config)})"
        )


def resolve_host(
    source: str,
    host: HostProfile,
    *,
    registry: RegistryOptions | None = None,
    compare: bool = False,
) -> Resolution:
    """:func:`resolve_routed` on a registry session of its own (``registry``: how to talk
    to registries); a host without a registry configuration asks the reference's registry."""
    check_argument(source, str, "source", "a SOURCE string")
    check_argument(host, HostProfile, "host", "a HostProfile")
    check_registry(registry)
    check_argument(compare, bool, "compare", "True or False")
    with SourceSet(registry) as sources:
        if host.registry_config is None:
            return resolve_source(
                sources.get(source), host.platform, host.rules, isolation=host.isolation
            )
        return resolve_routed(source, host, sources.get, compare=compare)


def route_for(text: str, host: RoutedHost) -> Route:
    """The route of ``text`` for ``host`` (which has a registry configuration)."""
    config = host.registry_config
    assert config is not None
    check_engine(config, host.rules, host.name)
    engine = host.rules.registry
    assert engine is not None
    return config.route(text, short_name_mode=engine.short_name_mode)


def resolve_routed(
    text: str, host: RoutedHost, open_source: OpenSource, *, compare: bool = False
) -> Resolution:
    """Which image ``host`` pulls for ``text``, from the endpoint its configuration sends it to.

    ``compare``: when a mirror answers, also ask upstream (a ``HEAD``; the whole answer only
    when the copies differ) and keep both (:attr:`Routed.upstream`)."""
    route = route_for(text, host)
    engine = host.rules.registry
    assert engine is not None
    ref = route.reference
    by_digest = ref.digest is not None
    hops = route.usable(by_digest)
    if not hops:
        need = "pull" if by_digest else "pull and resolve"
        raise InvalidRegistryConfig(
            f"{route.config}: no endpoint may serve {ref} ({'a digest' if by_digest else 'a tag'}"
            f" needs {need}): the engine fails with no resolve hosts"
        )
    failed: list[tuple[str, str]] = []
    last: SourceError | None = None
    for i, hop in enumerate(hops):
        if hop.path != "/v2":
            failed.append((hop.endpoint, f"API root {hop.path}: pull-planner asks /v2 only"))
            continue
        try:
            source = open_source(str(hop.reference(ref)))
            source.read_top()
        except SourceError as exc:
            last = exc
            failed.append((hop.endpoint, one_line(str(exc))))
            final = isinstance(exc, RegistryError) and exc.status >= 400
            if engine.fallback == "mirror-errors" and not hop.mirror and final:
                break
            continue
        resolution = resolve_source(source, host.platform, host.rules, isolation=host.isolation)
        upstream: Upstream | None = None
        differs = ""
        problem = resolution.selected is None or bool(resolution.problem)
        if hop.mirror and (problem or compare):
            upstream, differs = _upstream(
                hop, resolution, route, host, open_source, explain=problem
            )
        routed = Routed(
            config=route.config,
            origin=str(hop.origin) if hop.origin else "",
            asked=str(hop.reference(ref)),
            note=route.note,
            failed=tuple(failed),
            fallbacks=tuple(h.endpoint for h in hops[i + 1 :]),
            differs=differs,
            upstream=upstream,
        )
        return replace(resolution, source=str(ref), endpoint=hop.endpoint, route=routed)
    tried = "; ".join(f"{endpoint}: {message}" for endpoint, message in failed)
    message = f"{ref}: every endpoint {host.name!r} would ask failed ({route.config}): {tried}"
    if isinstance(last, RegistryError):
        raise type(last)(message, last.status, last.codes, login=last.login)
    raise SourceError(message)


def _upstream(
    hop: Hop,
    at_mirror: Resolution,
    route: Route,
    host: RoutedHost,
    open_source: OpenSource,
    *,
    explain: bool,
) -> tuple[Upstream | None, str]:
    """Upstream's answer next to the mirror's, and the one line when the copies differ.

    One ``HEAD`` tells that upstream serves the same copy (nothing more is read); only a
    different copy is resolved there. ``explain``: the mirror's answer is a problem, and
    the line says what the mirror serves and what upstream has for this host.
    """
    primary = next((h for h in reversed(route.hops) if not h.mirror), None)
    if primary is None:
        return None, ""
    if at_mirror.index is None and at_mirror.platform is not None:
        served = f"mirror {hop.endpoint} serves only {at_mirror.platform.describe()} for this tag"
    else:
        served = f"mirror {hop.endpoint} offers {', '.join(at_mirror.offered()) or 'no entries'}"
    mirror_digest = _top_digest(at_mirror)
    try:
        source = open_source(str(primary.reference(route.reference)))
        digest = source.head_top()
        if digest is not None and digest == mirror_digest:
            same = Upstream(primary.endpoint, digest, same=True)
            return same, (
                f"{served}; upstream {primary.endpoint} serves the same copy" if explain else ""
            )
        theirs = resolve_source(source, host.platform, host.rules, isolation=host.isolation)
    except SourceError as exc:
        said = one_line(str(exc))
        line = f"{served}; upstream {primary.endpoint} cannot be asked: {said}"
        return Upstream(primary.endpoint, None, same=False, problem=said), line if explain else ""
    top = _top_digest(theirs)
    answer = Upstream(
        primary.endpoint,
        top,
        same=top == mirror_digest,
        selected=theirs.selected.digest if theirs.selected is not None else None,
        platform=theirs.platform.describe() if theirs.platform is not None else None,
        problem=theirs.problem,
    )
    if answer.same:
        line = f"{served}; upstream {primary.endpoint} serves the same copy" if explain else ""
    elif not explain:
        line = f"mirror {hop.endpoint}'s copy differs from upstream's ({mirror_digest} vs {top})"
    elif theirs.selected is not None and not theirs.problem and theirs.platform is not None:
        line = f"{served}; upstream has {theirs.platform.describe()}"
    else:
        line = f"{served}; upstream {primary.endpoint} has none for this host either"
    return answer, line


def _top_digest(resolution: Resolution) -> str | None:
    """The digest the tag points to there: the index, or the single image."""
    top = resolution.index or resolution.selected
    return top.digest if top is not None else None
