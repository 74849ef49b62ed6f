"""Every report format through the library (:func:`planner.render`), in a process where
``planner.cli`` is never imported, is what ``pull-planner check`` writes, byte for byte
(the HTML page aside from its generation time).

Fleets: the bundled examples (an OCI layout and a saved index on the example EKS
cluster and the Linux fleet). Workloads: the example chart on the real registry
(tests/shop.py), rendered from one library run per format set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from planner.report.formats import FORMATS
from tests.helpers import cli
from tests.shop import Shop
from tests.test_workloads import CHART, NODES, helm_template

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100
_STAMP = re.compile(r", generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")

LIBRARY = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import planner
    from planner import RenderOptions, render

    spec = json.loads(sys.argv[1])
    hosts = planner.load_inventory(Path(spec["hosts"]))
    if spec.get("workloads"):
        manifests = planner.read_manifests([Path(spec["workloads"])])
        report = planner.check_workloads(
            manifests.workloads, hosts, skipped=manifests.skipped,
            registry=planner.RegistryOptions(cache_dir=Path(spec["cache"])),
        )
    else:
        report = planner.run_fleet(spec["images"], hosts, plans=spec["plans"])
    options = RenderOptions(
        width=spec["width"], expand=spec["expand"],
        inventory=(("file", spec["hosts"]),) + tuple(("-f", f) for f in spec.get("files", ())),
        recorded=tuple(tuple(r) for r in spec["recorded"]),
    )
    out = {fmt: render(report, fmt, options) for fmt in planner.FORMATS}
    assert "planner.cli" not in sys.modules, "render imported the command line"
    print(json.dumps(out))
    """
)


def _library(spec: dict[str, object]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", LIBRARY, json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rendered: dict[str, str] = json.loads(done.stdout)
    return rendered


def _cli(*args: str, stdin: str | None = None) -> str:
    os.environ["COLUMNS"] = str(WIDTH)
    try:
        code, out, err = cli(*args, stdin=stdin)
    finally:
        del os.environ["COLUMNS"]
    assert code in (0, 1), err
    return out


FLEETS = [
    pytest.param(
        ["oci:examples/webapp:2.1", "oci:examples/webapp:2.0"],
        "examples/cluster-nodes.json",
        True,
        False,
        id="layout-on-the-cluster",
    ),
    pytest.param(
        ["examples/dotnet-core-runtime-3.0.json", "oci:examples/webapp:2.1"],
        "examples/fleet-linux.yaml",
        False,
        True,
        id="index-on-the-linux-fleet-expanded",
    ),
]


@pytest.mark.parametrize(("images", "hosts", "plans", "expand"), FLEETS)
def test_every_format_of_a_fleet_check_through_the_library(
    images: list[str], hosts: str, plans: bool, expand: bool
) -> None:
    flags = [
        *([] if plans else ["--no-plan"]),
        *(["--expand"] if expand else []),
    ]  # as the page lists them
    recorded = [[f, "yes"] for f in flags]
    rendered = _library(
        {
            "images": images,
            "hosts": hosts,
            "plans": plans,
            "expand": expand,
            "width": WIDTH,
            "recorded": recorded,
        }
    )
    assert list(rendered) == list(FORMATS) == ["text", "json", "yaml", "junit", "markdown", "html"]
    for fmt, text in rendered.items():
        command = _cli("check", *images, "--hosts", hosts, *flags, "--format", fmt)
        assert _unstamped(command) == _unstamped(text), fmt


def _unstamped(text: str) -> str:
    return _STAMP.sub("", text)


def test_every_format_of_a_workload_check_through_the_library(shop: Shop, tmp_path: Path) -> None:
    chart = tmp_path / "chart.yaml"
    chart.write_text(helm_template(shop), encoding="utf-8")
    cache = str(tmp_path / "cache")
    warm = ("check", "-f", str(chart), "--hosts", str(NODES), "--cache-dir", cache)
    _cli(*warm)  # every run after this one asks the registry the same (cached) way
    rendered = _library(
        {
            "workloads": str(chart),
            "files": [str(chart)],
            "hosts": str(NODES),
            "plans": True,
            "expand": False,
            "width": WIDTH,
            "recorded": [],
            "cache": cache,
        }
    )
    assert list(rendered) == list(FORMATS)
    for fmt, text in rendered.items():
        command = _cli(*warm, "--format", fmt)
        assert _unstamped(command) == _unstamped(text), fmt
    assert CHART.is_dir()


def test_adding_a_format_is_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new row is offered by the library and the command line alike, and written to a file."""
    from planner.cli.parser import build_parser
    from planner.report import formats

    row = formats.Format("names", "tests.test_render:_names", "tests.test_render:_names", True, "x")
    monkeypatch.setitem(formats.FORMATS, "names", row)
    args = build_parser().parse_args(["check", "x", "--format", "names", "--names", "out"])
    assert args.format == "names" and args.names == "out"


def _names(report: object, options: object) -> str:
    return "names\n"


def test_render_refuses_what_it_cannot_render() -> None:
    from planner import render

    with pytest.raises(TypeError, match="report must be a FleetReport or a WorkloadReport"):
        render("report", "text")  # type: ignore[arg-type]
