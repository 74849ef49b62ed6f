"""An engine and its registries: ``registry`` (which registry configuration the engine
reads and what it does with it) and ``requests`` (the requests one pull makes).

The formats' meaning (which names a Docker mirror serves, how a containers ``prefix``
is rewritten) is the readers' (:mod:`planner.hosts.registries`); what differs between
engines and releases, and is data here, is which format the engine reads, how it
qualifies a short name, and when it moves on to the next endpoint. Ranges change it
per release like any other key (``ranges[].set.registry``).
"""

from __future__ import annotations

from typing import Literal, cast

from planner.model.record import dataclass
from planner.model.yamlfile import Checker, MarkedMap

__all__ = [
    "CONFIG_FORMATS",
    "HELD",
    "RegistryRules",
    "RequestRules",
    "read_registry",
    "read_requests",
]

CONFIG_FORMATS = (
    "containerd-hosts",
    "containerd-config",
    "registries-conf",
    "daemon-json",
    "registries-yaml",
)
ShortNames = Literal["docker-hub", "search"]
Fallback = Literal["any-error", "mirror-errors"]
ShortNameMode = Literal["config", "disabled", "enforcing"]


@dataclass(frozen=True)
class RegistryRules:
    """An engine's handling of registry configuration."""

    config: tuple[str, ...]
    """The formats it reads (``containerd-hosts``, ``registries-conf``, ``daemon-json``,
    ``registries-yaml``)."""
    short_names: ShortNames
    """``docker-hub``: a short name is ``docker.io/library/NAME``; ``search``: aliases, then
    ``unqualified-search-registries`` under the short-name mode."""
    short_name_mode: ShortNameMode
    """``config``: the configuration's ``short-name-mode``; ``disabled`` / ``enforcing``: the
    engine's own, whatever the file says (CRI-O)."""
    fallback: Fallback
    """``any-error``: any failure at an endpoint (a 404 too) moves to the next; ``mirror-errors``:
    a mirror's failure does, the registry's own answer is final (Docker's classic store)."""
    source: str
    """Where this behaviour is read from: repository, file, function, release."""


def read_registry(check: Checker, top: MarkedMap) -> RegistryRules | None:
    if "registry" not in top:
        return None
    node = check.mapping(
        top["registry"],
        "registry",
        required=("config", "source"),
        optional=("short_names", "short_name_mode", "fallback"),
        parent=top,
        key="registry",
    )
    formats = check.strings(node, "config", "registry.config", scalar_ok=True)
    for value in formats:
        check.check_choice(node, "config", "registry.config", value, CONFIG_FORMATS)
    return RegistryRules(
        config=formats,
        short_names=cast(
            ShortNames,
            check.choice(
                node, "short_names", "registry.short_names", ("docker-hub", "search"), "docker-hub"
            ),
        ),
        short_name_mode=cast(
            ShortNameMode,
            check.choice(
                node,
                "short_name_mode",
                "registry.short_name_mode",
                ("config", "disabled", "enforcing"),
                "config",
            ),
        ),
        fallback=cast(
            Fallback,
            check.choice(
                node, "fallback", "registry.fallback", ("any-error", "mirror-errors"), "any-error"
            ),
        ),
        source=check.string(node, "source", "registry.source", non_empty=True),
    )


# --------------------------------------------------------------------------- requests per pull
# ``requests``: the registry requests one pull makes, per engine release.
#
# What the engine asks the registry for a tag: HEADs and GETs of the tag's manifest, a GET of
# each child manifest on the way (unless the engine already holds it, where it looks first),
# one GET per blob it lacks, and the token requests of a registry that wants a bearer token.
# The counting (:func:`planner.app.requests.pull_requests`) is the same for every engine; what
# differs, and is data here, are these numbers.

HELD = ("fetched", "skipped")
Held = Literal["fetched", "skipped"]


@dataclass(frozen=True)
class RequestRules:
    """What one pull of a tag costs the registry, before blobs."""

    tag_head: int
    """Manifest HEADs to resolve the tag to a digest (containerd's resolver: 1)."""
    tag_get: int
    """GETs of the tag's own document (the index, or the single image's manifest)."""
    held: Held
    """A child manifest the engine already holds: ``fetched`` again, or ``skipped``."""
    tokens: int
    """Token requests per pull, at a registry that wants a bearer token (0 at one that does not)."""
    source: str
    """Where these numbers are read from (or measured)."""


def read_requests(check: Checker, top: MarkedMap) -> RequestRules | None:
    if "requests" not in top:
        return None
    node = check.mapping(
        top["requests"],
        "requests",
        required=("source",),
        optional=("tag_head", "tag_get", "held", "tokens"),
        parent=top,
        key="requests",
    )

    def count(key: str, default: int) -> int:
        value = node.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
            raise check.fail(node, key, f"requests.{key}", "must be a whole number from 0 to 9")
        return value

    return RequestRules(
        tag_head=count("tag_head", 0),
        tag_get=count("tag_get", 1),
        held=cast(Held, check.choice(node, "held", "requests.held", HELD, "fetched")),
        tokens=count("tokens", 1),
        source=check.string(node, "source", "requests.source", non_empty=True),
    )
