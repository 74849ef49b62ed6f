"""This machine as each engine detects it: recorded /proc/cpuinfo files x rule sets.

Every row of ROWS is (fixture, uname machine, rule set) -> the platform the engine
detects and words its ``how`` must say, citing the engine code and release it
follows. The fixtures are in tests/data/cpuinfo (see its README). Sources:
go-archvariant ``detectVersion``; moby 482d1d15bf ``maximumSpec`` (23.0.0+) and
944e805706 ``hostPlatformSpec`` (29.6.0+); containerd/platforms ``cpuinfo_linux.go
getCPUVariant`` (uname fallback 106e36ec3 / 8d5c04543: 1.6.22+, 1.7.0+);
containers/image ``platform_matcher.go getCPUVariantArm`` (da7e6b90, 5.30: podman
5.0, buildah 1.35, skopeo 1.15, CRI-O 1.31); go-containerregistry ``defaultPlatform``.
"""

from __future__ import annotations

import dataclasses
import importlib
import platform as std_platform
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

import planner
from planner.hosts import local as localhost
from planner.hosts.cpuinfo import X86_LEVELS, CpuInfo, go_arch, x86_level
from planner.hosts.local import read_machine
from planner.policy.loader import load_rules
from planner.select.selector import select
from tests.helpers import ROOT, index_json

DATA = Path(__file__).parent / "data" / "cpuinfo"
HASWELL = "core-i7-4770-haswell"
NO_FIELD = "arm64-without-cpu-architecture"


class Row(NamedTuple):
    fixture: str
    machine: str
    rules: str
    platform: str
    words: tuple[str, ...]
    source: str
    architecture: str | None = None


# fmt: off
ROWS = [
    # -- x86-64 levels: Docker classic adds the level from 23.0.0 (maximumSpec)
    Row("qemu64-kvm", "x86_64", "docker", "linux/amd64", ("x86-64-v1", "popcnt", "absent", "normalizes amd64/v1 to amd64"), "detectVersion: v2 needs popcnt, sse4_1, sse4_2, ssse3; Normalize amd64/v1"),
    Row("core2-duo-e8400", "x86_64", "docker", "linux/amd64", ("x86-64-v1", "sse4_2", "absent"), "detectVersion: Wolfdale has sse4_1 but not sse4_2/popcnt"),
    Row("xeon-x5650", "x86_64", "docker", "linux/amd64/v2", ("x86-64-v2", "pni (sse3)", "avx", "absent"), "detectVersion: v3 needs avx, which Westmere lacks"),
    Row(HASWELL, "x86_64", "docker", "linux/amd64/v3", ("x86-64-v3", "avx2", "bmi2", "fma", "movbe", "xsave (osxsave)", "avx512f", "absent", "23.0.0+"), "maximumSpec, docker 29.6+"),
    Row(HASWELL, "x86_64", "docker@23.0.0", "linux/amd64/v3", ("x86-64-v3", "maximumSpec"), "moby 482d1d15bf, first in v23.0.0"),
    Row(HASWELL, "x86_64", "docker@20.10.24", "linux/amd64", ("Docker 20.10 does not detect an x86-64 level", "this CPU is x86-64-v3"), "20.10 withDefault uses DefaultSpec()"),
    Row(HASWELL, "x86_64", "docker-c8d@29.5.3", "linux/amd64", ("before 29.6.0", "platforms.Default()", "this CPU is x86-64-v3"), "c8d image_pull.go before 944e805706"),
    Row(HASWELL, "x86_64", "docker-c8d@29.6.0", "linux/amd64/v3", ("hostPlatformSpec", "29.6.0+"), "moby 944e805706, first in docker-v29.6.0"),
    Row(HASWELL, "x86_64", "docker-c8d", "linux/amd64/v3", ("x86-64-v3",), "bare family: the newest (29.6+) behaviour"),
    Row(HASWELL, "x86_64", "containerd", "linux/amd64", ("containerd does not detect an x86-64 level", "x86-64-v3"), "cpuVariant() reads only for arm/arm64"),
    Row(HASWELL, "x86_64", "containerd@1.6.20", "linux/amd64", ("containerd does not detect",), "cpuinfo.go isArmArch, every release"),
    Row(HASWELL, "x86_64", "podman", "linux/amd64", ("containers/image does not detect an x86-64 level",), "getCPUVariant: arm/arm64 only, every 5.x"),
    Row(HASWELL, "x86_64", "cri-o", "linux/amd64", ("containers/image does not detect",), "CRI-O sets no platform choices"),
    Row(HASWELL, "x86_64", "crane", "linux/amd64", ("crane pull resolves linux/amd64", "whatever the host"), "go-containerregistry remote defaultPlatform"),
    Row("epyc-7r32-zen2-ec2", "x86_64", "docker", "linux/amd64/v3", ("x86-64-v3", "abm (lzcnt)", "avx512f"), "detectVersion on Zen 2"),
    Row("epyc-7r32-zen2-ec2", "x86_64", "docker-c8d@28.1.1", "linux/amd64", ("platforms.Default()",), "c8d before 29.6.0"),
    Row("xeon-8259cl-cascadelake-ec2", "x86_64", "docker", "linux/amd64/v4", ("x86-64-v4", "avx512bw", "avx512vl", "present"), "detectVersion: every v4 flag"),
    Row("xeon-8259cl-cascadelake-ec2", "x86_64", "docker@28.1.1", "linux/amd64/v4", ("x86-64-v4",), "maximumSpec, 28.x"),
    Row("xeon-8259cl-cascadelake-ec2", "x86_64", "containerd@1.7.20", "linux/amd64", ("containerd does not detect",), "no archvariant in containerd"),
    Row("this-machine-xeon-kvm", "x86_64", "docker", "linux/amd64/v4", ("x86-64-v4",), "this machine's own cpuinfo"),
    Row("this-machine-xeon-kvm", "x86_64", "skopeo", "linux/amd64", ("containers/image does not detect",), "getCPUVariant"),
    Row(HASWELL, "x86_64", "regctl", "linux/amd64/v3", ("x86-64-v3", "regctl adds it"), "regclient 8063956 (v0.7.1) cpuinfo_x86.go lookupCPUVariant"),
    Row(HASWELL, "x86_64", "regctl@0.6.0", "linux/amd64", ("bitIsSet", "this CPU is x86-64-v3"), "regclient 4a113ea (v0.6.0): (value & bits) == value"),
    Row(HASWELL, "x86_64", "regctl@0.5.7", "linux/amd64", ("regctl before 0.6.0 reads no x86-64 level",), "regclient v0.5.7 cpuinfo.go: arm and arm64 only"),
    # -- Raspberry Pi Zero: CPU architecture 7 with an ARMv6-compatible model name
    Row("raspberry-pi-zero-w", "armv6l", "containerd", "linux/arm/v6", ("'CPU architecture: 7'", "ARMv6-compatible", "Raspberry Pi ARMv6 rule", "v6 to getCPUVariant"), "getCPUVariant, GOARCH arm, model name armv6-compatible"),
    Row("raspberry-pi-zero-w", "armv6l", "containerd@1.6.0", "linux/arm/v6", ("ARMv6-compatible",), "1.6.0 cpuinfo.go has the same rule"),
    Row("raspberry-pi-zero-w", "armv6l", "docker@20.10.24", "linux/arm/v6", ("ARMv6-compatible",), "moby 20.10 fork: the same rule"),
    Row("raspberry-pi-zero-w", "armv6l", "docker", "linux/arm/v6", ("v6 to getCPUVariant",), "DefaultSpec of the vendored platforms"),
    Row("raspberry-pi-zero-w", "armv6l", "podman@4.9.0", "linux/arm/v7", ("'CPU architecture: 7' is v7 to getCPUVariantArm",), "c/image 5.29.1: no armv6 rule (TODO in G0)"),
    Row("raspberry-pi-zero-w", "armv6l", "podman@5.0.0", "linux/arm/v6", ("ARMv6-compatible", "v6 to getCPUVariantArm"), "c/image 5.30.0 da7e6b90"),
    Row("raspberry-pi-zero-w", "armv6l", "buildah@1.34.0", "linux/arm/v7", ("is v7",), "buildah 1.34: c/image 5.29.1-dev"),
    Row("raspberry-pi-zero-w", "armv6l", "buildah@1.35.0", "linux/arm/v6", ("is v6",), "buildah 1.35: c/image 5.30.0"),
    Row("raspberry-pi-zero-w", "armv6l", "skopeo@1.14.0", "linux/arm/v7", ("is v7",), "skopeo 1.14: c/image 5.29"),
    Row("raspberry-pi-zero-w", "armv6l", "skopeo@1.15.0", "linux/arm/v6", ("is v6",), "skopeo 1.15: c/image 5.30"),
    Row("raspberry-pi-zero-w", "armv6l", "cri-o@1.30.0", "linux/arm/v7", ("is v7",), "CRI-O 1.30: c/image 5.29.3-dev"),
    Row("raspberry-pi-zero-w", "armv6l", "cri-o@1.31.0", "linux/arm/v6", ("is v6",), "CRI-O 1.31: c/image 5.32.2"),
    Row("raspberry-pi-zero-w", "armv6l", "crane", "linux/amd64", ("whatever the host", "armv6l"), "defaultPlatform linux/amd64"),
    # -- 'CPU architecture: 7' without a model name line (kernels before 3.8)
    Row("raspberry-pi-1-b-linux-3.6", "armv6l", "containerd", "linux/arm/v7", ("'CPU architecture: 7' is v7",), "the armv6 rule reads 'model name', which 3.6 does not print"),
    Row("raspberry-pi-1-b-linux-3.6", "armv6l", "podman@4.9.0", "linux/arm/v7", ("is v7 to getCPUVariantArm",), "c/image 5.29: 7 is v7"),
    Row("raspberry-pi-1-b-linux-3.6", "armv6l", "podman@5.0.0", "linux/arm", ("without a 'model name' line", "no variant"), "c/image 5.30: no model name -> ''"),
    Row("cubieboard2-a20-linux-3.4", "armv7l", "podman", "linux/arm", ("without a 'model name' line",), "c/image 5.30+ on a real ARMv7"),
    Row("cubieboard2-a20-linux-3.4", "armv7l", "skopeo@1.9.3", "linux/arm/v7", ("is v7",), "c/image 5.22"),
    Row("cubieboard2-a20-linux-3.4", "armv7l", "containerd", "linux/arm/v7", ("is v7 to getCPUVariant",), "getCPUVariant"),
    Row("raspberry-pi-zero-w", "armv6l", "regctl", "linux/arm/v6", ("ARMv6-compatible", "v6 to getCPUVariant"), "regclient cpuinfo_armx.go: GOARCH arm, 7 and armv6-compatible -> 6"),
    # -- arm64: containerd normalizes v8 away, containers/image keeps it
    Row("raspberry-pi-3-b-arm64", "aarch64", "containerd", "linux/arm64", ("'CPU architecture: 8'", "normalizes arm64/v8 to arm64"), "getCPUVariant 8 -> v8; Only() normalizes"),
    Row("raspberry-pi-3-b-arm64", "aarch64", "docker", "linux/arm64", ("Docker normalizes arm64/v8 to arm64",), "Normalize(withDefault(p))"),
    Row("raspberry-pi-3-b-arm64", "aarch64", "podman", "linux/arm64/v8", ("keeps arm64/v8",), "WantedPlatforms: no normalization"),
    Row("raspberry-pi-4-b-arm64", "aarch64", "docker@20.10.24", "linux/arm64", ("v8",), "fork: 8 is v8 on arm64"),
    Row("raspberry-pi-4-b-arm64", "aarch64", "cri-o", "linux/arm64/v8", ("keeps arm64/v8",), "CRI-O: runtime GOARCH + auto-detection"),
    Row("graviton2-neoverse-n1-ec2", "aarch64", "containerd@2.0.2", "linux/arm64", ("normalizes arm64/v8",), "rc.1 Normalize"),
    Row("graviton2-neoverse-n1-ec2", "aarch64", "podman@4.3.1", "linux/arm64/v8", ("is v8 to getCPUVariantArm",), "c/image 5.23"),
    Row("apple-m1-vz-vm", "aarch64", "docker", "linux/arm64", ("'CPU architecture: 8'",), "the VM's cpuinfo: implementer 0x61, part 0x000"),
    Row("apple-m1-vz-vm", "aarch64", "podman", "linux/arm64/v8", ("keeps arm64/v8",), "getCPUVariantArm"),
    # -- a 32-bit arm engine on the Pi 4's 64-bit kernel (32-bit Raspberry Pi OS)
    Row("raspberry-pi-4-b-arm64", "aarch64", "containerd", "linux/arm/v8", ("is v8 to getCPUVariant",), "getCPUVariant 8 -> v8; arm/v8 stays", "arm"),
    Row("raspberry-pi-4-b-arm64", "aarch64", "docker@20.10.24", "linux/arm/v7", ("Docker 20.10's getCPUVariant", "8 is v7"), "moby 20.10 fork: 8 -> v7 when GOARCH is arm", "arm"),
    Row("raspberry-pi-4-b-arm64", "aarch64", "docker", "linux/arm/v8", ("v8",), "containerd platforms rc.4", "arm"),
    Row("raspberry-pi-4-b-arm64", "aarch64", "podman", "linux/arm/v8", ("is v8",), "c/image: a 32-bit binary on an arm64 kernel reads 8", "arm"),
    # -- no 'CPU architecture' line: containerd's uname fallback (1.6.22+, 1.7.0+)
    Row(NO_FIELD, "aarch64", "containerd@1.6.20", "linux/arm64", ("no 'CPU architecture' line", "no uname fallback", "no variant"), "1.6.20 cpuinfo.go: lookup fails -> ''"),
    Row(NO_FIELD, "aarch64", "containerd@1.6.21", "linux/arm64", ("no uname fallback",), "1.6.21: still no fallback"),
    Row(NO_FIELD, "aarch64", "containerd@1.6.22", "linux/arm64", ("uname fallback reads machine aarch64 as 8", "normalizes arm64/v8"), "1.6.22 cpuinfo_linux.go (8d5c04543)"),
    Row(NO_FIELD, "aarch64", "containerd@1.7.0", "linux/arm64", ("uname fallback",), "1.7.0 (106e36ec3)"),
    Row(NO_FIELD, "aarch64", "containerd", "linux/arm64", ("uname fallback",), "platforms rc.4"),
    Row(NO_FIELD, "aarch64", "docker@23.0.6", "linux/arm64", ("no uname fallback",), "Docker 23.0.6 vendors containerd 1.6.21"),
    Row(NO_FIELD, "aarch64", "docker@23.0.7", "linux/arm64", ("uname fallback",), "Docker 23.0.7 vendors containerd 1.6.22"),
    Row(NO_FIELD, "aarch64", "docker@24.0.5", "linux/arm64", ("no uname fallback",), "Docker 24.0.5 vendors containerd 1.6.21"),
    Row(NO_FIELD, "aarch64", "docker@24.0.6", "linux/arm64", ("uname fallback",), "Docker 24.0.6 vendors containerd 1.6.22"),
    Row(NO_FIELD, "aarch64", "docker-c8d@24.0.5", "linux/arm64", ("no uname fallback",), "c8d 24.0.5: containerd 1.6.21"),
    Row(NO_FIELD, "aarch64", "docker-c8d@25.0.0", "linux/arm64", ("uname fallback",), "c8d 25: containerd 1.7"),
    Row(NO_FIELD, "aarch64", "podman", "linux/arm64", ("no 'CPU architecture' line: no variant",), "getCPUVariantArm: error -> ''"),
    # -- the fallback's own case: an arm engine under qemu-user on x86 reads the host's file
    Row(HASWELL, "armv6l", "containerd@1.6.21", "linux/arm/v7", ("no uname fallback", "normalizes arm to arm/v7"), "'' then normalizeArch arm '' -> v7"),
    Row(HASWELL, "armv6l", "containerd@1.6.22", "linux/arm/v6", ("uname fallback reads machine armv6l as 6", "v6"), "getCPUVariantFromArch armv6l -> 6"),
    Row(HASWELL, "armv6l", "docker@20.10.24", "linux/arm/v7", ("no uname fallback",), "20.10 fork: no fallback"),
    Row(HASWELL, "armv6l", "docker-c8d", "linux/arm/v6", ("uname fallback",), "platforms rc.4"),
    Row(HASWELL, "armv6l", "podman", "linux/arm", ("no 'CPU architecture' line",), "c/image: no fallback in any release"),
    Row(HASWELL, "armv7l", "containerd", "linux/arm/v7", ("reads machine armv7l as 7",), "getCPUVariantFromArch"),
    Row(HASWELL, "aarch64", "containerd", "linux/arm64", ("reads machine aarch64 as 8",), "getCPUVariantFromArch"),
]
# fmt: on


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r.fixture}-{r.machine}-{r.architecture or ''}-{r.rules}" for r in ROWS]
)
def test_each_engine_detects_this_machine(row: Row) -> None:
    machine = read_machine(
        DATA / row.fixture, machine=row.machine, system="linux", architecture=row.architecture
    )
    local = machine.host_for(load_rules(row.rules))
    assert local.platform.format() == row.platform, row.source
    assert local.rules == row.rules
    text = " | ".join(local.how)
    for word in row.words:
        assert word in text, f"{word!r} not in {text!r} ({row.source})"
    # one line per value: os, architecture, variant
    assert [line.split(" ", 1)[0] for line in local.how] == ["os", "architecture", "variant"]
    assert local.how[-1].startswith(f"variant {local.platform.variant or 'none'}: ")
    if row.rules != "crane":
        assert local.how[0] == "os linux: the system is linux"
        if row.architecture is None:
            arch = local.platform.architecture
            assert local.how[1] == f"architecture {arch}: the machine is {row.machine}"


def test_an_engine_built_for_another_architecture_says_so() -> None:
    local = read_machine(
        DATA / "raspberry-pi-4-b-arm64", machine="aarch64", system="linux", architecture="arm"
    ).host_for(load_rules("containerd"))
    assert local.how[1] == "architecture arm: the engine is built for arm (the machine is aarch64)"


def test_every_fixture_is_used() -> None:
    used = {r.fixture for r in ROWS}
    assert used == {p.name for p in DATA.iterdir() if p.is_dir()}
    for name in used:
        assert (DATA / name / "proc" / "cpuinfo").is_file()


# -- the x86-64 level


def _flags_without(name: str, fixture: str) -> CpuInfo:
    text = (DATA / fixture / "proc" / "cpuinfo").read_text()
    out = []
    for line in text.splitlines(keepends=True):
        if line.startswith("flags\t"):
            key, value = line.split(":", 1)
            line = f"{key}: {' '.join(f for f in value.split() if f != name)}\n"
        out.append(line)
    return CpuInfo("".join(out))


@pytest.mark.parametrize(
    ("level", "flag"), [(level, flag) for level, flags in X86_LEVELS for flag in flags]
)
def test_each_level_needs_each_of_its_flags(level: int, flag: str) -> None:
    """go-archvariant: a level is reached only with every flag of it and of the levels below."""
    full = x86_level(CpuInfo((DATA / "xeon-8259cl-cascadelake-ec2/proc/cpuinfo").read_text()))
    assert full is not None and full.level == 4
    lowered = x86_level(_flags_without(flag, "xeon-8259cl-cascadelake-ec2"))
    assert lowered is not None
    assert lowered.level == level - 1
    assert flag in lowered.absent


def test_the_levels_are_the_psabi_ones() -> None:
    """x86-64 psABI / GOAMD64, as go-archvariant checks them (cpuinfo names: pni = SSE3,
    abm = LZCNT, xsave for OSXSAVE, which Linux never lists)."""
    assert X86_LEVELS == (
        (2, ("cx16", "lahf_lm", "pni", "popcnt", "sse4_1", "sse4_2", "ssse3")),
        (3, ("abm", "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave")),
        (4, ("avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl")),
    )
    real = (DATA / "this-machine-xeon-kvm" / "proc" / "cpuinfo").read_text()
    assert " osxsave" not in real and " xsave " in real


def test_a_cpuid_level_below_7_is_v1_whatever_the_flags() -> None:
    text = (
        (DATA / HASWELL / "proc" / "cpuinfo")
        .read_text()
        .replace("cpuid level\t: 13", "cpuid level\t: 6")
    )
    found = x86_level(CpuInfo(text))
    assert found is not None and found.level == 1
    assert "cpuid level: 6" in found.describe()


def test_the_level_comes_from_flags_not_vmx_flags() -> None:
    info = CpuInfo("vmx flags\t: avx avx2\nflags\t\t: fpu sse sse2\n")
    assert info.first("flags") == "fpu sse sse2"
    found = x86_level(info)
    assert found is not None and found.level == 1


def test_cpuinfo_lines_are_read_as_go_reads_them() -> None:
    info = CpuInfo(
        "processor\t: 0\r\nmodel name\t: weird: name\r\nCPU ARCHITECTURE:  7 \r\n"
        "processor\t: 1\nCPU architecture: 8\n"
    )
    assert info.first("Cpu architecture") == "7"  # first match, EqualFold, TrimSpace, no \r
    assert info.first("model name") == "weird"  # strings.Split: the value stops at a second ':'
    assert info.first("Hardware") is None


@pytest.mark.parametrize(
    ("machine", "arch"),
    [
        ("x86_64", "amd64"),
        ("AMD64", "amd64"),
        ("aarch64", "arm64"),
        ("ARM64", "arm64"),
        ("armv6l", "arm"),
        ("armv7l", "arm"),
        ("armv8l", "arm"),
        ("i686", "386"),
        ("ppc64le", "ppc64le"),
        ("s390x", "s390x"),
        ("riscv64", "riscv64"),
        ("vax", None),
    ],
)
def test_uname_machines_map_to_go_architectures(machine: str, arch: str | None) -> None:
    assert go_arch(machine) == arch


# -- releases: the asked release, else the newest the range admits


def test_a_range_without_a_release_takes_its_upper_end() -> None:
    pi_zero = read_machine(DATA / "raspberry-pi-zero-w", machine="armv6l", system="linux")
    haswell = read_machine(DATA / HASWELL, machine="x86_64", system="linux")
    qemu_user = read_machine(DATA / HASWELL, machine="armv6l", system="linux")

    def whole_range(spec: str) -> planner.RuleSet:
        rules = dataclasses.replace(load_rules(spec), release="")
        assert rules.releases
        return rules

    # >=29.0.0,<29.6.0 never reaches 29.6.0: no level; >=29.6.0,<29.8.0 does
    assert haswell.host_for(whole_range("docker-c8d@29.5.3")).platform.format() == "linux/amd64"
    assert haswell.host_for(whole_range("docker-c8d@29.6.0")).platform.format() == "linux/amd64/v3"
    # >=1.6.18,<1.6.23 reaches 1.6.22: the uname fallback
    assert qemu_user.host_for(whole_range("containerd@1.6.20")).platform.variant == "v6"
    assert qemu_user.host_for(whole_range("containerd@1.6.0")).platform.variant == "v7"
    # ==1.25.5 and >=1.27.0,<1.37.0 (CRI-O)
    assert pi_zero.host_for(whole_range("cri-o@1.25.5")).platform.variant == "v7"
    assert pi_zero.host_for(whole_range("cri-o@1.27.0")).platform.variant == "v6"


def test_an_unknown_family_is_the_plain_platform(tmp_path: Path) -> None:
    """A rule file without a ``local`` block: pull-planner does not guess the engine."""
    import yaml

    mine = tmp_path / "mine.yaml"
    data = yaml.safe_load((ROOT / "rules" / "crane.yaml").read_text())
    del data["local"]
    mine.write_text(yaml.safe_dump(data, sort_keys=False))
    rules = load_rules(mine)
    assert rules.family == "mine"
    local = read_machine(DATA / HASWELL, machine="x86_64", system="linux").host_for(rules)
    assert local.platform.format() == "linux/amd64"
    assert "does not know how the engine" in local.how[-1]
    assert "family 'mine'" in local.how[-1]


def test_a_family_file_of_ones_own_detects_as_it_declares(tmp_path: Path) -> None:
    """Adding a family is a file: a copy of docker.yaml under another name, with its
    ``local`` block, detects this machine as Docker does (the x86-64 level)."""
    mine = tmp_path / "my-docker.yaml"
    shutil.copy(ROOT / "rules" / "docker.yaml", mine)
    local = read_machine(DATA / HASWELL, machine="x86_64", system="linux").host_for(
        load_rules(mine)
    )
    assert local.platform.format() == "linux/amd64/v3"


# -- reading: injectable root, defaults, other systems


def test_an_unreadable_cpuinfo_is_recorded_not_raised(tmp_path: Path) -> None:
    amd64 = read_machine(tmp_path, machine="x86_64", system="linux")
    assert amd64.cpuinfo is None and "no such file" in amd64.cpuinfo_error
    local = amd64.host_for(load_rules("docker"))
    assert local.platform.format() == "linux/amd64"
    assert "level is not known" in local.how[-1] and str(tmp_path) in local.how[-1]
    # an open error is not 'not found': containerd asks uname only when the line is missing
    arm = read_machine(tmp_path, machine="armv6l", system="linux").host_for(
        load_rules("containerd")
    )
    assert arm.platform.format() == "linux/arm/v7"
    assert "getCPUVariant fails" in arm.how[-1]


def test_a_directory_where_cpuinfo_should_be_is_an_error_line(tmp_path: Path) -> None:
    (tmp_path / "proc" / "cpuinfo").mkdir(parents=True)
    machine = read_machine(tmp_path, machine="aarch64", system="linux")
    assert machine.cpuinfo is None and "directory" in machine.cpuinfo_error
    assert machine.host_for(load_rules("podman")).platform.format() == "linux/arm64"


def test_defaults_come_from_the_platform_module_when_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> str:
        raise AssertionError("read at import time")

    monkeypatch.setattr(std_platform, "machine", refuse)
    monkeypatch.setattr(std_platform, "system", refuse)
    importlib.reload(localhost)  # importing reads nothing
    monkeypatch.setattr(std_platform, "machine", lambda: "aarch64")
    monkeypatch.setattr(std_platform, "system", lambda: "Linux")
    machine = localhost.read_machine(DATA / "raspberry-pi-3-b-arm64")
    assert (machine.system, machine.machine, machine.architecture) == ("linux", "aarch64", "arm64")
    assert machine.host_for(load_rules("podman")).platform.format() == "linux/arm64/v8"


def test_this_machine_reads() -> None:
    machine = read_machine()
    local = machine.host_for(load_rules("docker"))
    assert local.platform.os == std_platform.system().lower()
    assert local.how[0].startswith(f"os {local.platform.os}:")


@pytest.mark.parametrize(
    ("system", "rules", "platform", "words"),
    [
        ("windows", "containerd", "windows/arm64", "gives v8 on windows/arm64"),  # cpuinfo_other.go
        ("windows", "podman@4.3.1", "windows/arm64/v8", "gives v8"),  # getCPUVariantWindows
        ("darwin", "podman@5.0.0", "darwin/arm64", "not implemented for darwin"),  # 5.30
        ("darwin", "podman@5.1.0", "darwin/arm64/v8", "gives v8"),  # 5.31: 44324c2d
        ("freebsd", "containerd@1.6.21", "freebsd/arm64", "not implemented for freebsd"),
        ("freebsd", "containerd@1.6.22", "freebsd/arm64", "normalizes arm64/v8"),  # 1.6.22+
    ],
)
def test_other_systems_read_no_cpuinfo(system: str, rules: str, platform: str, words: str) -> None:
    machine = read_machine(DATA / NO_FIELD, machine="arm64", system=system, os_version="")
    assert machine.cpuinfo is None
    local = machine.host_for(load_rules(rules))
    assert local.platform.format() == platform
    assert words in local.how[-1]


def test_a_windows_host_carries_its_build() -> None:
    machine = read_machine(machine="AMD64", system="Windows", os_version="10.0.20348")
    local = machine.host_for(load_rules("containerd"))
    assert local.platform.format_all() == "windows(10.0.20348)/amd64"
    assert "os.version 10.0.20348: the Windows build" in local.how


# -- what it changes: the pick


def test_the_pi_zero_pick_changes_with_the_c_image_release() -> None:
    entries = [
        {"platform": planner.Platform.parse(p).to_oci()} for p in ("linux/arm/v7", "linux/arm/v6")
    ]
    index = planner.parse_document(index_json(entries), "test")
    assert isinstance(index, planner.Index)
    pi_zero = read_machine(DATA / "raspberry-pi-zero-w", machine="armv6l", system="linux")
    for spec, position in (("podman@4.9.0", 0), ("podman@5.0.0", 1), ("containerd", 1)):
        rules = load_rules(spec)
        chosen = select(index, pi_zero.host_for(rules).platform, rules).chosen
        assert chosen is not None and chosen.position == position, spec
