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

from planner.errors import (
    DigestMismatch,
    InvalidInput,
    InvalidManifest,
    InvalidPlatform,
    InvalidRules,
    InvalidSource,
    NoCompatibleImage,
    PlannerError,
    SourceError,
)
from planner.manifest import Descriptor, ImageManifest, Index, parse_document
from planner.platform import Platform
from planner.resolution import Resolution, resolve
from planner.resolver import Candidate, Selection, select
from planner.rulesets import RuleSet, available_rule_sets, load_rules
from planner.sources import Source, open_source

__all__ = [
    "Candidate",
    "Descriptor",
    "DigestMismatch",
    "ImageManifest",
    "Index",
    "InvalidInput",
    "InvalidManifest",
    "InvalidPlatform",
    "InvalidRules",
    "InvalidSource",
    "NoCompatibleImage",
    "PlannerError",
    "Platform",
    "Resolution",
    "RuleSet",
    "Selection",
    "Source",
    "SourceError",
    "__version__",
    "available_rule_sets",
    "load_rules",
    "open_source",
    "parse_document",
    "resolve",
    "select",
]
