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

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module each lives in. They are imported on first use
# (PEP 562), so that `pull-planner --version` and offline commands do not pay
# for modules they do not need (httpx above all).
_EXPORTS = {
    "Denied": "errors",
    "DigestMismatch": "errors",
    "InvalidInput": "errors",
    "InvalidManifest": "errors",
    "InvalidPlatform": "errors",
    "InvalidReference": "errors",
    "InvalidRules": "errors",
    "InvalidSource": "errors",
    "NoCompatibleImage": "errors",
    "NotFound": "errors",
    "PlannerError": "errors",
    "RateLimited": "errors",
    "RegistryError": "errors",
    "SourceError": "errors",
    "Unauthorized": "errors",
    "Descriptor": "manifest",
    "ImageManifest": "manifest",
    "Index": "manifest",
    "parse_document": "manifest",
    "Plan": "planning",
    "PlannedBlob": "planning",
    "Totals": "planning",
    "plan": "planning",
    "Platform": "platform",
    "Reference": "reference",
    "Resolution": "resolution",
    "resolve": "resolution",
    "Candidate": "resolver",
    "Selection": "resolver",
    "select": "resolver",
    "RuleSet": "rulesets",
    "available_rule_sets": "rulesets",
    "load_rules": "rulesets",
    "Source": "sources",
    "open_source": "sources",
    "Stats": "stats",
    "RegistryOptions": "registry",
    "CredentialStore": "registry",
    "Credential": "registry",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"planner.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
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
    from planner.planning import Plan, PlannedBlob, Totals, plan
    from planner.platform import Platform
    from planner.reference import Reference
    from planner.registry import Credential, CredentialStore, RegistryOptions
    from planner.resolution import Resolution, resolve
    from planner.resolver import Candidate, Selection, select
    from planner.rulesets import RuleSet, available_rule_sets, load_rules
    from planner.sources import Source, open_source
    from planner.stats import Stats

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
