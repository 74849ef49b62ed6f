"""pull-planner: which image would this host pull from this tag, and why?

The library first, the CLI on top::

    import planner

    host = planner.Platform.parse("linux/arm64")
    result = planner.resolve("examples/dotnet-core-runtime-3.0.json", host, rules="docker")
    result.selected.digest      # the image manifest the host pulls
    result.candidates           # every entry with its verdict (.verdict.code) and reason

One package per layer; a layer imports only the layers after it (a test walks
every import, function-level ones too, and fails on an upward one or a cycle):

layers: cli > report > workloads > app > hosts > sources > transport > select > policy > model

* ``model``: values (platforms, references, manifests, Windows builds, errors,
  units, stats) and the YAML reader with its validator;
* ``policy``: rule sets as data, their file schema and loader, normalization;
* ``select``: the judge and the selector, verdicts as data and their English;
* ``transport``: the Distribution API over httpx: auth, credentials, cache;
* ``sources``: JSON files, OCI layouts and registries behind one interface;
* ``hosts``: host records, profiles and their schema, the inventories hosts
  produce (kubectl, docker info, podman info), this machine;
* ``app``: the answers: resolve, plan, compare, fleets (no flags, no printing);
* ``workloads``: Kubernetes and Compose files as workloads, scheduling, the
  workload check and its suggested fix;
* ``report``: every result in every format (:func:`render`), the terminal layout;
* ``cli``: the parser, the command table, what flags mean, exit codes.
"""

import importlib as _importlib
import sys as _sys
import types as _types

from planner.model import __version__
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

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (4 ms)
if TYPE_CHECKING:
    from typing import Any

    from planner.app.fleet import FleetReport, PairResult, run_fleet
    from planner.app.plan import Plan, PlannedBlob, Totals, plan
    from planner.app.resolve import Resolution, Routed, resolve
    from planner.app.route import resolve_host
    from planner.app.verify import Verification
    from planner.hosts.inventory import load_inventory
    from planner.hosts.local import LocalHost, Machine, read_machine
    from planner.hosts.profiles import load_hosts
    from planner.hosts.records import HostProfile, InvalidInventory, InvalidProfile, Taint
    from planner.hosts.registries import (
        InvalidRegistryConfig,
        RegistryConfig,
        Route,
        load_registry_config,
    )
    from planner.model.manifest import Descriptor, ImageManifest, Index, parse_document
    from planner.model.platform import Platform
    from planner.model.reference import Reference
    from planner.policy.loader import available_rule_sets, load_rules
    from planner.policy.ruleset import RuleSet
    from planner.report.formats import FORMATS, RenderOptions, render
    from planner.select.selector import Candidate, Selection, select
    from planner.select.verdicts import Code, Notice, NoticeCode, Verdict
    from planner.sources import Source, open_source
    from planner.transport.credentials import Credential, CredentialStore
    from planner.transport.options import RegistryOptions
    from planner.transport.stats import Stats
    from planner.workloads.check import WorkloadReport, WorkloadResult, check_workloads
    from planner.workloads.files import Manifests, read_manifests
    from planner.workloads.model import Workload, WorkloadError

del TYPE_CHECKING  # not a name of the package

_LAZY = {
    "planner.model.manifest": ("Descriptor", "ImageManifest", "Index", "parse_document"),
    "planner.model.platform": ("Platform",),
    "planner.model.reference": ("Reference",),
    "planner.transport.stats": ("Stats",),
    "planner.policy.ruleset": ("RuleSet",),
    "planner.select.selector": ("Candidate", "Selection"),
    "planner.select.verdicts": ("Code", "Notice", "NoticeCode", "Verdict"),
    "planner.app.fleet": ("FleetReport", "PairResult", "run_fleet"),
    "planner.hosts.records": ("HostProfile", "InvalidInventory", "InvalidProfile", "Taint"),
    "planner.hosts.inventory": ("load_inventory",),
    "planner.hosts.local": ("LocalHost", "Machine", "read_machine"),
    "planner.workloads.files": ("Manifests", "read_manifests"),
    "planner.app.plan": ("Plan", "PlannedBlob", "Totals", "plan"),
    "planner.hosts.profiles": ("load_hosts",),
    "planner.app.resolve": ("Resolution", "Routed", "resolve"),
    "planner.app.route": ("resolve_host",),
    "planner.app.verify": ("Verification",),
    "planner.hosts.registries": (
        "InvalidRegistryConfig",
        "RegistryConfig",
        "Route",
        "load_registry_config",
    ),
    "planner.workloads.check": ("WorkloadReport", "WorkloadResult", "check_workloads"),
    "planner.workloads.model": ("Workload", "WorkloadError"),
    "planner.policy.loader": ("available_rule_sets", "load_rules"),
    "planner.report.formats": ("FORMATS", "RenderOptions", "render"),
    "planner.sources": ("Source", "open_source"),
    "planner.transport.credentials": ("Credential", "CredentialStore"),
    "planner.transport.options": ("RegistryOptions",),
}
"""Names whose modules are imported on first use (PEP 562), so that a command
imports what it uses: ``--version`` loads none of them, a registry ``plan``
never loads fleets or inventories. ``select`` is also the name of the
``planner.select`` package, which must not shadow the function: see
:class:`_Package`."""
_HOME = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> "Any":
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


class _Package(_types.ModuleType):
    """This package's module type: ``planner.select`` is the function, imported on
    first use, however and whenever the subpackage ``planner.select`` is imported
    (the import system names a subpackage on its parent; here that is ignored)."""

    @property
    def select(self) -> "Any":
        from planner.select.selector import select

        return select

    @select.setter
    def select(self, value: "Any") -> None:
        pass


_sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "FORMATS",
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
    "InvalidRegistryConfig",
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
    "RegistryConfig",
    "RegistryError",
    "RegistryOptions",
    "RenderOptions",
    "Resolution",
    "Route",
    "Routed",
    "RuleSet",
    "Selection",
    "Source",
    "SourceError",
    "Stats",
    "Taint",
    "Totals",
    "Unauthorized",
    "Verdict",
    "Verification",
    "Workload",
    "WorkloadError",
    "WorkloadReport",
    "WorkloadResult",
    "__version__",
    "available_rule_sets",
    "check_workloads",
    "load_hosts",
    "load_inventory",
    "load_registry_config",
    "load_rules",
    "open_source",
    "parse_document",
    "plan",
    "read_machine",
    "read_manifests",
    "render",
    "resolve",
    "resolve_host",
    "run_fleet",
    "select",
]
