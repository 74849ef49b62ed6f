"""Host inventories as the tools print them: kubectl get nodes, docker info, podman info, profiles.

Every recorded output in tests/data/inventories/ is read and each derived host is
checked field by field; labels are compared with the file as the json/yaml
modules read it (an independent reader). Broken variants must give one line
naming the file, the line and column of the offending value, and the format
assumed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import planner
from planner.cli import main
from planner.hosts.inventory import load_inventory, sniff
from planner.hosts.records import InvalidInventory, InvalidProfile, Taint, release_number
from planner.hosts.schema import HOSTS_SCHEMA
from planner.model.yamlfile import load

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "inventories"
BROKEN = DATA / "broken"
LTSC_INDEX = DATA / "windows-ltsc-index.json"


def summary(path: Path) -> list[tuple[str, str, str, str | None, list[str]]]:
    """(name, platform with os.version, rules, isolation, taints) of every host."""
    return [
        (h.name, h.platform.format_all(), h.rules.name, h.isolation, [str(t) for t in h.taints])
        for h in load_inventory(path)
    ]


def node_labels(document: Any) -> list[dict[str, str]]:
    items = document["items"] if document["kind"] != "Node" else [document]
    return [item["metadata"].get("labels", {}) for item in items]


# --------------------------------------------------------------------------- kubectl


def test_eks_nodes_json() -> None:
    path = DATA / "eks-nodes.json"
    assert summary(path) == [
        ("ip-10-0-1-23.eu-west-1.compute.internal", "linux/amd64", "containerd@1.7.23", None, []),
        ("ip-10-0-2-41.eu-west-1.compute.internal", "linux/amd64", "containerd@1.7.23", None, []),
        ("ip-10-0-1-87.eu-west-1.compute.internal", "linux/arm64", "containerd@1.7.23", None, []),
        ("ip-10-0-3-112.eu-west-1.compute.internal", "linux/arm64", "containerd@1.7.23", None, []),
        (
            "ip-10-0-2-150.eu-west-1.compute.internal",
            "windows(10.0.20348.2849)/amd64",
            "containerd@1.7.20",
            "process",
            ["os=windows:NoSchedule"],
        ),
        (
            "ip-10-0-3-200.eu-west-1.compute.internal",
            "linux/amd64",
            "containerd@1.7.22",  # containerd://1.7.22+bottlerocket
            None,
            ["nvidia.com/gpu=present:NoSchedule"],
        ),
    ]
    hosts = load_inventory(path)
    assert [dict(h.labels) for h in hosts] == node_labels(json.loads(path.read_text()))
    assert hosts[2].labels["eks.amazonaws.com/nodegroup"] == "graviton-arm64"
    assert hosts[4].labels["node.kubernetes.io/windows-build"] == "10.0.20348"
    assert hosts[5].taints == (Taint("nvidia.com/gpu", "present", "NoSchedule"),)
    assert hosts[5].to_dict()["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
    ]
    assert "taints" not in hosts[0].to_dict()


def test_gke_nodes_yaml() -> None:
    path = DATA / "gke-nodes.yaml"
    assert summary(path) == [
        ("gke-shop-prod-default-pool-3f6c1a2b-x7kq", "linux/amd64", "containerd@1.7.24", None, []),
        ("gke-shop-prod-default-pool-3f6c1a2b-m2zd", "linux/amd64", "containerd@1.7.24", None, []),
        (
            "gke-shop-prod-arm-pool-8d41e7c0-q9vw",
            "linux/arm64",
            "containerd@1.7.24",
            None,
            ["kubernetes.io/arch=arm64:NoSchedule"],
        ),
        ("gke-shop-prod-pool-133-5b2e9f71-h4tn", "linux/amd64", "containerd@2.0.4", None, []),
    ]
    hosts = load_inventory(path)
    assert [dict(h.labels) for h in hosts] == node_labels(yaml.safe_load(path.read_text()))
    # quoted in the YAML, strings here, not booleans or numbers
    assert hosts[3].labels["cloud.google.com/gke-spot"] == "true"
    assert hosts[0].labels["cloud.google.com/gke-max-pods-per-node"] == "110"


def test_aks_windows_nodes_take_the_most_precise_build() -> None:
    path = DATA / "aks-windows-nodes.json"
    assert summary(path) == [
        (
            "aks-system-31427568-vmss000000",
            "linux/amd64",
            "containerd@1.7.25",  # containerd://1.7.25-1
            None,
            ["CriticalAddonsOnly=true:NoSchedule"],
        ),
        # label 10.0.20348, kernelVersion 10.0.20348.2849: the kernel's is more precise
        ("akswin22000000", "windows(10.0.20348.2849)/amd64", "containerd@1.7.20", "process", []),
        ("akswin22000001", "windows(10.0.20348.2762)/amd64", "containerd@1.7.20", "process", []),
        (
            "akswin25000000",
            "windows(10.0.26100.2314)/amd64",
            "containerd@1.7.25",
            "process",
            ["os=windows:NoSchedule"],
        ),
        (
            "akswin25000001",
            "windows(10.0.26100.7171)/amd64",
            "containerd@2.2.0",  # containerd://2.2.0+azure
            "process",
            ["os=windows:NoSchedule"],
        ),
    ]
    hosts = load_inventory(path)
    assert [dict(h.labels) for h in hosts] == node_labels(json.loads(path.read_text()))
    assert hosts[3].labels["kubernetes.azure.com/os-sku"] == "Windows2025"


def test_single_node_json_and_yaml() -> None:
    assert summary(DATA / "k3s-node.json") == [
        (
            "pi5-cp",
            "linux/arm64",
            "containerd@1.7.23",  # containerd://1.7.23-k3s2
            None,
            ["node-role.kubernetes.io/control-plane:NoSchedule"],  # a taint without a value
        )
    ]
    openshift = DATA / "openshift-node.yaml"
    assert summary(openshift) == [
        (
            "ip-10-0-27-109.eu-central-1.compute.internal",
            "linux/amd64",
            "cri-o@1.30.8",  # cri-o://1.30.8-5.rhaos4.17.git6e1b1e5.el9
            None,
            [],
        )
    ]
    [host] = load_inventory(openshift)
    assert dict(host.labels) == node_labels(yaml.safe_load(openshift.read_text()))[0]
    assert host.labels["node-role.kubernetes.io/worker"] == ""


def _edit_node(tmp_path: Path, change: Any, name: str = "node.json") -> Path:
    """The k3s node with ``change(node)`` applied, written to a file."""
    node = json.loads((DATA / "k3s-node.json").read_text())
    change(node)
    path = tmp_path / name
    path.write_text(json.dumps(node, indent=4))
    return path


def test_labels_win_over_node_info(tmp_path: Path) -> None:
    def relabel(node: Any) -> None:
        node["metadata"]["labels"]["kubernetes.io/arch"] = "arm"
        node["status"]["nodeInfo"]["architecture"] = "arm64"

    [host] = load_inventory(_edit_node(tmp_path, relabel))
    assert host.platform.format_all() == "linux/arm"

    def unlabel(node: Any) -> None:
        del node["metadata"]["labels"]["kubernetes.io/arch"]
        del node["metadata"]["labels"]["kubernetes.io/os"]
        node["status"]["nodeInfo"]["architecture"] = "riscv64"

    [host] = load_inventory(_edit_node(tmp_path, unlabel))
    assert host.platform.format_all() == "linux/riscv64"


def test_windows_build_from_either_source(tmp_path: Path) -> None:
    aks = json.loads((DATA / "aks-windows-nodes.json").read_text())
    node = aks["items"][1]

    only_label = json.loads(json.dumps(node))
    del only_label["status"]["nodeInfo"]["kernelVersion"]
    path = tmp_path / "label.json"
    path.write_text(json.dumps(only_label))
    assert load_inventory(path)[0].platform.os_version == "10.0.20348"

    only_kernel = json.loads(json.dumps(node))
    del only_kernel["metadata"]["labels"]["node.kubernetes.io/windows-build"]
    path.write_text(json.dumps(only_kernel))
    assert load_inventory(path)[0].platform.os_version == "10.0.20348.2849"


def test_node_list_items_may_omit_kind(tmp_path: Path) -> None:
    """The API's NodeList (kubectl get --raw /api/v1/nodes) has no kind on its items."""
    document = json.loads((DATA / "eks-nodes.json").read_text())
    document["kind"] = "NodeList"
    for item in document["items"]:
        del item["kind"], item["apiVersion"]
    path = tmp_path / "nodelist.json"
    path.write_text(json.dumps(document))
    assert [h.name for h in load_inventory(path)] == [
        h[0] for h in summary(DATA / "eks-nodes.json")
    ]


# --------------------------------------------------------------------------- docker, podman


def test_docker_info_classic_store_linux() -> None:
    [host] = load_inventory(DATA / "docker-info-linux.json")
    assert (host.name, host.platform.format_all(), host.rules.name, host.isolation) == (
        "ci-runner-07",
        "linux/amd64",  # Architecture x86_64
        "docker@24.0.7",  # DriverStatus without the containerd snapshotter
        None,
    )
    assert dict(host.labels) == {"com.example.pool": "ci", "com.example.site": "dublin"}
    assert host.taints == ()


def test_docker_desktop_with_the_containerd_store() -> None:
    [host] = load_inventory(DATA / "docker-info-desktop.json")
    assert (host.name, host.platform.format_all(), host.rules.name) == (
        "docker-desktop",
        "linux/arm64",  # Architecture aarch64: the Linux VM of an Apple silicon Mac
        "docker-c8d@27.4.0",
    )
    assert host.rules.family == "docker-c8d"
    assert list(host.labels) == ["com.docker.desktop.address"]


def test_docker_info_windows_engine() -> None:
    [host] = load_inventory(DATA / "docker-info-windows.json")
    # OSVersion 10.0.20348 = KernelVersion '10.0 20348 (...)'; the revision from
    # OperatingSystem '... (OS Build 20348.2849)'
    assert (host.name, host.platform.format_all(), host.rules.name, host.isolation) == (
        "WIN-BUILD01",
        "windows(10.0.20348.2849)/amd64",
        "docker@27.4.0",
        "process",
    )


def test_docker_info_windows_saved_by_powershell(tmp_path: Path) -> None:
    """Windows PowerShell 5 redirects as UTF-16 with a byte-order mark."""
    path = tmp_path / "info.json"
    path.write_bytes((DATA / "docker-info-windows.json").read_text().encode("utf-16"))
    assert load_inventory(path) == load_inventory(DATA / "docker-info-windows.json")


def _edit_json(tmp_path: Path, source: Path, change: Any) -> Path:
    document = json.loads(source.read_text())
    change(document)
    path = tmp_path / source.name
    path.write_text(json.dumps(document))
    return path


def test_docker_windows_build_sources_must_agree(tmp_path: Path) -> None:
    def other_kernel(info: Any) -> None:
        info["KernelVersion"] = "10.0 17763 (17763.1.amd64fre.rs5_release.180914-1434)"

    path = _edit_json(tmp_path, DATA / "docker-info-windows.json", other_kernel)
    with pytest.raises(InvalidInventory, match=r"KernelVersion: '10.0 17763 .*' is not the build"):
        load_inventory(path)

    def other_product_build(info: Any) -> None:  # a revision of another build is not taken
        info["OperatingSystem"] = "Microsoft Windows Server Version 1809 (OS Build 17763.6054)"

    path = _edit_json(tmp_path, DATA / "docker-info-windows.json", other_product_build)
    assert load_inventory(path)[0].platform.os_version == "10.0.20348"


def test_podman_info_4_9() -> None:
    [host] = load_inventory(DATA / "podman-info-4.9.json")
    assert (host.name, host.platform.format_all(), host.rules.name) == (
        "build-7",
        "linux/amd64",  # host.variant "" on amd64
        "podman@4.9.3",
    )
    assert dict(host.labels) == {} and host.taints == ()


def test_podman_info_5() -> None:
    [host] = load_inventory(DATA / "podman-info-5.json")
    assert (host.name, host.platform.format_all(), host.rules.name) == (
        "arm-builder-2.lab.example.net",
        "linux/arm64/v8",  # host.variant v8 (podman 4.8+)
        "podman@5.3.1",
    )


def test_podman_before_4_8_has_no_variant(tmp_path: Path) -> None:
    def older(info: Any) -> None:
        del info["host"]["variant"]
        info["version"]["Version"] = "4.3.1"

    [host] = load_inventory(_edit_json(tmp_path, DATA / "podman-info-5.json", older))
    assert (host.platform.format_all(), host.rules.name) == ("linux/arm64", "podman@4.3.1")


# --------------------------------------------------------------------------- the sniffer


@pytest.mark.parametrize(
    ("name", "format_", "reason"),
    [
        ("eks-nodes.json", "kubectl get nodes output", "it has apiVersion and kind"),
        ("gke-nodes.yaml", "kubectl get nodes output", "it has apiVersion and kind"),
        ("k3s-node.json", "kubectl get nodes output", "it has apiVersion and kind"),
        ("docker-info-desktop.json", "docker info output", "it has ServerVersion and OSType"),
        ("broken/docker-info-no-daemon.json", "docker info output", "it has ServerErrors"),
        ("podman-info-4.9.json", "podman info output", "it has host and version sections"),
        ("fleet-with-includes.yaml", "a host profile", "it has hosts and include"),
        ("../../../examples/fleet-linux.yaml", "a host profile", "it has hosts and defaults"),
    ],
)
def test_sniffer_says_what_it_assumed(name: str, format_: str, reason: str) -> None:
    path = DATA / name
    sniffed = sniff(load(path.read_text(), str(path)), json=path.suffix == ".json")
    assert sniffed is not None
    assert (sniffed.format, sniffed.reason) == (format_, reason)


def test_an_unknown_yaml_mapping_is_read_as_a_profile(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("host:\n  - name: a\n")
    with pytest.raises(InvalidProfile) as info:
        load_inventory(path)
    assert str(info.value).startswith(
        f"{path}:1:1: as a host profile: (top level).host: unknown key (did you mean 'hosts'?)"
    )


# --------------------------------------------------------------------------- releases

RELEASES = [
    ("1.7.20", "1.7.20"),
    ("v1.7.20", "1.7.20"),
    ("1.7.20-1", "1.7.20"),
    ("1.7.25-1", "1.7.25"),
    ("1.7.22+bottlerocket", "1.7.22"),
    ("1.7.23-k3s2", "1.7.23"),
    ("1.30.8-5.rhaos4.17.git6e1b1e5.el9", "1.30.8"),
    ("20.10.24+dfsg1", "20.10.24"),
    ("1.7.20~ds1", "1.7.20"),
    ("24.0.7-0ubuntu4", "24.0.7"),
    ("9.9", "9.9"),
]


@pytest.mark.parametrize(("text", "release"), RELEASES)
def test_release_numbers(text: str, release: str) -> None:
    assert release_number(text) == release


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2.0.0-rc.3", "is a pre-release of 2.0.0"),
        ("5.3.0-dev", "is a pre-release of 5.3.0"),
        ("28.0.0-beta.1", "is a pre-release of 28.0.0"),
        ("2.0.0~rc.3-1", "is a pre-release of 2.0.0"),
        ("latest", "has no release number"),
        ("1.7.20rc1", "has no release number"),
        ("1.7.20.1", "has no release number"),
        ("1", "has no release number"),
    ],
)
def test_release_numbers_refused(text: str, problem: str) -> None:
    with pytest.raises(planner.InvalidInput, match=problem):
        release_number(text)


# --------------------------------------------------------------------------- broken inputs


def _line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` that contains ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


BROKEN_CASES = [
    pytest.param(
        "eks-unknown-release.json",
        '"containerd://9.9"',
        "as kubectl get nodes output: items[3] (ip-10-0-3-112.eu-west-1.compute.internal):"
        " status.nodeInfo.containerRuntimeVersion: 'containerd://9.9' has no rules:"
        " containerd@9.9: no rules for release 9.9; the known release ranges are >=1.6.0,<1.6.18;",
        id="release-outside-every-range",
    ),
    pytest.param(
        "nodes-unknown-runtime.yaml",
        "rkt://1.30.0",
        "as kubectl get nodes output: items[1] (gke-shop-prod-default-pool-3f6c1a2b-m2zd):"
        " status.nodeInfo.containerRuntimeVersion: 'rkt://1.30.0': no rules for runtime 'rkt';"
        " known runtimes: containerd, cri-o, docker",
        id="unknown-runtime",
    ),
    pytest.param(
        "windows-node-no-build.json",
        '"nodeInfo"',
        "as kubectl get nodes output: node akswin22000000: status.nodeInfo: a Windows node needs"
        " its build: neither the label node.kubernetes.io/windows-build nor kernelVersion gives one",
        id="windows-without-build",
    ),
    pytest.param(
        "windows-node-build-mismatch.json",
        '"kernelVersion"',
        "as kubectl get nodes output: node akswin25000000: status.nodeInfo.kernelVersion:"
        " '10.0.26100.2314' is not the build of the label node.kubernetes.io/windows-build"
        " '10.0.20348'",
        id="windows-builds-disagree",
    ),
    pytest.param(
        "pods.json",
        '"kind": "Pod"',
        "as kubectl get nodes output: items[0].kind: 'Pod' is not a Node",
        id="pods-not-nodes",
    ),
    pytest.param(
        "docker-info-no-daemon.json",
        "ServerErrors",
        "as docker info output: ServerErrors: the docker client could not read the engine's"
        " information: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.",
        id="docker-without-daemon",
    ),
    pytest.param(
        "docker-info-prerelease.json",
        "ServerVersion",
        "as docker info output: ServerVersion: '28.0.0-rc.2' is a pre-release of 28.0.0;"
        " rules are kept for releases only",
        id="docker-pre-release",
    ),
    pytest.param(
        "podman-info-truncated.json",
        None,
        "invalid JSON: found unexpected end of stream",
        id="truncated-json",
    ),
    pytest.param(
        "kubectl-version.json",
        "{",
        "not a host inventory: expected a host profile (hosts, include), kubectl get nodes"
        " output (apiVersion, kind), docker info output (ServerVersion, OSType) or podman info"
        " output (host, version); its top-level keys are clientVersion, kustomizeVersion,"
        " serverVersion",
        id="not-an-inventory",
    ),
]


@pytest.mark.parametrize(("name", "needle", "message"), BROKEN_CASES)
def test_broken_inventories(name: str, needle: str | None, message: str) -> None:
    path = BROKEN / name
    with pytest.raises(InvalidInventory) as info:
        load_inventory(path)
    error = str(info.value)
    assert "\n" not in error
    lines = path.read_text().splitlines()
    line = _line_of(path, needle) if needle else len(lines)
    text = lines[line - 1]
    # the position is the offending key's: the first on its line, or on a one-line
    # document the key itself; the end of the text when it stops short
    column = len(text) - len(text.lstrip()) + 1
    if not needle:
        column = len(text) + 1
    elif name.startswith("docker-info"):
        column = text.index(f'"{needle}"') + 1
    assert error.startswith(f"{path}:{line}:{column}: "), error
    assert message in error, error


def test_cli_reports_inventory_errors(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "eks-unknown-release.json"
    assert main(["check", "oci:examples/webapp:2.1", "--hosts", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    line = _line_of(path, "containerd://9.9")
    assert err[0].startswith(f"pull-planner: error: {path}:{line}:21: as kubectl get nodes output:")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"apiVersion": "v1", "kind": "List", "items": []}, "items: has no nodes"),
        (
            {"apiVersion": "v1", "kind": "Pod"},
            "kind: 'Pod' is not Node, NodeList or List",
        ),
        ({"apiVersion": "v1", "kind": "Node", "metadata": {}}, "metadata.name: missing"),
        (
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}},
            "node n: missing 'status'",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "n"},
                "status": {"nodeInfo": {"operatingSystem": "linux", "architecture": "amd64"}},
            },
            "node n: status.nodeInfo.containerRuntimeVersion: missing",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "n"},
                "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]},
                "status": {
                    "nodeInfo": {
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                        "containerRuntimeVersion": "containerd://1.7.20",
                    }
                },
            },
            "node n: spec.taints[0].effect: 'Sometimes' is not one of: NoSchedule, PreferNoSchedule, NoExecute",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "n"},
                "status": {
                    "nodeInfo": {
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                        "containerRuntimeVersion": "containerd",
                    }
                },
            },
            "'containerd' is not RUNTIME://VERSION, such as 'containerd://1.7.20'",
        ),
        (
            {"Name": "x", "OSType": "linux", "Architecture": "sparc64", "ServerVersion": "27.4.0"},
            "as docker info output: Architecture: 'sparc64' is not an architecture pull-planner knows",
        ),
        (
            {"Name": "x", "OSType": "linux", "Architecture": "x86_64", "ServerVersion": "19.03.15"},
            "as docker info output: ServerVersion: '19.03.15' has no rules: docker@19.03.15: no rules",
        ),
        (
            {"Name": "x", "OSType": "windows", "Architecture": "x86_64", "ServerVersion": "27.4.0"},
            "as docker info output: OSVersion: a Windows engine needs its build",
        ),
        (
            {
                "host": {"hostname": "h", "os": "linux", "arch": "amd64"},
                "version": {"Version": "3.4.4"},
            },
            "as podman info output: version.Version: '3.4.4' has no rules: podman@3.4.4",
        ),
        (
            {"host": {"os": "linux", "arch": "amd64"}, "version": {"Version": "4.9.3"}},
            "as podman info output: host.hostname: missing",
        ),
        ([1, 2], "not a host inventory: expected a host profile"),
    ],
)
def test_small_broken_documents(tmp_path: Path, document: Any, message: str) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(InvalidInventory) as info:
        load_inventory(path)
    error = str(info.value)
    assert error.startswith(f"{path}:") and "\n" not in error
    assert message in error, error


# --------------------------------------------------------------------------- profiles: include, rules, taints


def test_profile_with_includes() -> None:
    hosts = load_inventory(DATA / "fleet-with-includes.yaml")
    eks = [h[0] for h in summary(DATA / "eks-nodes.json")]
    assert [h.name for h in hosts] == [*eks, "WIN-BUILD01", "pi-zero", "mac-build"]
    assert [h.rules.name for h in hosts[-3:]] == [
        "docker@27.4.0",
        "docker@20.10.24",
        "docker-c8d@27.4.0",
    ]
    assert hosts[-1].taints == (Taint("dedicated", "build", "NoSchedule"),)
    assert hosts[-3].platform.os_version == "10.0.20348.2849"
    assert hosts[0] == load_inventory(DATA / "eks-nodes.json")[0]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def test_included_hosts_stand_where_include_stands(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "edge.yaml", "hosts:\n  - {name: e1, platform: linux/arm/v7}\n")
    write(tmp_path / "sub", "more.yaml", "include: edge.yaml\n")  # relative to sub/
    (tmp_path / "sub" / "podman.json").write_text((DATA / "podman-info-5.json").read_text())
    path = write(
        tmp_path,
        "fleet.yaml",
        """\
        defaults: {rules: crane}
        hosts:
          - {name: first, platform: linux/amd64}
        include: [sub/more.yaml, sub/podman.json]
        """,
    )
    hosts = load_inventory(path)
    assert [(h.name, h.rules.name) for h in hosts] == [
        ("first", "crane"),
        ("e1", "docker"),  # the including file's defaults do not apply
        ("arm-builder-2.lab.example.net", "podman@5.3.1"),
    ]


def test_duplicate_names_across_files_name_both_places(tmp_path: Path) -> None:
    (tmp_path / "k3s.json").write_text((DATA / "k3s-node.json").read_text())
    path = write(
        tmp_path,
        "fleet.yaml",
        """\
        include: k3s.json
        hosts:
          - name: pi5-cp
            platform: linux/arm64
        """,
    )
    with pytest.raises(InvalidProfile) as info:
        load_inventory(path)
    name_line = _line_of(tmp_path / "k3s.json", '"name": "pi5-cp"')
    assert str(info.value) == (
        f"{path}:3:5: as a host profile: hosts[0].name: duplicate host name 'pi5-cp'"
        f" (first at {tmp_path / 'k3s.json'}:{name_line}:9)"
    )


def test_duplicate_names_within_one_list(tmp_path: Path) -> None:
    document = json.loads((DATA / "eks-nodes.json").read_text())
    document["items"].append(document["items"][0])
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps(document, indent=4))
    with pytest.raises(InvalidInventory) as info:
        load_inventory(path)
    lines = [
        i
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if '"name": "ip-10-0-1-23.eu-west-1.compute.internal"' in line
    ]
    assert str(info.value).startswith(f"{path}:{lines[-1]}:")
    assert str(info.value).endswith(
        "as kubectl get nodes output: items[6] (ip-10-0-1-23.eu-west-1.compute.internal):"
        f" metadata.name: duplicate host name 'ip-10-0-1-23.eu-west-1.compute.internal'"
        f" (first at line {lines[0]})"
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"fleet.yaml": "include: nowhere.json\n"},
            "fleet.yaml:1:1: as a host profile: include: 'A/nowhere.json' not found",
        ),
        (
            {"fleet.yaml": "include: [a.yaml]\n", "a.yaml": "include: [fleet.yaml]\n"},
            "a.yaml:1:11: as a host profile: include[0]: includes 'A/fleet.yaml' again, a cycle:"
            " A/fleet.yaml -> A/a.yaml -> A/fleet.yaml",
        ),
        (
            {"fleet.yaml": "include: [.]\n"},
            "fleet.yaml:1:11: as a host profile: include[0]: 'A' is a directory",
        ),
        (
            {"fleet.yaml": "include: []\n"},
            "fleet.yaml:1:1: as a host profile: include: must be a path or a non-empty list",
        ),
        ({"fleet.yaml": "include: [3]\n"}, "include: must be a path or a non-empty list of paths"),
        (
            {
                "fleet.yaml": "include: [bad.json]\n",
                "bad.json": '{"apiVersion": "v1", "kind": "Pod"}\n',
            },
            "bad.json:1:22: as kubectl get nodes output: kind: 'Pod' is not Node",
        ),
    ],
)
def test_include_problems(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(InvalidProfile) as info:
        load_inventory(tmp_path / "fleet.yaml")
    expected = message.replace("A/", f"{tmp_path}/").replace("'A'", f"'{tmp_path}'")
    error = str(info.value)
    assert "\n" not in error
    assert error.startswith(str(tmp_path)) and expected in error, error


def test_profile_rules_name_a_release(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "fleet.yaml",
        """\
        hosts:
          - {name: old, platform: windows/amd64, os.version: 10.0.26100.1, rules: containerd@1.7.20}
          - {name: new, platform: windows/amd64, os.version: 10.0.26100.1, rules: containerd@2.2.7}
          - {name: gone, platform: linux/amd64, rules: containerd@9.9}
        """,
    )
    with pytest.raises(InvalidProfile) as info:
        load_inventory(path)
    column = path.read_text().splitlines()[3].index("rules: containerd@9.9") + 1
    assert str(info.value).startswith(
        f"{path}:4:{column}: as a host profile: hosts[2] (gone).rules: containerd@9.9:"
        " no rules for release 9.9;"
    )
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
    assert [h.rules.name for h in load_inventory(path)] == ["containerd@1.7.20", "containerd@2.2.7"]
    assert [h.rules.releases for h in load_inventory(path)] == [">=1.7.6,<2.0.0", ">=2.1.6,<2.3.0"]


def test_profile_taints(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "fleet.yaml",
        """\
        defaults: {platform: linux/amd64, taints: ["team=data:PreferNoSchedule"]}
        hosts:
          - name: gpu
            taints:
              - nvidia.com/gpu=present:NoSchedule
              - {key: dedicated, effect: NoExecute}
          - name: plain
        """,
    )
    gpu, plain = load_hosts_both(path)
    assert gpu.taints == (
        Taint("nvidia.com/gpu", "present", "NoSchedule"),
        Taint("dedicated", "", "NoExecute"),
    )
    assert plain.taints == (Taint("team", "data", "PreferNoSchedule"),)
    assert [str(t) for t in gpu.taints] == [
        "nvidia.com/gpu=present:NoSchedule",
        "dedicated:NoExecute",
    ]


def load_hosts_both(path: Path) -> list[planner.HostProfile]:
    """load_hosts (profiles only) and load_inventory agree on a profile."""
    hosts = planner.load_hosts(path)
    assert hosts == load_inventory(path)
    return hosts


@pytest.mark.parametrize(
    ("taints", "position", "message"),
    [
        ("[gpu]", "5:14", "'gpu' is not key[=value]:Effect"),
        (
            "[gpu=1:Never]",
            "5:14",
            "effect 'Never' is not one of: NoSchedule, PreferNoSchedule, NoExecute",
        ),
        ("[{key: gpu}]", "5:14", "hosts[0] (a).taints[0]: missing required key 'effect'"),
        ("gpu=1:NoSchedule", "5:5", "must be a list of taints, not the string"),
    ],
)
def test_profile_taint_errors(tmp_path: Path, taints: str, position: str, message: str) -> None:
    path = write(
        tmp_path,
        "fleet.yaml",
        f"hosts:\n  - name: a\n    platform: linux/amd64\n    labels: {{}}\n    taints: {taints}\n",
    )
    with pytest.raises(InvalidProfile) as info:
        planner.load_hosts(path)
    assert str(info.value).startswith(f"{path}:{position}: ") and message in str(info.value)


def test_schema_knows_include_and_taints() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(HOSTS_SCHEMA)
    fleet = yaml.safe_load((DATA / "fleet-with-includes.yaml").read_text())
    assert list(validator.iter_errors(fleet)) == []
    assert list(validator.iter_errors({"include": "nodes.json"})) == []
    assert list(
        validator.iter_errors({"defaults": {"rules": "docker"}})
    )  # neither hosts nor include
    bad_effect = {"hosts": [{"name": "a", "platform": "linux/amd64", "taints": ["k=v:Never"]}]}
    assert list(validator.iter_errors(bad_effect))


# --------------------------------------------------------------------------- through the CLI and the library


def test_select_by_a_node_label(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["resolve", "oci:examples/webapp:2.1", "--hosts", "examples/cluster-nodes.json", "-q"]
    assert main([*argv, "--select", "kubernetes.io/arch=arm64"]) == 0
    out = capsys.readouterr().out.split()
    assert out[0::2] == [
        "ip-10-0-1-87.eu-west-1.compute.internal",
        "ip-10-0-3-112.eu-west-1.compute.internal",
    ]
    assert len(set(out[1::2])) == 1  # the same linux/arm64/v8 image
    assert main([*argv, "--select", "eks.amazonaws.com/nodegroup=gpu-a10g"]) == 0
    assert capsys.readouterr().out.split()[0] == "ip-10-0-3-200.eu-west-1.compute.internal"


def test_examples_are_the_recorded_outputs() -> None:
    assert (ROOT / "examples" / "cluster-nodes.json").read_bytes() == (
        DATA / "eks-nodes.json"
    ).read_bytes()
    assert (ROOT / "examples" / "docker-info-desktop.json").read_bytes() == (
        DATA / "docker-info-desktop.json"
    ).read_bytes()


def test_cluster_against_the_example_image() -> None:
    hosts = load_inventory(ROOT / "examples" / "cluster-nodes.json")
    report = planner.run_fleet(["oci:examples/webapp:2.1"], hosts)
    picks = {
        p.host.name: (p.status, p.resolution.platform.describe() if p.resolution.platform else None)
        for p in report.pairs
    }
    assert picks == {
        "ip-10-0-1-23.eu-west-1.compute.internal": ("ok", "linux/amd64"),
        "ip-10-0-2-41.eu-west-1.compute.internal": ("ok", "linux/amd64"),
        "ip-10-0-1-87.eu-west-1.compute.internal": ("ok", "linux/arm64/v8"),
        "ip-10-0-3-112.eu-west-1.compute.internal": ("ok", "linux/arm64/v8"),
        "ip-10-0-2-150.eu-west-1.compute.internal": ("ok", "windows/amd64 10.0.20348.2849"),
        "ip-10-0-3-200.eu-west-1.compute.internal": ("ok", "linux/amd64"),
    }


def test_a_release_boundary_changes_the_pick() -> None:
    """Windows Server 2025 nodes on containerd 1.7 and 2.2, one index listing ltsc2022 first:
    containerd < 2.1.6 keeps list order among what the host runs, 2.1.6+ takes the highest
    os.version (containerd/platforms rc.2 windowsMatchComparer)."""
    hosts = load_inventory(DATA / "aks-windows-nodes.json")
    report = planner.run_fleet([str(LTSC_INDEX)], hosts, plans=False)
    picks = {
        p.host.name: (
            p.host.rules.name,
            p.status,
            p.resolution.platform.os_version if p.resolution.platform else None,
        )
        for p in report.pairs
    }
    assert picks == {
        "aks-system-31427568-vmss000000": ("containerd@1.7.25", "no-image", None),
        "akswin22000000": ("containerd@1.7.20", "ok", "10.0.20348.2849"),
        "akswin22000001": ("containerd@1.7.20", "ok", "10.0.20348.2849"),
        "akswin25000000": ("containerd@1.7.25", "ok", "10.0.20348.2849"),
        "akswin25000001": ("containerd@2.2.0", "ok", "10.0.26100.2314"),
    }
    # the same two hosts through resolve, with each side of the boundary named
    host = hosts[3].platform
    assert planner.resolve(
        str(LTSC_INDEX), host, rules="containerd@2.1.5"
    ).selected.digest.startswith("sha256:2f3b")  # type: ignore[union-attr]
    assert planner.resolve(
        str(LTSC_INDEX), host, rules="containerd@2.1.6"
    ).selected.digest.startswith("sha256:7c1d")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in DATA.glob("*.json") if "index" not in p.name)
)
def test_fast_json_reads_what_the_positioned_reading_reads(name: str) -> None:
    """JSON is read with :mod:`json` (30x faster); the hosts are those the YAML reading gives."""
    from planner.hosts import inventory

    path = DATA / name
    fast = load_inventory(path)
    slow = [
        p.host for p in inventory._read(path, inventory.Includes.starting_at(path, inventory._read))
    ]
    assert [h.to_dict() for h in fast] == [h.to_dict() for h in slow]


def test_json_that_plain_json_reads_differently_takes_the_positioned_path(tmp_path: Path) -> None:
    """A duplicate key is refused with its line, as YAML reads it, not silently last-wins."""
    path = tmp_path / "dup.json"
    path.write_text(
        '{\n "apiVersion": "v1",\n "kind": "List",\n "kind": "List",\n "items": []\n}\n'
    )
    with pytest.raises(planner.InvalidInput, match=r"dup.json:4:2: duplicate key 'kind'"):
        load_inventory(path)


def test_a_cordoned_node_has_the_unschedulable_taint(tmp_path: Path) -> None:
    """kubectl cordon sets spec.unschedulable; the scheduler's NodeUnschedulable filter keeps
    pods off unless they tolerate node.kubernetes.io/unschedulable:NoSchedule
    (pkg/scheduler/framework/plugins/nodeunschedulable)."""
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "n1",
            "labels": {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
        },
        "spec": {"unschedulable": True},
        "status": {"nodeInfo": {"containerRuntimeVersion": "containerd://1.7.20"}},
    }
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps(node))
    (host,) = load_inventory(path)
    assert [str(t) for t in host.taints] == ["node.kubernetes.io/unschedulable:NoSchedule"]
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    path.write_text(json.dumps(node))
    (host,) = load_inventory(path)
    assert len(host.taints) == 1  # the node controller's taint and the flag: one taint
