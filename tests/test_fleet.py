"""Fleet checks against the real registry: 11 hosts x 3 images, every output format, request counts."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from planner.app.fleet import run_fleet
from planner.cli import main
from planner.hosts.profiles import load_hosts
from planner.transport.options import RegistryOptions
from tests.content import Content

ROOT = Path(__file__).resolve().parent.parent

FLEET = """\
defaults:
  rules: docker
hosts:
  - {name: x86-v1, platform: linux/amd64, labels: {site: dub}}
  - {name: x86-v3, platform: linux/amd64/v3, labels: {site: dub}}
  - {name: i386, platform: linux/386}
  - {name: graviton, platform: linux/arm64, rules: containerd, labels: {site: dub}}
  - {name: armv5, platform: linux/arm/v5}
  - {name: armv6, platform: linux/arm/v6}
  - {name: armv7, platform: linux/arm/v7, rules: podman}
  - {name: power, platform: linux/ppc64le}
  - {name: ws2019, platform: windows/amd64, os.version: 10.0.17763.1}
  - {name: ws2022, platform: windows/amd64, os.version: 10.0.20348.1, rules: containerd}
  - {name: ws2025, platform: windows/amd64, os.version: 10.0.26100.1, isolation: process}
"""

# (host, image) -> expected status, or the position in the index of the image picked.
# multi:oci offers amd64, amd64/v3, arm64/v8, arm/v7, arm/v6, 386, ppc64le, s390x, win 20348, win 17763
# multi:docker offers amd64, amd64/v3, arm64/v8, arm/v7; single:1 is one linux/arm64 image
EXPECTED = {
    "multi:oci": {
        "x86-v1": 0,
        "x86-v3": 1,
        "i386": 5,
        "graviton": 2,
        "armv5": "no-image",
        "armv6": 4,
        "armv7": 3,
        "power": 6,
        "ws2019": 9,
        "ws2022": 8,
        "ws2025": 8,
    },
    "multi:docker": {
        "x86-v1": 0,
        "x86-v3": 1,
        "i386": "no-image",
        "graviton": 2,
        "armv5": "no-image",
        "armv6": "no-image",
        "armv7": 3,
        "power": "no-image",
        "ws2019": "no-image",
        "ws2022": "no-image",
        "ws2025": "no-image",
    },
    "single:1": {
        h: "will-not-run"
        for h in (
            "x86-v1",
            "x86-v3",
            "i386",
            "armv5",
            "armv6",
            "armv7",
            "power",
            "ws2019",
            "ws2022",
            "ws2025",
        )
    }
    | {"graviton": 0},
}


# The images each reference was pushed as (tests/content.py), in index order.
PUSHED_AS = {"multi:oci": "multi", "multi:docker": "docker", "single:1": "single"}


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET)
    return path


def images(content: Content) -> list[str]:
    return [content.ref(name) for name in EXPECTED]


def check_argv(content: Content, hosts: Path, cache: Path) -> list[str]:
    """``check`` of the three images for the hosts of ``hosts``."""
    return ["check", *images(content), "--hosts", str(hosts), "--cache-dir", str(cache)]


def test_matrix(registry_content: Content, fleet_file: Path, tmp_path: Path) -> None:
    report = run_fleet(
        images(registry_content),
        load_hosts(fleet_file),
        registry=RegistryOptions(cache_dir=tmp_path),
    )
    for name, by_host in EXPECTED.items():
        image = registry_content.ref(name)
        for host, expected in by_host.items():
            pair = report.pair(host, image)
            if isinstance(expected, int):
                assert pair.status == "ok", (host, name, pair.problem)
                entries = registry_content.images[PUSHED_AS[name]]
                assert pair.resolution.selected is not None
                assert pair.resolution.selected.digest == entries[expected].digest, (host, name)
            else:
                assert pair.status == expected, (host, name)
                assert pair.problem
    assert len(report.failures) == sum(
        1 for by_host in EXPECTED.values() for e in by_host.values() if not isinstance(e, int)
    )


def test_request_counts(registry_content: Content, fleet_file: Path, tmp_path: Path) -> None:
    """One GET per index and one per distinct chosen manifest, whatever the number of hosts."""
    registry = registry_content.registry
    mark = registry.mark()
    report = run_fleet(
        images(registry_content),
        load_hosts(fleet_file),
        registry=RegistryOptions(cache_dir=tmp_path),
    )
    gets = [r["path"] for r in registry.since(mark) if r["method"] == "GET"]
    manifests = [p for p in gets if "/manifests/" in p]
    for tag_path in (
        "/v2/multi/manifests/oci",
        "/v2/multi/manifests/docker",
        "/v2/single/manifests/1",
    ):
        assert manifests.count(tag_path) == 1
    chosen = {
        p.resolution.selected.digest
        for p in report.pairs
        if p.resolution.selected is not None and p.resolution.index is not None
    }
    by_digest = [p for p in manifests if "sha256:" in p]
    assert sorted(by_digest) == sorted({p for p in by_digest})  # each fetched once
    assert {p.rsplit("/", 1)[1] for p in by_digest} == chosen
    assert len(manifests) == 3 + len(chosen)
    assert [p for p in gets if "/blobs/" in p] == [
        f"/v2/single/blobs/{p}" for p in _config_digest(registry_content)
    ]
    assert report.stats.rate_limited_requests == len(manifests)


def _config_digest(content: Content) -> list[str]:
    manifest = json.loads(content.images["single"][0].data)
    return [manifest["config"]["digest"]]


def test_exit_codes_allow_and_select(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oci = registry_content.ref("multi:oci")
    base = ["check", oci, "--hosts", str(fleet_file), "--cache-dir", str(tmp_path)]
    assert main(base) == 1
    assert "1 of 11 checks failed" in capsys.readouterr().err
    assert main([*base, "--allow-missing", f"armv5:{oci}"]) == 0
    out = capsys.readouterr().out
    assert "allowed  armv5 x" in out and "release gate: open" in out
    assert main([*base, "--select", "site=dub"]) == 0
    capsys.readouterr()
    assert main([*base, "--host", "armv5", "--host", "power"]) == 1
    capsys.readouterr()
    assert main([*base, "--allow-missing", "nobody:*"]) == 2
    assert "no host named 'nobody'" in capsys.readouterr().err
    assert main([*base, "--allow-missing", "armv5:other:1"]) == 2
    assert "is not one of the images checked" in capsys.readouterr().err


def test_text_matrix(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(check_argv(registry_content, fleet_file, tmp_path)) == 1
    out = capsys.readouterr().out
    rows = out.splitlines()
    # 3 images do not fit 80 columns: they are numbered, with a legend, and cells are compact
    assert rows[:3] == [f"[{i}] {image}" for i, image in enumerate(images(registry_content), 1)]
    start = rows.index(next(r for r in rows if r.startswith("host ")))
    assert rows[start].split() == ["host", "[1]", "[2]", "[3]", "download"]
    assert "  ws2019    windows/amd64 10.0.17763.1  docker" in rows  # hosts listed apart
    body = rows[start + 1 : start + 12]
    assert [row.split()[0] for row in body] == [h for h in EXPECTED["multi:oci"]]
    assert "NO IMAGE" in body[4] and "WON'T RUN" in body[0]
    assert "  graviton [3]: linux/arm64" in rows  # the picks, listed under the matrix
    assert max(len(row) for row in rows) <= 80
    assert re.search(
        r"fleet: .* downloaded by 11 hosts; a pull-through mirror fetches .* once",
        " ".join(out.split()),  # the footer wraps at 80 columns
    )


def test_text_matrix_on_a_wide_terminal(
    registry_content: Content,
    fleet_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    argv = check_argv(registry_content, fleet_file, tmp_path)
    assert main(argv) == 1
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[:3] == ["host", "platform", "rules"]
    assert rows[0].split()[3:6] == images(registry_content)
    graviton = next(r for r in rows if r.startswith("graviton "))
    assert "linux/arm64/v8, " in graviton  # the pick and its size, in the cell


def test_json_and_yaml(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = check_argv(registry_content, fleet_file, tmp_path)
    assert main([*argv, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "images",
        "hosts",
        "pools",
        "pairs",
        "fleet",
        "failures",
        "rollout",
        "stats",
    ]
    assert len(data["pairs"]) == 33 and data["failures"] == 18
    pair = next(
        p for p in data["pairs"] if p["host"] == "graviton" and p["image"].endswith("multi:oci")
    )
    assert pair["status"] == "ok" and pair["selected"]["platform"]["architecture"] == "arm64"
    assert pair["totals"]["download_bytes"] > 0
    assert data["fleet"]["total_bytes"] == sum(data["fleet"]["hosts"].values())
    assert data["fleet"]["unique_bytes"] <= data["fleet"]["total_bytes"]
    assert main([*argv, "--format", "yaml"]) == 1
    assert yaml.safe_load(capsys.readouterr().out)["fleet"] == data["fleet"]


def test_junit(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        *check_argv(registry_content, fleet_file, tmp_path),
        "--format",
        "junit",
        "--allow-missing",
        f"armv5:{registry_content.ref('multi:oci')}",
    ]
    assert main(argv) == 1
    root = ElementTree.fromstring(capsys.readouterr().out)
    assert root.tag == "testsuites" and root.get("tests") == "33" and root.get("failures") == "17"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == images(registry_content)
    assert sum(len(s.findall("testcase")) for s in suites) == 33
    oci_cases = {c.get("name"): c for c in suites[0].findall("testcase")}
    assert oci_cases["armv5 (linux/arm/v5)"].find("skipped") is not None
    assert oci_cases["graviton (linux/arm64)"].find("failure") is None
    failure = {c.get("name"): c for c in suites[2].findall("testcase")}[
        "x86-v1 (linux/amd64)"
    ].find("failure")
    assert failure is not None and failure.get("type") == "will-not-run"


def test_markdown_is_a_well_formed_table(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*check_argv(registry_content, fleet_file, tmp_path), "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    matrix = out.split("### Rollout cost per registry")[0]  # its own table follows
    table = [line for line in matrix.splitlines() if line.startswith("|")]
    cells = [len(re.findall(r"(?<!\\)\|", line)) for line in table]
    assert len(table) == 2 + 11 and len(set(cells)) == 1 and cells[0] == 3 + 3 + 2
    assert re.fullmatch(r"\|---\|---\|---\|(---\|){3}---:\|", table[1])
    assert "### Problems" in out and "**fails**" in out


def test_resolve_and_plan_with_hosts(
    registry_content: Content, fleet_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oci = registry_content.ref("multi:oci")
    assert (
        main(
            [
                "resolve",
                oci,
                "--hosts",
                str(fleet_file),
                "--cache-dir",
                str(tmp_path),
                "--format",
                "json",
            ]
        )
        == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert [r["host_name"] for r in data["results"]] == list(EXPECTED["multi:oci"])
    assert (
        main(
            [
                "plan",
                oci,
                "--hosts",
                str(fleet_file),
                "--host",
                "graviton",
                "--host",
                "x86-v3",
                "--cache-dir",
                str(tmp_path),
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert [p["host_name"] for p in data["plans"]] == ["graviton", "x86-v3"]
    assert data["fleet"]["total_bytes"] == sum(p["totals"]["download_bytes"] for p in data["plans"])
    assert main(["plan", oci, "--hosts", str(fleet_file), "--platform", "linux/amd64"]) == 2
    assert "--platform and --hosts do not mix" in capsys.readouterr().err


def test_unique_bytes_with_shared_layers(registry_content: Content, tmp_path: Path) -> None:
    """Hosts that pull the same base layer: the mirror fetches it once."""
    registry = registry_content.registry
    base = b"shared base for the fleet " * 500
    amd = registry.push_image(
        "shared", {"os": "linux", "architecture": "amd64"}, [base, b"amd64 app" * 30]
    )
    arm = registry.push_image(
        "shared", {"os": "linux", "architecture": "arm64"}, [base, b"arm64 app" * 40]
    )
    registry.push_index(
        "shared",
        "1",
        [
            amd.descriptor(platform={"os": "linux", "architecture": "amd64"}),
            arm.descriptor(platform={"os": "linux", "architecture": "arm64"}),
        ],
    )
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "hosts:\n  - {name: a1, platform: linux/amd64}\n  - {name: a2, platform: linux/amd64}\n"
        "  - {name: r1, platform: linux/arm64}\n"
    )
    report = run_fleet(
        [registry_content.ref("shared:1")],
        load_hosts(fleet),
        registry=RegistryOptions(use_cache=False),
    )
    sizes = {h: report.host_bytes(h) for h in ("a1", "a2", "r1")}
    assert sizes["a1"] == sizes["a2"] == sum(len(b) for b in amd.blobs)
    assert sizes["r1"] == sum(len(b) for b in arm.blobs)
    assert report.total_bytes == sum(sizes.values())
    assert report.unique_bytes == len(base) + sum(
        len(b) for b in (*amd.blobs, *arm.blobs) if b != base
    )


def test_readme_ci_recipe(registry_content: Content, tmp_path: Path) -> None:
    """The CI recipe in the README runs as written against the test registry."""
    readme = (ROOT / "README.md").read_text()
    recipe = readme.split("<!-- ci-recipe -->")[1].split("```sh\n", 1)[1].split("```", 1)[0]
    (tmp_path / "fleet.yaml").write_text(
        textwrap.dedent("""\
        hosts:
          - {name: x86, platform: linux/amd64}
          - {name: graviton, platform: linux/arm64, rules: containerd}
    """)
    )
    summary = tmp_path / "step-summary.md"
    env = {
        "IMAGE": registry_content.ref("multi:oci"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": subprocess.os.environ["PATH"],
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", recipe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert ElementTree.parse(tmp_path / "pull-planner.xml").getroot().get("failures") == "0"
    assert "## pull-planner check" in summary.read_text()
    (tmp_path / "fleet.yaml").write_text("hosts:\n  - {name: pi-zero, platform: linux/arm/v5}\n")
    failed = subprocess.run(
        ["bash", "-e", "-c", recipe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert ElementTree.parse(tmp_path / "pull-planner.xml").getroot().get("failures") == "1"


def test_progress_only_on_a_terminal_after_a_moment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from planner.cli.output import Progress as _Progress

    clock = {"now": 100.0}
    monkeypatch.setattr("planner.cli.output.time.monotonic", lambda: clock["now"])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    quiet = _Progress()
    clock["now"] += 5
    quiet("resolving", 1, 10)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress = _Progress()
    progress("resolving", 1, 10)  # within the first half second: nothing
    assert capsys.readouterr().err == ""
    clock["now"] += 1
    progress("resolving", 2, 10)
    assert capsys.readouterr().err == "\rpull-planner: resolving 2/10\x1b[K"
    progress.clear()
    assert capsys.readouterr().err == "\r\x1b[K"


POOLS = """\
defaults:
  rules: containerd
hosts:
  - {name: amd-1, platform: linux/amd64}
  - {name: arm-1, platform: linux/arm64}
  - {name: amd-2, platform: linux/amd64}
  - {name: amd-3, platform: linux/amd64}
  - {name: amd-old, platform: linux/amd64, rules: docker}
  - {name: arm-2, platform: linux/arm64}
  - {name: s390-1, platform: linux/s390x}
  - {name: s390-2, platform: linux/s390x}
"""


def test_node_pools_share_one_row(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like hosts are resolved once and share a row; a failure is reported once; --expand lists all."""
    hosts_file = tmp_path / "pools.yaml"
    hosts_file.write_text(POOLS)
    image = registry_content.ref("multi:docker")  # amd64, amd64/v3, arm64/v8, arm/v7: no s390x
    hosts = load_hosts(hosts_file)
    report = run_fleet([image], hosts, registry=RegistryOptions(cache_dir=tmp_path))
    assert [[h.name for h in pool] for pool in report.pools] == [
        ["amd-1", "amd-2", "amd-3"],
        ["arm-1", "arm-2"],
        ["amd-old"],
        ["s390-1", "s390-2"],
    ]
    # every host still has its own pair, with its pool's answer
    assert [p.host.name for p in report.pairs] == [h.name for h in hosts]
    assert report.pair("amd-3", image).resolution.selected == (
        report.pair("amd-1", image).resolution.selected
    )
    assert report.pair("s390-2", image).status == "no-image"
    assert report.total_bytes == 3 * report.host_bytes("amd-1") + 2 * report.host_bytes(
        "arm-1"
    ) + report.host_bytes("amd-old")

    argv = ["check", image, "--hosts", str(hosts_file), "--cache-dir", str(tmp_path)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    names = [row.split("  ")[0] for row in out.splitlines()[1:] if row and "  " in row]
    assert names[:4] == ["amd-1 (+2)", "arm-1 (+1)", "amd-old", "s390-1 (+1)"]
    assert "each" in next(row for row in out.splitlines() if row.startswith("amd-1 (+2)"))
    fails = [row for row in out.splitlines() if row.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL  s390-1 and 1 more host x ")
    assert "downloaded by 8 hosts" in " ".join(out.split())
    assert "8 checks, 2 failed" in out

    assert main([*argv, "--expand"]) == 1
    out = capsys.readouterr().out
    rows = [row.split()[0] for row in out.splitlines()[1:9]]
    assert rows == [h.name for h in hosts]
    assert sum(row.startswith("FAIL") for row in out.splitlines()) == 2

    # an allowed host leaves its pool's row: its status differs
    assert main([*argv, "--allow-missing", "s390-2:*"]) == 1
    out = capsys.readouterr().out
    assert [r.split()[0] for r in out.splitlines() if r.startswith("s390")] == ["s390-1", "s390-2"]

    assert main([*argv, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["pools"][0] == ["amd-1", "amd-2", "amd-3"]
    assert len(data["pairs"]) == 8


def test_pools_are_resolved_once(registry_content: Content, tmp_path: Path) -> None:
    """5000 hosts in 4 pools read the same manifests as 4 hosts."""
    lines = ["hosts:"]
    kinds = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/amd64/v3"]
    for i in range(5000):
        lines.append(f"  - {{name: node-{i}, platform: {kinds[i % 4]}}}")
    hosts_file = tmp_path / "big.yaml"
    hosts_file.write_text("\n".join(lines) + "\n")
    registry = registry_content.registry
    mark = registry.mark()
    image = registry_content.ref("multi:docker")
    report = run_fleet(
        [image], load_hosts(hosts_file), registry=RegistryOptions(cache_dir=tmp_path)
    )
    gets = [r["path"] for r in registry.since(mark) if r["method"] == "GET"]
    assert len(report.pools) == 4 and len(report.pairs) == 5000
    assert len([p for p in gets if "/manifests/" in p]) == 1 + 4
    assert not report.failures


def test_without_plans_sizes_are_unknown_not_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 22: check --no-plan reported 0B downloads, which reads as 'nothing to pull'."""
    argv = ["check", "examples/dotnet-core-runtime-3.0.json", "--no-plan"]
    argv += ["--hosts", "examples/fleet-linux.yaml", "--allow-missing", "*:*"]
    assert main([*argv, "--format", "json"]) == 0
    fleet = json.loads(capsys.readouterr().out)["fleet"]
    assert fleet["total_bytes"] is None and fleet["unique_bytes"] is None
    assert set(fleet["hosts"].values()) == {None}
    assert main([*argv, "--format", "json"]) == 0  # every pair keeps its totals key
    assert {repr(p["totals"]) for p in json.loads(capsys.readouterr().out)["pairs"]} == {"None"}
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "0B" not in text and "download sizes: unknown" in text
    assert all(line.rstrip().endswith("-") for line in text.splitlines()[3:8])
    assert main([*argv, "--format", "markdown"]) == 0
    assert "0B" not in capsys.readouterr().out


def test_plan_quiet_lists_only_what_is_downloaded(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 22: plan -q --have listed the blobs the host already has too."""
    argv = ["plan", "oci:examples/webapp:2.1", "--platform", "linux/amd64", "-q"]
    assert main(argv) == 0
    every = capsys.readouterr().out.split()
    assert main([*argv, "--have", "oci:examples/webapp:2.0"]) == 0
    fetched = capsys.readouterr().out.split()
    assert len(every) == 4 and fetched == [d for d in every if d in fetched] and len(fetched) == 2
    assert main([*argv[:-1], "--have", "oci:examples/webapp:2.0", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert fetched == [b["digest"] for b in plan["blobs"] if not b["present"]]
