"""skopeo's OCI layouts read like the registry they were copied from.

Every selection-table row is compared with every real client, pinned to its release, in
tests/test_real_engines.py; this module checks the OCI-layout source against skopeo's
own copy of a registry image.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import RegistryOptions, resolve
from tests.content import Content
from tests.helpers import require_tool
from tests.registry import Registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    yield reg
    reg.stop()


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
