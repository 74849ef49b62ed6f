"""pull-planner: which image would this host pull from this tag, and why?

The library first, the CLI on top::

    import planner

    host = planner.Platform.parse("linux/arm64")
    result = planner.resolve("examples/dotnet-core-runtime-3.0.json", host, rules="docker")
    result.selected.digest      # the image manifest the host pulls
    result.candidates           # every entry with its verdict (.verdict.code) and reason

One package per layer; a layer imports only the layers after it (a test walks
every import, function-level ones too, and fails on an upward one or a cycle):

layers: cli > app > sources > transport > select > policy > model

* ``model``: values (platforms, references, manifests, Windows builds, errors,
  units, stats) and the YAML reader with its validator;
* ``policy``: rule sets as data, their file schema and loader, normalization;
* ``select``: the judge and the selector, verdicts as data and their English;
* ``transport``: the Distribution API over httpx: auth, credentials, cache;
* ``sources``: JSON files, OCI layouts and registries behind one interface;
* ``app``: resolve, plan, fleet and workload checks, host inventories (no flags,
  no printing);
* ``cli``: the parser, the command table, renderers.
"""

from planner.app.fleet import FleetReport, PairResult, run_fleet
from planner.app.hosts import HostProfile, InvalidInventory, InvalidProfile, Taint
from planner.app.inventory import load_inventory
from planner.app.localhost import LocalHost, Machine, read_machine
from planner.app.manifests import Manifests, read_manifests
from planner.app.plan import Plan, PlannedBlob, Totals, plan
from planner.app.profiles import load_hosts
from planner.app.resolve import Resolution, resolve
from planner.app.workloads import WorkloadReport, WorkloadResult, check_workloads
from planner.app.workloads_model import Workload, WorkloadError
from planner.model.errors import (
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
from planner.model.manifest import Descriptor, ImageManifest, Index, parse_document
from planner.model.platform import Platform
from planner.model.reference import Reference
from planner.model.stats import Stats
from planner.model.version import __version__
from planner.policy.loader import available_rule_sets, load_rules
from planner.policy.ruleset import RuleSet
from planner.select.selector import Candidate, Selection, select
from planner.select.verdicts import Code, Notice, NoticeCode, Verdict
from planner.sources import Source, open_source
from planner.transport.credentials import Credential, CredentialStore
from planner.transport.options import RegistryOptions

__all__ = [
    "Candidate",
    "Code",
    "Credential",
    "CredentialStore",
    "Denied",
    "Descriptor",
    "DigestMismatch",
    "FleetReport",
    "HostProfile",
    "ImageManifest",
    "Index",
    "InvalidInput",
    "InvalidInventory",
    "InvalidManifest",
    "InvalidPlatform",
    "InvalidProfile",
    "InvalidReference",
    "InvalidRules",
    "InvalidSource",
    "LocalHost",
    "Machine",
    "Manifests",
    "NoCompatibleImage",
    "NotFound",
    "Notice",
    "NoticeCode",
    "PairResult",
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
    "Taint",
    "Totals",
    "Unauthorized",
    "Verdict",
    "Workload",
    "WorkloadError",
    "WorkloadReport",
    "WorkloadResult",
    "__version__",
    "available_rule_sets",
    "check_workloads",
    "load_hosts",
    "load_inventory",
    "load_rules",
    "open_source",
    "parse_document",
    "plan",
    "read_machine",
    "read_manifests",
    "resolve",
    "run_fleet",
    "select",
]
