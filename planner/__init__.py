"""pull-planner: which image would this host pull from this tag, and why?

The library first, the CLI on top::

    import planner

    host = planner.Platform.parse("linux/arm64")
    result = planner.resolve("examples/dotnet-core-runtime-3.0.json", host, rules="docker")
    result.selected.digest      # the image manifest the host pulls
    result.candidates           # every entry with its verdict and reason

Layers, each importing only those before it: platform and rule-set values
(:mod:`planner.platform`, :mod:`planner.rulesets`), the pure resolver
(:mod:`planner.resolver`), sources (:mod:`planner.sources`), and the CLI
(:mod:`planner.cli`).
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

from planner.errors import (
    Denied,
    DigestMismatch,
    InvalidInput,
    InvalidManifest,
    InvalidPlatform,
    InvalidReference,
    InvalidRules,
    InvalidSource,
    NoCompatibleImage,
    NotFound,
    PlannerError,
    RateLimited,
    RegistryError,
    SourceError,
    Unauthorized,
)
from planner.manifest import Descriptor, ImageManifest, Index, parse_document
from planner.plan import Plan, PlannedBlob, Totals, plan
from planner.platform import Platform
from planner.reference import Reference
from planner.resolution import Resolution, resolve
from planner.resolver import Candidate, Selection, select
from planner.rulesets import RuleSet, available_rule_sets, load_rules
from planner.sources import Source, open_source
from planner.stats import Stats

# Registry access imports httpx; load it only when asked for (PEP 562).
_LAZY = {"RegistryOptions", "CredentialStore", "Credential"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import planner.registry

        return getattr(planner.registry, name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


__all__ = [
    "Candidate",
    "Credential",
    "CredentialStore",
    "Denied",
    "Descriptor",
    "DigestMismatch",
    "ImageManifest",
    "Index",
    "InvalidInput",
    "InvalidManifest",
    "InvalidPlatform",
    "InvalidReference",
    "InvalidRules",
    "InvalidSource",
    "NoCompatibleImage",
    "NotFound",
    "Plan",
    "PlannedBlob",
    "PlannerError",
    "Platform",
    "RateLimited",
    "Reference",
    "RegistryError",
    "RegistryOptions",
    "Resolution",
    "RuleSet",
    "Selection",
    "Source",
    "SourceError",
    "Stats",
    "Totals",
    "Unauthorized",
    "__version__",
    "available_rule_sets",
    "load_rules",
    "open_source",
    "parse_document",
    "plan",
    "resolve",
    "select",
]
