"""``check -f``: workloads against a real cluster's nodes, images served by the real registry.

The chart is examples/chart (rendered by the real ``helm``), the nodes are
examples/cluster-nodes.json (``kubectl get nodes -o json`` of an EKS cluster:
2 amd64 nodes, 2 Graviton arm64 nodes, a Windows Server 2022 node tainted
``os=windows:NoSchedule``, a GPU node tainted ``nvidia.com/gpu=present:NoSchedule``),
the images are pushed by tests/shop.py.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from tests.conftest import README_PORT
from tests.helpers import cli, require_tool
from tests.shop import Shop

ROOT = Path(__file__).resolve().parent.parent
NODES = ROOT / "examples" / "cluster-nodes.json"
CHART = ROOT / "examples" / "chart"
AMD64 = ["ip-10-0-1-23.eu-west-1.compute.internal", "ip-10-0-2-41.eu-west-1.compute.internal"]
ARM64 = ["ip-10-0-1-87.eu-west-1.compute.internal", "ip-10-0-3-112.eu-west-1.compute.internal"]
WINDOWS = "ip-10-0-2-150.eu-west-1.compute.internal"
GPU = "ip-10-0-3-200.eu-west-1.compute.internal"


def helm_template(shop: Shop, *extra: str) -> str:
    helm = require_tool("helm", "helm (see .ci/install-helm)")
    done = subprocess.run(
        [helm, "template", "shop", str(CHART), "--set", f"registry={shop.registry.host}", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def check(manifests: str, tmp_path: Path, *args: str, hosts: Path = NODES) -> tuple[int, str, str]:
    """``pull-planner check -f -`` in a subprocess, the manifests on standard input."""
    cache = str(tmp_path / "cache")
    return cli(
        "check", "-f", "-", "--hosts", str(hosts), "--cache-dir", cache, *args, stdin=manifests
    )


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in report["workloads"]}


def statuses(workload: dict[str, Any]) -> dict[str, str]:
    return {n["host"]: n["status"] for n in workload["nodes"]}


def test_the_chart_fails_on_arm64_nodes_for_its_amd64_only_init_container(
    shop: Shop, tmp_path: Path
) -> None:
    code, out, err = check(helm_template(shop), tmp_path, "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    web = by_name(report)["shop-web"]
    assert web["kind"] == "Deployment" and web["namespace"] == "default"
    assert [(c["name"], c["init"]) for c in web["containers"]] == [
        ("web", False),
        ("migrate", True),
        ("metrics-proxy", True),
    ]
    # the Windows and GPU nodes are tainted: not eligible, and not failures
    assert statuses(web) == {**dict.fromkeys(AMD64, "ok"), **dict.fromkeys(ARM64, "will-not-run")}
    assert {n["reason"] for n in web["not_eligible"]} == {
        "taint os=windows:NoSchedule is not tolerated",
        "taint nvidia.com/gpu=present:NoSchedule is not tolerated",
    }
    arm = next(n for n in web["nodes"] if n["host"] == ARM64[0])
    assert [(p["container"], p["status"]) for p in arm["problems"]] == [("migrate", "will-not-run")]
    assert "single linux/amd64 image" in arm["problems"][0]["reason"]
    assert web["suggested_affinity"] == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                        ]
                    }
                ]
            }
        }
    }
    assert web["needs_builds"] == [
        {
            "container": "migrate",
            "image": shop.ref("shop/migrate:1.0"),
            "platforms": ["linux/arm64"],
        }
    ]
    assert {s["what"] for s in report["skipped"]} == {
        "Service default/shop-web",
        "ConfigMap default/shop-web",
    }
    assert report["failures"] == 1


def test_the_chart_passes_with_the_suggested_affinity(shop: Shop, tmp_path: Path) -> None:
    code, out, _ = check(helm_template(shop), tmp_path, "--format", "json")
    assert code == 1
    affinity = by_name(json.loads(out))["shop-web"]["suggested_affinity"]
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"web": {"affinity": affinity}}))
    code, out, err = check(helm_template(shop, "-f", str(values)), tmp_path, "--format", "json")
    assert code == 0, err
    web = by_name(json.loads(out))["shop-web"]
    assert statuses(web) == dict.fromkeys(AMD64, "ok")


def test_the_suggested_patch_is_yaml_kubectl_can_apply(shop: Shop, tmp_path: Path) -> None:
    code, out, _ = check(helm_template(shop), tmp_path, "--suggest")
    assert code == 1
    patch_text = out.split("# Deployment/default/shop-web\n", 1)[1]
    assert "kubectl patch deployment shop-web -n default --patch-file PATCH.yaml" in patch_text
    assert f"# build {shop.ref('shop/migrate:1.0')} (container migrate) for: linux/arm64" in out
    patch = yaml.safe_load(patch_text)
    terms = patch["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert terms == [
        {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]}
    ]


def test_the_daemonset_tolerating_windows_runs_on_every_node_but_the_gpu_one(
    shop: Shop, tmp_path: Path
) -> None:
    _code, out, _ = check(helm_template(shop), tmp_path, "--format", "json")
    agent = by_name(json.loads(out))["shop-log-agent"]
    assert agent["kind"] == "DaemonSet" and agent["namespace"] == "kube-system"
    assert agent["replicas"] is None
    assert statuses(agent) == dict.fromkeys([*AMD64, *ARM64, WINDOWS], "ok")
    assert agent["not_eligible"] == [
        {"reason": "taint nvidia.com/gpu=present:NoSchedule is not tolerated", "hosts": [GPU]}
    ]
    windows = next(n for n in agent["nodes"] if n["host"] == WINDOWS)
    pushed = shop.images["shop/log-agent:2.1"][2]  # the 10.0.20348 entry
    assert windows["download_bytes"] == sum(len(b) for b in pushed.blobs)


def test_the_cronjob_pinned_to_arm64_reads_no_amd64_manifest(shop: Shop, tmp_path: Path) -> None:
    mark = shop.registry.mark()
    _code, out, _ = check(helm_template(shop), tmp_path, "--format", "json")
    report = by_name(json.loads(out))["shop-report"]
    assert report["kind"] == "CronJob"
    assert statuses(report) == dict.fromkeys(ARM64, "ok")
    amd64_manifest = shop.images["shop/report:1.0"][0].digest
    paths = [r["path"] for r in shop.registry.since(mark)]
    assert f"/v2/shop/report/manifests/{amd64_manifest}" not in paths


def test_the_statefulset_selecting_a_windows_build(shop: Shop, tmp_path: Path) -> None:
    _code, out, _ = check(helm_template(shop), tmp_path, "--format", "json")
    ledger = by_name(json.loads(out))["shop-ledger"]
    assert statuses(ledger) == {WINDOWS: "ok"}
    assert ledger["nodes"][0]["download_bytes"] == sum(
        len(b) for b in shop.images["shop/ledger-win:2022"][0].blobs
    )


def test_a_workload_with_no_eligible_node_fails_on_its_own(shop: Shop, tmp_path: Path) -> None:
    nodes = json.loads(NODES.read_text())
    nodes["items"] = [n for n in nodes["items"] if n["metadata"]["name"] != WINDOWS]
    linux_only = tmp_path / "linux-nodes.json"
    linux_only.write_text(json.dumps(nodes))
    code, out, err = check(helm_template(shop), tmp_path, hosts=linux_only)
    assert code == 1
    assert (
        "FAIL StatefulSet/default/shop-ledger: no eligible node (5 nodes: nodeSelector"
        " kubernetes.io/os='windows': the node's label is 'linux')"
    ) in " ".join(out.split())
    row = next(line for line in out.splitlines() if line.startswith("StatefulSet"))
    assert row.split()[1:] == ["NO", "NODE"] * 3
    assert "2 of 4 workloads failed" in err


def test_requests_are_one_per_image_and_one_per_chosen_manifest(shop: Shop, tmp_path: Path) -> None:
    mark = shop.registry.mark()
    _code, _, _err = check(helm_template(shop), tmp_path, "--stats", "--no-cache")
    manifests = [r for r in shop.registry.since(mark) if "/manifests/" in r["path"]]
    tags = [r for r in manifests if not r["path"].rsplit("/", 1)[1].startswith("sha256:")]
    chosen = [r for r in manifests if r not in tags]
    # 6 images; chosen: web 2, metrics-proxy 2, log-agent 3 (amd64, arm64, 10.0.20348),
    # report 1 (arm64 only), ledger 1; migrate is a single image: its tag is the manifest
    assert (len(tags), len(chosen)) == (6, 9), manifests
    assert len({r["path"] for r in manifests}) == len(manifests)
    assert all(r["method"] == "GET" for r in manifests)


def test_allow_missing_takes_workload_node_patterns(shop: Shop, tmp_path: Path) -> None:
    text = helm_template(shop)
    code, _, _ = check(text, tmp_path, "--allow-missing", f"shop-web:{ARM64[0]}")
    assert code == 1  # the other arm64 node still fails
    code, out, _ = check(
        text, tmp_path, "--allow-missing", "default/shop-web:ip-10-0-*", "--format", "json"
    )
    assert code == 0
    assert statuses(by_name(json.loads(out))["shop-web"])[ARM64[1]] == "allowed"
    code, _, err = check(text, tmp_path, "--allow-missing", "Deployment/default/nope:*")
    assert code == 2 and "no workload matches 'Deployment/default/nope'" in err
    code, _, err = check(text, tmp_path, "--allow-missing", "shop-web:no-such-node")
    assert code == 2 and "no node matches 'no-such-node'" in err


def test_junit_has_a_suite_per_workload_and_a_case_per_eligible_node(
    shop: Shop, tmp_path: Path
) -> None:
    junit = tmp_path / "report.xml"
    code, _, _ = check(helm_template(shop), tmp_path, "--junit", str(junit))
    assert code == 1
    root = ElementTree.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {
        "DaemonSet/kube-system/shop-log-agent",
        "Deployment/default/shop-web",
        "StatefulSet/default/shop-ledger",
        "CronJob/default/shop-report",
    }
    web = suites["Deployment/default/shop-web"]
    assert (web.get("tests"), web.get("failures")) == ("4", "2")
    failing = [c for c in web.iter("testcase") if c.find("failure") is not None]
    assert sorted(c.get("name", "").split(" ")[0] for c in failing) == ARM64
    assert root.get("failures") == "2"


def test_markdown_and_text_reports(shop: Shop, tmp_path: Path) -> None:
    code, out, _ = check(helm_template(shop), tmp_path, "--format", "markdown")
    assert code == 1
    assert "| workload | general-amd64 | graviton-arm64 | windows-2022 | gpu-a10g |" in out
    assert "| `Deployment/default/shop-web` | ✅ ok" in out
    code, out, _ = check(helm_template(shop), tmp_path)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "4 workloads, 1 failed, release gate: closed" in out


def test_a_compose_file_against_one_platform(shop: Shop, tmp_path: Path) -> None:
    project = tmp_path / "myapp"
    project.mkdir()
    (project / ".env").write_text("WEB_TAG=1.0\n")
    compose = project / "compose.yaml"
    compose.write_text(
        textwrap.dedent(f"""\
        services:
          web:
            image: {shop.ref("shop/web")}:${{WEB_TAG}}
          report:
            image: {shop.ref("shop/report:1.0")}
            platform: linux/arm64
          worker:
            build: ./worker
        """)
    )

    def run(platform: str) -> tuple[int, dict[str, Any]]:
        cache = str(tmp_path / "cache")
        code, out, _ = cli(
            "check",
            "-f",
            str(compose),
            "--platform",
            platform,
            "--cache-dir",
            cache,
            "--format",
            "json",
        )
        return code, json.loads(out)

    code, report = run("linux/amd64")
    assert code == 1
    workloads = by_name(report)
    assert workloads["web"]["kind"] == "compose" and workloads["web"]["namespace"] == "myapp"
    assert workloads["web"]["containers"][0]["image"] == shop.ref("shop/web:1.0")
    assert statuses(workloads["web"]) == {"linux/amd64": "ok"}
    problem = workloads["report"]["nodes"][0]["problems"][0]
    assert problem["status"] == "will-not-run"
    assert problem["reason"].startswith("pulled for platform linux/arm64, a linux/arm64/v8 image")
    assert report["skipped"][0]["what"] == "service worker"
    # on an arm64 host the service's platform is its own: it runs
    assert run("linux/arm64")[0] == 0


def test_the_readme_ci_step_runs_as_written(shop: Shop, tmp_path: Path) -> None:
    require_tool("helm", "helm (see .ci/install-helm)")
    readme = (ROOT / "README.md").read_text()
    step = readme.split("<!-- ci-workloads -->")[1].split("```sh\n", 1)[1].split("```", 1)[0]
    shutil.copytree(CHART, tmp_path / "chart")
    shutil.copy(NODES, tmp_path / "nodes.json")
    env = {
        "REGISTRY": shop.registry.host,
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    root = ElementTree.parse(tmp_path / "report.xml").getroot()
    assert root.get("failures") == "2"


def test_the_readme_example_prints_what_the_readme_shows(shop: Shop, tmp_path: Path) -> None:
    require_tool("helm", "helm (see .ci/install-helm)")
    if shop.registry.port != README_PORT:
        message = f"port {README_PORT} was taken: the README's localhost:5000 is elsewhere"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Workloads:", 1)[1]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    command, *expected = block.splitlines()
    assert command.startswith("$ helm template ")
    helm_part, planner_part = command[2:].split(" | ")
    argv = shlex.split(planner_part)
    assert argv[0] == "pull-planner"
    rendered = subprocess.run(shlex.split(helm_part), cwd=ROOT, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    done = subprocess.run(
        [sys.executable, "-m", "planner", *argv[1:], "--cache-dir", str(tmp_path)],
        input=rendered.stdout,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == expected


def test_the_library_on_a_host_profile_labels_from_platforms_and_have_excluded(
    shop: Shop, tmp_path: Path
) -> None:
    import planner

    profile = tmp_path / "hosts.yaml"
    profile.write_text(
        textwrap.dedent(f"""\
        hosts:
          - {{name: pi, platform: linux/arm64/v8, rules: containerd, have: ["{shop.ref("shop/web:1.0")}"]}}
          - {{name: x86, platform: linux/amd64}}
        """)
    )
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text(
        textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{name: web, namespace: shop}}
        spec:
          template:
            spec:
              nodeSelector: {{kubernetes.io/arch: arm64}}
              containers:
                - {{name: web, image: "{shop.ref("shop/web:1.0")}"}}
                - {{name: proxy, image: "{shop.ref("shop/metrics-proxy:0.9")}"}}
        """)
    )
    found = planner.read_manifests([str(manifest)])
    report = planner.check_workloads(
        found.workloads,
        planner.load_inventory(profile),
        registry=planner.RegistryOptions(cache_dir=tmp_path / "cache"),
    )
    (result,) = report.results
    assert [n.host.name for n in result.nodes] == ["pi"]  # x86's arch label is amd64
    assert result.status == "ok"
    # web is on the node already; the proxy shares its base layer: only its own layer
    proxy = shop.images["shop/metrics-proxy:0.9"][1]  # the arm64 entry
    assert result.nodes[0].download_bytes == len(proxy.blobs[0]) + len(proxy.blobs[2])
    assert report.node_bytes == {"pi": result.nodes[0].download_bytes, "x86": 0}


def test_os_name_without_a_selector_fails_where_the_kubelet_refuses_it(
    shop: Shop, tmp_path: Path
) -> None:
    """The scheduler ignores spec.os.name (Kubernetes docs, "Pod OS"); the kubelet refuses
    a pod for another OS (pkg/kubelet/lifecycle/predicate.go, PodOSNotSupported)."""
    mark = shop.registry.mark()
    pod = textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: ledger-once}}
        spec:
          os: {{name: windows}}
          tolerations: [{{operator: Exists}}]
          containers:
            - {{name: ledger, image: "{shop.ref("shop/ledger-win:2022")}"}}
        """)
    code, out, _ = check(pod, tmp_path, "--format", "json")
    assert code == 1
    (result,) = json.loads(out)["workloads"]
    assert statuses(result) == {
        **dict.fromkeys([*AMD64, *ARM64, GPU], "will-not-run"),
        WINDOWS: "ok",
    }
    refused = next(n for n in result["nodes"] if n["host"] == AMD64[0])
    assert refused["problems"] == [
        {
            "container": None,
            "image": None,
            "status": "will-not-run",
            "reason": "refused by the kubelet (PodOSNotSupported): spec.os.name is"
            " 'windows', the node runs 'linux'",
        }
    ]
    assert refused["download_bytes"] == 0
    assert result["needs_builds"] == []  # no image would help: the pod needs a selector
    selector = result["suggested_affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert selector == {"key": "kubernetes.io/os", "operator": "In", "values": ["windows"]}
    digests = [r["path"] for r in shop.registry.since(mark) if "sha256:" in r["path"]]
    assert len([p for p in digests if "/manifests/" in p]) == 1  # only the Windows node's


def test_an_image_the_registry_lacks_fails_its_workloads_not_the_run(
    shop: Shop, tmp_path: Path
) -> None:
    """A tag the registry does not know is ErrImagePull for the pods that use it
    (kubelet: "manifest unknown"), not for the others: no-image, and the report goes on."""
    typo = textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: typo, namespace: shop}}
        spec:
          containers:
            - {{name: web, image: "{shop.ref("shop/web:9.9")}"}}
            - {{name: proxy, image: "{shop.ref("shop/metrics-proxy:0.9")}"}}
        """)
    code, out, err = check(helm_template(shop) + "---\n" + typo, tmp_path, "--format", "json")
    assert code == 1, err
    workloads = by_name(json.loads(out))
    assert set(workloads) == {"shop-web", "shop-log-agent", "shop-report", "shop-ledger", "typo"}
    node = workloads["typo"]["nodes"][0]
    assert node["status"] == "no-image"
    (problem,) = node["problems"]
    assert problem["container"] == "web"
    assert problem["reason"].startswith("the registry has no such image: ")
    assert "shop/web:9.9" in problem["reason"]
    assert node["download_bytes"] > 0  # the proxy is still pulled
    assert workloads["shop-report"]["status"] == "ok"


def test_pools_of_one_name_are_told_apart_and_a_pod_is_not_patched(
    shop: Shop, tmp_path: Path
) -> None:
    nodes = json.loads(NODES.read_text())
    for node in nodes["items"]:
        if node["metadata"]["name"] == AMD64[1]:
            node["spec"]["taints"] = [{"key": "dedicated", "value": "ci", "effect": "NoSchedule"}]
    tainted = tmp_path / "nodes.json"
    tainted.write_text(json.dumps(nodes))
    pod = textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: once, namespace: shop}}
        spec:
          initContainers: [{{name: migrate, image: "{shop.ref("shop/migrate:1.0")}"}}]
          containers: [{{name: web, image: "{shop.ref("shop/web:1.0")}"}}]
        """)
    code, out, _ = check(pod, tmp_path, "--format", "json", hosts=tainted)
    pools = [p["name"] for p in json.loads(out)["fleet"]["pools"]]
    assert f"general-amd64 ({AMD64[0]})" in pools and f"general-amd64 ({AMD64[1]})" in pools
    code, out, _ = check(pod, tmp_path, "--suggest", hosts=tainted)
    assert code == 1
    assert "# runs on 1 node with this affinity:" in out
    assert "#   (a Pod's pod spec cannot change: edit it and re-create)" in out
    assert "kubectl patch pod" not in out


def test_a_workload_no_node_may_run_can_be_a_known_gap(shop: Shop, tmp_path: Path) -> None:
    job = textwrap.dedent(f"""\
        apiVersion: batch/v1
        kind: Job
        metadata: {{name: nowhere, namespace: shop}}
        spec:
          template:
            spec:
              nodeSelector: {{kubernetes.io/arch: s390x}}
              containers: [{{name: main, image: "{shop.ref("shop/report:1.0")}"}}]
        """)
    junit = tmp_path / "report.xml"
    code, out, _ = check(job, tmp_path, "--allow-missing", "nowhere:*", "--junit", str(junit))
    assert code == 0
    assert "allowed  Job/shop/nowhere: no eligible node (4 nodes: nodeSelector" in out
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    code, _, _ = check(job, tmp_path, "--allow-missing", f"nowhere:{AMD64[0]}")
    assert code == 1  # one node is not the whole cluster


def test_the_matrix_fits_a_narrow_terminal(tmp_path: Path) -> None:
    """Pools numbered, then status only, then each workload's name on its own line.

    The Job may run on no node, so nothing is read from any registry."""
    job = textwrap.dedent("""\
        apiVersion: batch/v1
        kind: Job
        metadata: {name: nightly-report-export, namespace: analytics-team}
        spec:
          template:
            spec:
              nodeSelector: {kubernetes.io/arch: s390x}
              containers: [{name: main, image: "127.0.0.1:9/x:1"}]
        """)
    for columns in ("60", "40"):
        done = subprocess.run(
            [sys.executable, "-m", "planner", "check", "-f", "-", "--hosts", str(NODES)],
            input=job,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": columns},
        )
        assert done.returncode == 1, done.stderr
        assert all(len(line) <= int(columns) for line in done.stdout.splitlines()), done.stdout
    assert "Job/analytics-team/nightly-report-export\n  NO NODE" in done.stdout


def test_an_image_the_registry_lacks_is_asked_for_once(shop: Shop, tmp_path: Path) -> None:
    pod = textwrap.dedent(f"""\
        apiVersion: v1
        kind: Pod
        metadata: {{name: typo}}
        spec:
          containers:
            - {{name: web, image: "{shop.ref("shop/web:9.9")}"}}
            - {{name: proxy, image: "{shop.ref("shop/metrics-proxy:0.9")}"}}
        """)
    mark = shop.registry.mark()
    code, _, _ = check(pod, tmp_path, "--no-cache")
    assert code == 1
    asked = [r["path"] for r in shop.registry.since(mark) if "/manifests/" in r["path"]]
    assert asked.count("/v2/shop/web/manifests/9.9") == 1
    assert asked.count("/v2/shop/metrics-proxy/manifests/0.9") == 1


def test_without_plans_workload_sizes_are_unknown_not_zero(shop: Shop, tmp_path: Path) -> None:
    """Issue 22: --no-plan reported 0B per node and for the cluster (nothing was planned)."""
    code, out, err = check(helm_template(shop), tmp_path, "--no-plan", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["fleet"]["total_bytes"] is None and report["fleet"]["unique_bytes"] is None
    assert {p["download_bytes"] for p in report["fleet"]["pools"]} == {None}
    assert {n["download_bytes"] for w in report["workloads"] for n in w["nodes"]} == {None}
    code, out, err = check(helm_template(shop), tmp_path, "--no-plan")
    assert "0B" not in out and "download sizes: unknown" in out


def test_rows_pools_lays_the_text_out_as_the_html_page(shop: Shop, tmp_path: Path) -> None:
    """Issue 22, item 13: the workload text had workloads as rows and the HTML node pools;
    --rows pools gives the text the page's orientation (the cells and figures the same)."""
    manifests = helm_template(shop)
    code, by_workload, _ = check(manifests, tmp_path, "--format", "json")
    report = json.loads(by_workload)
    code, out, err = check(manifests, tmp_path, "--rows", "pools")
    assert code == 1, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("node pool"))
    assert header.split()[-1] == "download"
    for pool in report["fleet"]["pools"]:
        nodes = len(pool["hosts"])
        row = f"{pool['name']} ({nodes} node{'s' if nodes > 1 else ''})"
        assert any(line.startswith(row) for line in lines), row
    names = [f"{w['kind']}/{w['namespace']}/{w['name']}" for w in report["workloads"]]
    assert all(any(name in line for line in lines) for name in names)  # columns or legend
    code, out, _ = check(manifests, tmp_path)
    assert out.splitlines()[0] != lines[0] and "node pool" not in out  # the default stays
