"""The seed workflow's manifest list (mcr.microsoft.com dotnet/core/runtime:3.0) as a fixture.

../shared/seed/mcr-manifest-workflow.txt; the picks follow the rule-set
sources (see rules/*.yaml) for each host the resolver issue lists.
"""

from __future__ import annotations

import pytest

from planner import resolve
from tests.helpers import SEED_INDEX

LINUX_AMD64 = "sha256:9455ca49f5a77ada94eea95dc3cbe86d608ced5efbaa9dcbb9778fcfa6cd0b90"
LINUX_ARM_V7 = "sha256:0e81282177c75266af08d2b536dadf1fd7cff08d5ff444310753eb296f8cd780"
LINUX_ARM64 = "sha256:84662fc278c8595651064cf500c414f46680ccd1184d1f39efe42f384dcaaae8"
WIN_16299 = "sha256:937717ad9363ddc0c2a9b9018c595a7f7454f5a112cfa0a52952da6325a18b03"
WIN_17134 = "sha256:0899a6a5917a0a969eb60064444fda1a2c12aacb1dea5060f3a93c2d8aedfcaf"
WIN_17763 = "sha256:187a51f5662abbe7360022a15f6416e16ba3af32ca68e645067a43fdf9f38fbf"
WIN_ARM_17763 = "sha256:b833e669819836f729b04381f9e48fdc8361fe7d4abee14d0afc5f1a34d1ebed"

# host, then the pick under docker, containerd, containerd-1.6, podman, crane
SEED_PICKS = [
    ("linux/amd64", LINUX_AMD64, LINUX_AMD64, LINUX_AMD64, LINUX_AMD64, LINUX_AMD64),
    ("linux/arm64", LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, LINUX_ARM64),
    ("linux/arm64/v8", LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, LINUX_ARM64),
    # crane compares the literal aarch64
    ("linux/aarch64", LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, LINUX_ARM64, None),
    ("linux/arm/v7", LINUX_ARM_V7, LINUX_ARM_V7, LINUX_ARM_V7, LINUX_ARM_V7, LINUX_ARM_V7),
    ("linux/arm/v6", None, None, None, None, None),
    ("linux/386", None, None, None, None, None),
    # Windows: crane compares the full os.version string, which no entry has
    ("windows(10.0.16299.1)/amd64", WIN_16299, WIN_16299, WIN_16299, WIN_16299, None),
    ("windows(10.0.17134.1)/amd64", WIN_17134, WIN_17134, WIN_17134, WIN_16299, None),
    ("windows(10.0.17763.1)/amd64", WIN_17763, WIN_17763, WIN_17763, WIN_16299, None),
    # docker keeps list order among older builds; containerd runs nothing older than 20348
    ("windows(10.0.20348.1)/amd64", WIN_16299, None, None, WIN_16299, None),
    ("windows(10.0.17763.1)/arm", WIN_ARM_17763, WIN_ARM_17763, WIN_ARM_17763, WIN_ARM_17763, None),
]
RULES = ["docker", "containerd", "containerd-1.6", "podman", "crane"]


@pytest.mark.parametrize(
    ("host", "rules", "expected"),
    [
        pytest.param(row[0], rules, row[1 + i], id=f"{row[0]}-{rules}")
        for row in SEED_PICKS
        for i, rules in enumerate(RULES)
    ],
)
def test_seed_picks(host: str, rules: str, expected: str | None) -> None:
    result = resolve(str(SEED_INDEX), host, rules)
    assert (result.selected.digest if result.selected else None) == expected


def test_ws2022_docker_warns_hyperv_and_closer_build() -> None:
    result = resolve(str(SEED_INDEX), "windows(10.0.20348.1)/amd64", "docker")
    assert result.selected is not None and result.selected.digest == WIN_16299
    assert any("Hyper-V" in w for w in result.warnings)
    assert any("entry 5" in w and "closer build" in w for w in result.warnings)


def test_ws2019_exact_build_has_no_warning() -> None:
    result = resolve(str(SEED_INDEX), "windows(10.0.17763.1)/amd64", "docker")
    assert result.warnings == ()


def test_every_entry_explained() -> None:
    result = resolve(str(SEED_INDEX), "linux/arm64", "docker")
    reasons = {c.position: c.reason for c in result.candidates}
    assert reasons[2].startswith("rank 0: exact match")
    assert "arm/v7" in reasons[1] and "rank 2" in reasons[1]
    assert reasons[0].startswith("rejected:")
    assert "os windows" in reasons[3]
