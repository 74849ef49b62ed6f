"""Every answer of the bundled examples and of generated fleets and inventories, for a before/after diff.

    PYTHONPATH=OLD_TREE python benchmarks/answers.py /tmp/before
    python benchmarks/answers.py /tmp/after && diff -r /tmp/before /tmp/after

Each command's standard output, standard error and exit status go to one file
of OUT (a performance change must leave every byte as it was). The inputs
(a 100-entry index with 2,000 distinct Windows hosts, and 300 under crane's
rules, which give each its own answer; 3,000 kubectl nodes as
JSON and as YAML, with and without a broken node; a 2,000-workload manifest
stream, with and without a broken container) are written once to OUT/inputs,
the same bytes every time, and read from there. Manifests need a registry to be
checked, so what the library reads of them (every workload, with its place) is
printed by ``python -c`` instead.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import fleetgen  # noqa: E402
import inventory  # noqa: E402
import workloads  # noqa: E402


def yaml_text(value: object) -> str:
    import yaml

    return str(yaml.safe_dump(value, sort_keys=False, default_flow_style=False))


def inputs(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    fleetgen.write_index(directory, 100)
    hosts = directory / "hosts.yaml"
    hosts.write_text(
        yaml_text(
            {
                "hosts": [
                    {"name": f"w{i}", "platform": "windows/amd64", "os.version": f"10.0.20348.{i}"}
                    for i in range(2000)
                ]
            }
        )
    )
    items = [inventory.node(i, inventory.KINDS[i % len(inventory.KINDS)]) for i in range(3000)]
    nodes = {"apiVersion": "v1", "kind": "List", "items": items}
    (directory / "nodes.json").write_text(json.dumps(nodes, indent=4))
    (directory / "nodes.yaml").write_text(yaml_text(nodes))
    broken = json.loads(json.dumps(nodes))
    broken["items"][1234]["status"]["nodeInfo"]["containerRuntimeVersion"] = "containerd://9.9"
    (directory / "broken.yaml").write_text(yaml_text(broken))
    (directory / "broken.json").write_text(json.dumps(broken, indent=4))
    broken["items"][7]["metadata"]["labels"] = ["not", "a", "mapping"]
    (directory / "broken2.yaml").write_text(yaml_text(broken))
    fleetgen.write_hosts(directory, 300, rules="crane")
    rng = random.Random(7)
    refs = [f"registry.example:5000/team/img{n}:1.{n}" for n in range(50)]
    docs = [yaml_text(workloads.workload(n, refs, rng)) for n in range(2000)]
    docs[5:5] = [
        "",
        yaml_text({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        yaml_text(
            {"apiVersion": "v1", "kind": "List", "items": [workloads.workload(2001, refs, rng)]}
        ),
        yaml_text(["a", "list"]),
    ]
    (directory / "manifests.yaml").write_text("---\n".join(docs))
    docs[1500] = docs[1500].replace("image: registry.example:5000/team/", "image: ", 1)
    docs[1500] = docs[1500].replace("image: img", "image: 5  # img", 1)
    (directory / "manifests-broken.yaml").write_text("---\n".join(docs))
    return {
        "index": directory / "index.json",
        "hosts": hosts,
        **{p.stem + p.suffix.replace(".", "_"): p for p in directory.glob("*.*")},
    }


def commands(i: dict[str, Path]) -> dict[str, list[str]]:
    dotnet = "examples/dotnet-core-runtime-3.0.json"
    out: dict[str, list[str]] = {}
    for fmt in ("json", "text"):
        out[f"resolve-{fmt}"] = ["resolve", dotnet, "--platform", "linux/arm64", "--format", fmt]
        out[f"resolve-win-{fmt}"] = [
            "resolve",
            dotnet,
            "--platform",
            "windows/amd64",
            "--os-version",
            "10.0.17763.1",
            "--format",
            fmt,
        ]
        out[f"plan-{fmt}"] = [
            "plan",
            "oci:examples/webapp:2.1",
            "--platform",
            "linux/amd64",
            "--format",
            fmt,
        ]
        out[f"check-fleet-linux-{fmt}"] = [
            "check",
            "oci:examples/webapp:2.1",
            "--hosts",
            "examples/fleet-linux.yaml",
            "--format",
            fmt,
        ]
        out[f"check-fleet-windows-{fmt}"] = [
            "check",
            dotnet,
            "--hosts",
            "examples/fleet-windows.yaml",
            "--format",
            fmt,
        ]
        out[f"check-cluster-{fmt}"] = [
            "check",
            "oci:examples/webapp:2.1",
            "--hosts",
            "examples/cluster-nodes.json",
            "--format",
            fmt,
        ]
        out[f"check-desktop-{fmt}"] = [
            "check",
            "oci:examples/webapp:2.1",
            "--hosts",
            "examples/docker-info-desktop.json",
            "--format",
            fmt,
        ]
        out[f"compare-{fmt}"] = ["compare", dotnet, "--platform", "linux/arm/v7", "--format", fmt]
        out[f"fleet-{fmt}"] = [
            "check",
            str(i["index"]),
            "--hosts",
            str(i["hosts"]),
            "--no-plan",
            "--format",
            fmt,
        ]
        for name in ("nodes_json", "nodes_yaml", "broken_yaml", "broken_json", "broken2_yaml"):
            out[f"{name}-{fmt}"] = [
                "check",
                str(i["index"]),
                "--hosts",
                str(i[name]),
                "--no-plan",
                "--format",
                fmt,
            ]
    for rules in (
        "docker",
        "containerd",
        "cri-o",
        "podman",
        "crane",
        "docker-c8d",
        "buildah",
        "skopeo",
        "containerd-1.6",
        "nope",
    ):
        out[f"rules-show-{rules}"] = ["rules", rules, "--platform", "linux/arm64/v8"]
    out["rules"] = ["rules"]
    out["rules-windows"] = [
        "rules",
        "containerd@1.6.20",
        "--platform",
        "windows/amd64",
        "--os-version",
        "10.0.20348.1",
    ]
    out["schema-hosts"] = ["schema", "hosts"]
    out["schema-rules"] = ["schema", "rules"]
    out["version"] = ["--version"]
    out["help"] = ["--help"]
    for command in ("resolve", "plan", "check", "compare", "host", "rules", "schema"):
        out[f"help-{command}"] = [command, "--help"]
    for fmt in ("json", "text", "html"):
        crane = str(i["hosts-300-crane_yaml"])
        out[f"fleet-crane-{fmt}"] = [
            "check",
            str(i["index"]),
            "--hosts",
            crane,
            "--no-plan",
            "--format",
            fmt,
        ]
    for name in ("manifests_yaml", "manifests-broken_yaml"):
        out[f"read-{name}"] = ["-c", READ_MANIFESTS, str(i[name])]
    broken = str(i["manifests-broken_yaml"])
    out["check-f-broken"] = ["check", "-f", broken, "--platform", "linux/amd64"]
    out["no-command"] = []
    out["bad-command"] = ["nope"]
    out["bad-flag"] = ["resolve", "--nope"]
    return out


READ_MANIFESTS = """
import sys
from planner import read_manifests
try:
    found = read_manifests(sys.argv[1])
except Exception as exc:
    print(type(exc).__name__, exc)
else:
    print(*found.workloads, *found.skipped, *found.warnings, sep="\\n")
"""


def main() -> int:
    out = Path(sys.argv[1])
    paths = inputs(out.parent / (out.name + "-inputs"))
    out.mkdir(parents=True, exist_ok=True)
    for name, argv in commands(paths).items():
        done = subprocess.run(
            [sys.executable, *(argv if argv[:1] == ["-c"] else ["-m", "planner", *argv])],
            capture_output=True,
            cwd=ROOT,
            check=False,
        )
        text = (
            done.stdout
            + b"\n--- stderr\n"
            + done.stderr
            + f"\n--- exit {done.returncode}\n".encode()
        )
        text = text.replace(str(paths["index"].parent).encode(), b"INPUTS")
        text = re.sub(rb"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", b"generated (time)", text)
        (out / name).write_bytes(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
