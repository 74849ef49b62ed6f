"""``registry``: which registry configuration an engine reads and what it does with it.

The formats' meaning (which names a Docker mirror serves, how a containers ``prefix``
is rewritten) is the readers' (:mod:`planner.hosts.registries`); what differs between
engines and releases, and is data here, is which format the engine reads, how it
qualifies a short name, and when it moves on to the next endpoint. Ranges change it
per release like any other key (``ranges[].set.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from planner.model.yamlfile import Checker, MarkedMap

__all__ = ["CONFIG_FORMATS", "RegistryRules", "read_registry"]

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
