"""Hostile and careless local inputs: one clear line, the right exit code, bounded time.

Every case here was a traceback, a hang, a silent wrong answer or a trip to
Docker Hub before; each now fails with one line naming what and where.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import planner
from planner.model.manifest import OCI_INDEX, OCI_MANIFEST, compute_digest
from planner.select import selector
from planner.sources import is_registry_spec, source_kind
from tests.helpers import ROOT, SEED_INDEX, cli

LONG = "a" * 300


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pull-planner: error: "), stderr
    return lines[0]


# --------------------------------------------------------------------------- files


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "bigint.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})[:-1]
        + ', "n": '
        + "9" * 5000
        + "}"
    )
    os.mkfifo(tmp_path / "fifo.json")
    layout = tmp_path / "zero-layout"
    layout.mkdir()
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").symlink_to("/dev/zero")
    fifo_layout = tmp_path / "fifo-layout"
    fifo_layout.mkdir()
    os.mkfifo(fifo_layout / "oci-layout")
    big = tmp_path / "big-layout"
    big.mkdir()
    (big / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (big / "index.json").write_text(" " * (5 << 20) + "{}")
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    (tmp_path / "bigint.yaml").write_text("schema: " + "9" * 5000 + "\n")
    os.mkfifo(tmp_path / "fifo.yaml")
    os.mkfifo(tmp_path / "digests.txt")
    return tmp_path


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("deep.json", "deep.json: not valid JSON: nested too deeply"),
        ("bigint.json", "bigint.json: not valid JSON: Exceeds the limit (4300 digits)"),
        ("fifo.json", "'fifo.json' is not a regular file"),
        ("oci:zero-layout", "zero-layout/index.json: is not a regular file; only regular files"),
        ("oci:fifo-layout", "fifo-layout/oci-layout: is not a regular file; only regular files"),
        ("oci:big-layout", "big-layout/index.json: more than the 4194304-byte limit"),
        (LONG, "repository name must not be more than 255 characters"),
        (LONG + ".json", "no such file or directory"),
    ],
    ids=[
        "deep-json",
        "big-int",
        "fifo",
        "dev-zero",
        "fifo-marker",
        "big-index",
        "long",
        "long-json",
    ],
)
def test_hostile_source_files(hostile: Path, source: str, message: str) -> None:
    code, _, err = cli("resolve", source, "--platform", "linux/amd64", cwd=hostile)
    assert code == 2
    assert message in one_line_error(err)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--rules", "deep.yaml"],
            "deep.yaml:1:1003: invalid YAML: exceeded maximum nesting depth",
        ),
        (["--rules", "bigint.yaml"], "Exceeds the limit (4300 digits)"),
        (["--rules", "fifo.yaml"], "fifo.yaml: is not a regular file"),
        (["--rules", LONG], "unknown rule set"),
        (["--rules", LONG + ".yaml"], "cannot read: file name too long"),
    ],
    ids=["deep-yaml", "big-int-yaml", "fifo-yaml", "long-name", "long-path"],
)
def test_hostile_rule_files(hostile: Path, args: list[str], message: str) -> None:
    code, _, err = cli("resolve", str(SEED_INDEX), "--platform", "linux/amd64", *args, cwd=hostile)
    assert code == 2
    assert message in one_line_error(err)


def test_hostile_profile_and_digest_files(hostile: Path) -> None:
    code, _, err = cli("check", str(SEED_INDEX), "--hosts", "fifo.yaml", cwd=hostile)
    assert code == 2 and "is not a regular file" in one_line_error(err)
    code, _, err = cli("check", str(SEED_INDEX), "--hosts", LONG + ".yaml", cwd=hostile)
    assert code == 2 and "file name too long" in one_line_error(err)
    code, _, err = cli(
        "plan",
        "oci:" + str(ROOT / "examples" / "webapp") + ":2.1",
        "--platform",
        "linux/arm64",
        "--have-digests",
        "digests.txt",
        cwd=hostile,
    )
    assert code == 2 and "digests.txt: is not a regular file" in one_line_error(err)
    profile = hostile / "have-long.yaml"
    profile.write_text(f"hosts:\n  - {{name: a, platform: linux/amd64, have: [{LONG}.json]}}\n")
    code, _, err = cli(
        "check", "oci:" + str(ROOT / "examples" / "webapp") + ":2.1", "--hosts", str(profile)
    )
    assert code == 2 and "no such file or directory" in one_line_error(err)


# --------------------------------------------------------------------------- nested graphs


def _dag(tmp_path: Path, width: int, levels: int, distinct: bool) -> Path:
    """An index whose entries, on every level, point at one child (or at distinct ones)."""

    def put(obj: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(obj).encode()
        digest = compute_digest(data)
        (tmp_path / f"{digest}.json").write_bytes(data)
        return {"mediaType": obj["mediaType"], "digest": digest, "size": len(data)}

    config = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": "sha256:" + "0" * 64,
        "size": 2,
    }
    leaf = put({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": []})
    children = [leaf | {"platform": {"os": "linux", "architecture": "s390x"}}]
    for level in range(levels):
        made = []
        for i in range(width if distinct else 1):
            entries = [children[(i + j) % len(children)] for j in range(width)]
            index = put(
                {
                    "schemaVersion": 2,
                    "mediaType": OCI_INDEX,
                    "manifests": entries,
                    "annotations": {"n": f"{level}.{i}"},
                }
            )
            made.append(index | {"platform": {"os": "linux", "architecture": "amd64"}})
        children = made
    top = tmp_path / "top.json"
    top.write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children[:1] * width})
    )
    return top


def test_nested_indexes_are_a_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 entries per level, 4 levels, one child each: every nested index is read once."""
    top = _dag(tmp_path, width=40, levels=4, distinct=False)
    reads: list[str] = []
    real = planner.sources.JsonFileSource.read_index

    def counting(self: Any, descriptor: planner.Descriptor) -> planner.Index:
        reads.append(descriptor.digest)
        return real(self, descriptor)

    monkeypatch.setattr(planner.sources.JsonFileSource, "read_index", counting)
    result = planner.resolve(str(top), "linux/amd64")
    assert result.selected is None
    assert len(reads) == len(set(reads)) == 4
    listed = json.dumps(result.to_dict())
    # on each of the 4 nested levels, the 39 siblings of the first entry are not listed again
    assert listed.count('"nested_listed_before": true') == 4 * 39
    assert len(listed) < 100_000


def test_a_fan_out_of_distinct_nested_indexes_is_refused(tmp_path: Path) -> None:
    top = _dag(tmp_path, width=40, levels=3, distinct=True)  # 1 + 40 + 40 distinct indexes
    with pytest.raises(planner.InvalidManifest, match="distinct nested indexes"):
        planner.resolve(str(top), "linux/amd64")
    assert selector.MAX_NESTED_INDEXES < 1 + 40 + 40


# --------------------------------------------------------------------------- newcomer paths


def test_mistyped_paths_are_not_registry_references() -> None:
    code, _, err = cli("resolve", "examples/webap", "--platform", "linux/amd64")
    assert code == 2 and "'examples/webap': no such file or directory" in one_line_error(err)
    code, _, err = cli("resolve", "examples/webapp:2.1", "--platform", "linux/amd64")
    assert "(an OCI layout's tag is written oci:examples/webapp:2.1)" in one_line_error(err)
    code, _, err = cli("resolve", "tag.jsn", "--platform", "linux/amd64")
    assert code == 2 and "'tag.jsn': no such file or directory" in one_line_error(err)


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("docker.io/examples/webap", "registry"),  # the host says: a registry
        ("ubuntu:24.04", "registry"),
        ("localhost:5000/app:1", "registry"),
        ("ghcr.io/org/app:v1.beta", "registry"),  # a dot in a tag is not an extension
        ("examples/webapp", "oci-layout"),
        ("examples/dotnet-core-runtime-3.0.json", "json-file"),
    ],
)
def test_source_kinds(spec: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert source_kind(spec) == kind
    assert is_registry_spec(spec) == (kind == "registry")


def test_empty_json_says_what_it_is_not() -> None:
    code, _, err = cli("resolve", "-", "--platform", "linux/amd64", stdin="{}")
    line = one_line_error(err)
    assert code == 2 and "not a manifest list, index or image manifest" in line
    assert "None" not in line


def test_architecture_alone_means_linux() -> None:
    code, out, _ = cli("resolve", str(SEED_INDEX), "--platform", "arm64", "--format", "json")
    assert code == 0 and json.loads(out)["host"] == {"architecture": "arm64", "os": "linux"}
    code, _, err = cli("resolve", str(SEED_INDEX), "--platform", "linux")
    assert code == 2 and "such as 'linux/amd64'" in one_line_error(err)
    with pytest.raises(planner.InvalidPlatform, match="such as 'linux/arm64'"):
        planner.Platform.parse("arm64")  # the library never guesses an OS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "-1"], "--timeout: must be more than 0 seconds"),
        (["--timeout", "inf"], "--timeout: must be more than 0 seconds"),
        (["--retries", "-2"], "--retries: must be 0 or more"),
        (["--bogus"], "unknown option --bogus (see: pull-planner resolve --help)"),
    ],
)
def test_usage_errors_are_one_line_with_the_prefix(args: list[str], message: str) -> None:
    code, _, err = cli("resolve", str(SEED_INDEX), "--platform", "linux/amd64", *args)
    assert code == 2 and message in one_line_error(err)


# --------------------------------------------------------------------------- library types


@pytest.mark.parametrize(
    "call",
    [
        lambda: planner.resolve(str(SEED_INDEX), None),  # type: ignore[arg-type]
        lambda: planner.resolve(None, "linux/amd64"),  # type: ignore[arg-type]
        lambda: planner.resolve(str(SEED_INDEX), "linux/amd64", rules=3),  # type: ignore[arg-type]
        lambda: planner.plan(str(SEED_INDEX), None),  # type: ignore[arg-type]
        lambda: planner.plan(str(SEED_INDEX), "linux/amd64", have="x"),
        lambda: planner.select(None, planner.Platform.parse("linux/amd64"), planner.load_rules()),  # type: ignore[arg-type]
        lambda: planner.load_rules(3),  # type: ignore[arg-type]
        lambda: planner.open_source(3),  # type: ignore[arg-type]
        lambda: planner.Platform.parse(None),  # type: ignore[arg-type]
    ],
    ids=[
        "host",
        "source",
        "rules",
        "plan-host",
        "plan-have",
        "select",
        "load-rules",
        "open",
        "parse",
    ],
)
def test_wrong_argument_types_are_planner_errors(call: Any) -> None:
    with pytest.raises(planner.PlannerError):
        call()
