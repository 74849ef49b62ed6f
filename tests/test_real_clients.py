"""Differential tests: pull-planner's podman rules against the real skopeo.

Every row of the selection tables is pushed to a real registry (one image per
entry, labelled with its position) and resolved by Debian's skopeo 1.9.3
(containers/image 5.23.1) with ``--override-os/--override-arch/--override-variant``;
the entry skopeo inspects must be the one pull-planner's ``podman`` rule set
picks. Where the client and the rule set disagree, the client wins: the rows
below that differ are exactly the changes containers/image made after 5.23.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner import Platform, RegistryOptions, load_rules, resolve
from tests.content import Content
from tests.helpers import require_tool
from tests.real_clients import push_row
from tests.registry import Registry
from tests.test_selection_tables import ROWS, _host

# containers/image changes after 5.23.1 that the podman rule set (5.25+) follows:
NEWER_THAN_SKOPEO_1_9 = {
    "special:zstd-instance-preferred": "the zstd instance preference arrived in containers/image 5.25",
}


def _skip_reason(row_id: str, row: dict[str, Any]) -> str | None:
    if row_id in NEWER_THAN_SKOPEO_1_9:
        return NEWER_THAN_SKOPEO_1_9[row_id]
    if any(isinstance(e, dict) and "mediaType" in e for e in row["entries"]):
        # containers/image chooseInstance never reads an entry's media type (5.23.1 and 5.36
        # alike): skopeo picks the artifact entry (see tests/test_real_engines.py)
        return "containers/image does not skip an entry of unknown media type; the podman rules do"
    return None


REAL_ROWS = [
    pytest.param(
        row_id,
        row,
        id=row_id,
        marks=[pytest.mark.skip(reason=r)] if (r := _skip_reason(row_id, row)) else [],
    )
    for row_id, row in ROWS
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


def skopeo_pick(reference: str, host: Platform) -> int | None:
    command = [
        "skopeo",
        "inspect",
        "--tls-verify=false",
        "--no-tags",
        "--override-os",
        host.os,
        "--override-arch",
        host.architecture,
    ]
    if host.variant:
        command += ["--override-variant", host.variant]
    done = subprocess.run(
        [*command, f"docker://{reference}"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        assert "no image found" in done.stderr, done.stderr
        return None
    labels = json.loads(done.stdout).get("Labels") or {}
    return int(labels["entry"])


@pytest.mark.parametrize(("row_id", "row"), REAL_ROWS)
def test_podman_rules_match_skopeo(
    registry: Registry, tmp_path: Path, row_id: str, row: dict[str, Any]
) -> None:
    require_tool("skopeo", "skopeo")
    reference = push_row(registry, row_id, row).reference
    rules = load_rules("podman")
    host = _host(row)
    # podman normalizes the host before containers/image sees it; skopeo passes it raw.
    normalized = rules.host_normalizer(host)
    expected = skopeo_pick(reference, normalized)
    # pull-planner on the same registry content skopeo read
    result = resolve(reference, host, rules, registry=RegistryOptions(use_cache=False))
    assert result.selection is not None
    chosen = result.selection.chosen.position if result.selection.chosen else None
    assert chosen == expected, [c.reason for c in result.candidates]


def test_skopeo_oci_layout_resolves_like_the_registry(
    registry_content: Content, tmp_path: Path
) -> None:
    """An OCI layout written by skopeo copy --all answers as its registry does.

    skopeo re-serializes the manifests it copies, so digests differ; the choice may not.
    """
    require_tool("skopeo", "skopeo")
    layout = tmp_path / "layout"
    reference = registry_content.ref("multi:oci")
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--all",
            f"docker://{reference}",
            f"oci:{layout}:t",
        ],
        check=True,
        capture_output=True,
    )
    for host in (
        "linux/amd64",
        "linux/amd64/v3",
        "linux/arm64",
        "linux/arm/v6",
        "windows(10.0.17763.1)/amd64",
    ):
        from_layout = resolve(f"oci:{layout}:t", host)
        from_registry = resolve(reference, host, registry=RegistryOptions(use_cache=False))
        assert from_layout.selection is not None and from_registry.selection is not None
        layout_pick = (
            from_layout.selection.chosen.position if from_layout.selection.chosen else None
        )
        registry_pick = (
            from_registry.selection.chosen.position if from_registry.selection.chosen else None
        )
        assert layout_pick == registry_pick
        assert from_layout.platform == from_registry.platform
        assert [c.reason for c in from_layout.candidates] == [
            c.reason for c in from_registry.candidates
        ]
