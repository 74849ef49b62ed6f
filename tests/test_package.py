"""Packaging: the public API, py.typed, and rule sets shipped inside the wheel."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

import planner
from tests.helpers import ROOT, SEED_INDEX

EXPECTED_API = [
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


def test_exported_names() -> None:
    """__all__ is exactly the intended list, in order, and nothing else is public."""
    assert planner.__all__ == EXPECTED_API
    # httpx's test_exported_members pattern: every public name of the package
    # namespace is exported, and every exported name exists.
    # Names load on first use (PEP 562), so the namespace is what dir() lists.
    public = {
        name
        for name in dir(planner)
        if not name.startswith("_") and not isinstance(getattr(planner, name), types.ModuleType)
    }
    assert public | {"__version__"} == set(planner.__all__)
    assert callable(planner.select)  # the function, not the planner.select package


def test_every_error_is_a_planner_error() -> None:
    """Every exception class defined anywhere in the package derives from PlannerError."""
    import importlib
    import pkgutil

    found = []
    for info in pkgutil.walk_packages(planner.__path__, "planner."):
        if info.name == "planner.__main__":
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found.append(value)
                assert issubclass(value, planner.PlannerError), value
    assert len(found) >= 15


def test_py_typed_marker() -> None:
    assert (Path(planner.__file__).parent / "py.typed").is_file()


def test_importing_the_package_loads_no_app_code() -> None:
    """Start-up: the CLI loads the app modules a command uses, none at import."""
    code = "import sys, planner.cli; print(sorted(m for m in sys.modules if m.startswith('planner.app')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "argv",
    [
        ["resolve", str(SEED_INDEX), "--platform", "linux/arm64", "--format", "json"],
        ["plan", f"oci:{ROOT / 'examples' / 'webapp'}:2.1", "--platform", "linux/arm64"],
        [
            "check",
            f"oci:{ROOT / 'examples' / 'webapp'}:2.1",
            "--hosts",
            str(ROOT / "examples" / "fleet-linux.yaml"),
        ],
    ],
    ids=["resolve", "plan", "check"],
)
def test_offline_commands_do_not_import_httpx(argv: list[str]) -> None:
    code = (
        f"import sys, planner.cli as c; c.main({argv!r});"
        " print('httpx' in sys.modules, 'asyncio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_wheel_ships_rule_sets(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("pull_planner-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        rule_files = sorted(n for n in names if n.startswith("planner/_rules/"))
        assert rule_files == [
            f"planner/_rules/{p.name}" for p in sorted((ROOT / "rules").iterdir())
        ]
        assert "planner/_rules/README.md" in rule_files  # the format's documentation ships too
        assert "planner/py.typed" in names
        assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
        archive.extractall(tmp_path / "site")
    # Import from the unpacked wheel, far from the checkout: the rules come from planner/_rules.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    code = (
        "import planner, planner.policy.catalog as r;"
        "print(planner.__file__); print(r.rules_dir());"
        f"print(planner.resolve({str(SEED_INDEX)!r}, 'linux/arm64').selected.digest)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    ).stdout.splitlines()
    assert out[0].startswith(str(tmp_path / "site"))
    assert out[1] == str(tmp_path / "site" / "planner" / "_rules")
    assert out[2] == "sha256:84662fc278c8595651064cf500c414f46680ccd1184d1f39efe42f384dcaaae8"


def test_every_error_class_is_a_planner_error_listed_in_the_tree() -> None:
    """Every exception class the library defines derives from PlannerError, and every public
    one is drawn in planner/model/errors.py's tree, where users look for what to catch."""
    import ast

    from planner.model import errors

    tree_text = errors.__doc__ or ""
    root = Path(planner.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            value = getattr(importlib.import_module(module), node.name)
            if isinstance(value, type) and issubclass(value, BaseException):
                found.append(value)
                assert issubclass(value, planner.PlannerError), f"{module}.{node.name}"
                if not node.name.startswith("_"):
                    listed = re.search(rf"[─ ]{node.name}[ (]", tree_text)
                    assert listed, f"{node.name} is not in the error tree"
    assert len(found) >= 20
