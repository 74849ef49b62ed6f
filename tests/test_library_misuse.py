"""Every public function of ``planner`` refuses wrong argument types where they enter.

A wrong type is a ``TypeError`` or a :class:`planner.PlannerError` whose message
names the argument, never an error from deep inside (``AttributeError``,
``ZeroDivisionError``) and never a string taken as a sequence of one-character
names. One table covers every function in ``planner.__all__``; a test checks
that the table does.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import planner
from tests.helpers import EXAMPLES, SEED_INDEX

SEED = str(SEED_INDEX)
FLEET = EXAMPLES / "fleet-linux.yaml"
NODES = EXAMPLES / "cluster-nodes.json"
AMD64 = planner.Platform.parse("linux/amd64")


def _host() -> planner.HostProfile:
    return planner.load_hosts(FLEET)[0]


def _fleet() -> planner.FleetReport:
    return planner.run_fleet([SEED], [_host()], plans=False)


def _index() -> planner.Index:
    document = planner.parse_document(SEED_INDEX.read_bytes(), SEED)
    assert isinstance(document, planner.Index)
    return document


MISUSE: dict[str, list[tuple[Callable[[], object], str]]] = {
    "available_rule_sets": [],  # no arguments
    "check_workloads": [
        (lambda: planner.check_workloads([1], [_host()]), "workloads"),  # type: ignore[list-item]
        (lambda: planner.check_workloads([], [2]), "hosts"),  # type: ignore[list-item]
        (lambda: planner.check_workloads("w", [_host()]), "workloads"),  # type: ignore[arg-type]
        (lambda: planner.check_workloads([], [_host()], registry="x"), "registry"),  # type: ignore[arg-type]
    ],
    "load_hosts": [
        (lambda: planner.load_hosts(None), "path"),  # type: ignore[arg-type]
        (lambda: planner.load_hosts(3), "path"),  # type: ignore[arg-type]
    ],
    "load_inventory": [
        (lambda: planner.load_inventory(None), "path"),  # type: ignore[arg-type]
        (lambda: planner.load_inventory([NODES]), "path"),  # type: ignore[arg-type]
    ],
    "load_registry_config": [
        (lambda: planner.load_registry_config(None), "path"),  # type: ignore[arg-type]
        (lambda: planner.load_registry_config(3), "path"),  # type: ignore[arg-type]
    ],
    "resolve_host": [
        (lambda: planner.resolve_host(None, _host()), "source"),  # type: ignore[arg-type]
        (lambda: planner.resolve_host(SEED, "linux/arm64"), "host"),  # type: ignore[arg-type]
        (lambda: planner.resolve_host(SEED, _host(), registry="x"), "registry"),  # type: ignore[arg-type]
        (lambda: planner.resolve_host(SEED, _host(), compare="yes"), "compare"),  # type: ignore[arg-type]
    ],
    "load_rules": [
        (lambda: planner.load_rules(None), "name_or_path"),  # type: ignore[arg-type]
        (lambda: planner.load_rules("docker", base=3), "base"),  # type: ignore[arg-type]
    ],
    "open_source": [
        (lambda: planner.open_source(None), "spec"),  # type: ignore[arg-type]
        (lambda: planner.open_source(SEED, "x"), "registry"),  # type: ignore[arg-type]
    ],
    "parse_document": [
        (lambda: planner.parse_document("text", "w"), "data"),  # type: ignore[arg-type]
        (lambda: planner.parse_document(b"{}", None), "where"),  # type: ignore[arg-type]
        (lambda: planner.parse_document(SEED_INDEX.read_bytes(), "w", digest=3), "digest"),  # type: ignore[arg-type]
    ],
    "plan": [
        (lambda: planner.plan(SEED, "linux/amd64", bandwidth=0), "bandwidth"),
        (lambda: planner.plan(SEED, "linux/amd64", bandwidth=-5), "bandwidth"),
        (lambda: planner.plan(SEED, "linux/amd64", bandwidth="1M"), "bandwidth"),  # type: ignore[arg-type]
        (lambda: planner.plan(SEED, "linux/amd64", bandwidth=float("nan")), "bandwidth"),
        (lambda: planner.plan(SEED, "linux/amd64", registry="x"), "registry"),  # type: ignore[arg-type]
        (
            lambda: planner.plan(SEED, "linux/amd64", have_digests="sha256:" + "a" * 64),
            "have_digests",
        ),
        (lambda: planner.plan(SEED, None), "host"),  # type: ignore[arg-type]
    ],
    "read_machine": [
        (lambda: planner.read_machine(3), "root"),  # type: ignore[arg-type]
        (lambda: planner.read_machine(machine=3), "machine"),  # type: ignore[arg-type]
    ],
    "read_manifests": [
        (lambda: planner.read_manifests(None), "files"),  # type: ignore[arg-type]
        (lambda: planner.read_manifests([3]), "files"),  # type: ignore[list-item]
        (lambda: planner.read_manifests(["a.yaml"], environ=3), "environ"),  # type: ignore[arg-type]
        (lambda: planner.read_manifests(["-"], stdin=3), "stdin"),  # type: ignore[arg-type]
    ],
    "render": [
        (lambda: planner.render("report", "text"), "report"),  # type: ignore[arg-type]
        (lambda: planner.render(_fleet(), "pdf"), "fmt"),
        (lambda: planner.render(_fleet(), "text", {"width": 80}), "options"),  # type: ignore[arg-type]
    ],
    "resolve": [
        (lambda: planner.resolve(SEED, "linux/amd64", registry="x"), "registry"),  # type: ignore[arg-type]
        (lambda: planner.resolve(SEED, "linux/amd64", isolation="bogus"), "isolation"),  # type: ignore[arg-type]
        (lambda: planner.resolve(SEED, 3), "host"),  # type: ignore[arg-type]
    ],
    "run_fleet": [
        (lambda: planner.run_fleet(["x"], ["host"]), "hosts"),  # type: ignore[list-item]
        (lambda: planner.run_fleet(SEED, [_host()]), "images"),
        (lambda: planner.run_fleet([3], [_host()]), "images"),  # type: ignore[list-item]
        (lambda: planner.run_fleet([SEED], _host()), "hosts"),  # type: ignore[arg-type]
        (lambda: planner.run_fleet([SEED], [_host()], registry="x"), "registry"),  # type: ignore[arg-type]
        (lambda: planner.run_fleet([SEED], [_host()], bandwidth=0), "bandwidth"),
    ],
    "select": [
        (lambda: planner.select(_index(), "linux/amd64", planner.load_rules()), "host"),  # type: ignore[arg-type]
        (lambda: planner.select(_index(), AMD64, "docker"), "rules"),  # type: ignore[arg-type]
        (lambda: planner.select(b"{}", AMD64, planner.load_rules()), "index"),  # type: ignore[arg-type]
    ],
}


def test_the_table_covers_every_public_function() -> None:
    functions = {name for name in planner.__all__ if inspect.isfunction(getattr(planner, name))}
    assert functions == set(MISUSE)


CASES = [
    pytest.param(call, argument, id=f"{name}-{i}-{argument}")
    for name, calls in MISUSE.items()
    for i, (call, argument) in enumerate(calls)
]


@pytest.mark.parametrize(("call", "argument"), CASES)
def test_wrong_types_are_refused_naming_the_argument(
    call: Callable[[], object], argument: str
) -> None:
    with pytest.raises((TypeError, planner.PlannerError)) as info:
        call()
    assert argument in str(info.value)


# --------------------------------------------------------------------------- paths


def test_a_path_may_be_str_or_pathlike(tmp_path: Path) -> None:
    class Where(os.PathLike[str]):
        def __init__(self, path: Path) -> None:
            self.path = path

        def __fspath__(self) -> str:
            return str(self.path)

    for path in (str(FLEET), FLEET, Where(FLEET)):
        assert planner.load_hosts(path) == planner.load_hosts(FLEET)  # type: ignore[arg-type]
    for path in (str(NODES), NODES, Where(NODES)):
        assert planner.load_inventory(path) == planner.load_inventory(NODES)  # type: ignore[arg-type]
    workload = tmp_path / "pod.yaml"
    workload.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers: [{name: c, image: 'busybox:1'}]\n"
    )
    expected = planner.read_manifests([str(workload)])
    for one in (str(workload), workload, Where(workload)):
        assert planner.read_manifests(one) == expected  # type: ignore[arg-type]
    assert planner.read_manifests([workload]) == expected  # type: ignore[list-item]


def test_a_missing_path_string_is_one_file_not_characters() -> None:
    with pytest.raises(planner.PlannerError, match=r"/x\.yaml: no such file"):
        planner.read_manifests("/x.yaml")  # type: ignore[arg-type]
