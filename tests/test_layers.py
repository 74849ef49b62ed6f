"""The package's structure, as declared in planner/__init__.py, holds in the code.

* every import, at any depth (function-level and TYPE_CHECKING ones included),
  points to the same layer or one after it in the declared line;
* the modules' import graph has no cycle;
* nothing outside planner/cli names a command-line flag;
* the package face is the only place that imports across the whole tree.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import planner

PACKAGE = Path(planner.__file__).parent
LINE = re.search(r"^layers: (.+)$", planner.__doc__ or "", re.MULTILINE)


def _layers() -> list[str]:
    assert LINE is not None, "planner/__init__.py must declare 'layers: a > b > ...'"
    return [name.strip() for name in LINE.group(1).split(">")]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every planner module this file imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from package import submodule" depends on the submodule; the parent
            # package is imported on the way by Python, whatever the code asks for.
            subs = {f"{base}.{alias.name}" for alias in node.names} & set(_modules())
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(base)
    modules = _modules()
    return {name for name in found if name in modules and name != module}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in _layers() else None


GRAPH = {module: _imports(path, module) for module, path in _modules().items()}
FACES = {"planner", "planner.__main__"}


def test_every_module_is_in_a_layer() -> None:
    loose = [m for m in GRAPH if m not in FACES and _layer_of(m) is None]
    assert not loose, f"modules outside the declared layers: {loose}"
    assert set(_layers()) == {
        "cli",
        "report",
        "workloads",
        "app",
        "hosts",
        "sources",
        "transport",
        "select",
        "policy",
        "model",
    }


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m not in FACES))
def test_imports_point_down(module: str) -> None:
    order = _layers()
    here = order.index(_layer_of(module) or "")
    for target in sorted(GRAPH[module]):
        assert target not in FACES, f"{module} imports the package face {target}"
        there = _layer_of(target)
        assert there is not None
        assert order.index(there) >= here, f"{module} ({order[here]}) imports {target} ({there})"


def test_no_import_cycles() -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if target in FACES:
                continue
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_walker_sees_function_level_and_type_checking_imports() -> None:
    """The walk must see what it claims to see, or the two tests above prove nothing."""
    assert (
        "planner.hosts.profiles" in GRAPH["planner.cli.options"]
    )  # TYPE_CHECKING and in a function
    assert "planner.sources.remote" in GRAPH["planner.sources"]  # inside open_source()
    assert "planner.transport.client" in GRAPH["planner.sources.remote"]


_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
_FOREIGN_FLAGS = {"--isolation", "--patch-file"}  # docker run's and kubectl's, named in advice


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@pytest.mark.parametrize(
    "module",
    sorted(
        m
        for m in GRAPH
        # the page's style sheet: CSS custom properties (--bg) are no flags
        if m not in FACES and _layer_of(m) != "cli" and m != "planner.report.html.assets"
    ),
)
def test_no_flag_names_outside_cli(module: str) -> None:
    """Library messages and docs never name a command-line flag; cli/ words those."""
    path = _modules()[module]
    named = [
        (line, text) for line, text in _strings(path) if set(_FLAG.findall(text)) - _FOREIGN_FLAGS
    ]
    assert not named, f"{path.name} names flags: {named}"
