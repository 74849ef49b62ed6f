"""Rollout cost per registry (issue 21, item 3): counted requests per (egress, registry),
imagePullPolicy, --rate-limit and a registry's own ratelimit headers, in every format."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from planner.cli import main
from planner.model.errors import InvalidInput
from planner.transport.stats import parse_rate_limit, parse_ratelimit_header
from planner.workloads.model import default_pull_policy
from tests.content import Content
from tests.hostile_server import HostileServer, answer, manifest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def test_rate_limit_strings() -> None:
    limit = parse_rate_limit("100/6h@registry-1.docker.io")
    assert (limit.count, limit.seconds, limit.registry, limit.window()) == (
        100,
        21600,
        "registry-1.docker.io",
        "6 h",
    )
    assert parse_rate_limit("5000/d").seconds == 86400
    for bad in ("100", "100/6x", "x/6h", "0/6h", "100/6h@", "100/0h"):
        with pytest.raises(InvalidInput):
            parse_rate_limit(bad)
    assert parse_ratelimit_header("100;w=21600", "76;w=21600") == (100, 21600, 76)
    assert parse_ratelimit_header("100", None) is None


def test_kubernetes_default_pull_policy_by_tag() -> None:
    assert default_pull_policy("nginx") == "Always"
    assert default_pull_policy("nginx:latest") == "Always"
    assert default_pull_policy("localhost:5000/app") == "Always"
    assert default_pull_policy("localhost:5000/app:1.0") == "IfNotPresent"
    assert default_pull_policy("app@sha256:" + "0" * 64) == "IfNotPresent"


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "rollout" / "hosts.yaml"


def _profile(tmp_path: Path) -> Path:
    """The README's example: examples/rollout/hosts.yaml."""
    return EXAMPLE


def test_bad_rate_limit_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["check", "x", "--hosts", str(_profile(tmp_path)), "--rate-limit", "lots"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--rate-limit" in err and "N/DURATION" in err


def test_fleet_rollout_per_egress_and_the_gate(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = registry_content.ref("multi:oci")
    registry = registry_content.registry.host
    argv = ["check", image, "--hosts", str(_profile(tmp_path)), "--no-cache"]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["egress"]: r for r in data["rollout"]["registries"]}
    assert set(rows) == {"nat-a", "nat-b"}
    # containerd: 1 HEAD + index GET + child GET per host; podman: no HEAD
    assert rows["nat-a"]["manifest_get"] == 6 and rows["nat-a"]["manifest_head"] == 3
    assert rows["nat-b"]["manifest_get"] == 2 and rows["nat-b"]["manifest_head"] == 0
    pulls = [p["pull_requests"] for p in data["pairs"]]
    assert sum(p["manifest_get"] for p in pulls) == 8
    assert (
        sum(p["blob_get"] for p in pulls) == rows["nat-a"]["blob_get"] + rows["nat-b"]["blob_get"]
    )

    code = main([*argv, "--rate-limit", f"4/6h@{registry}"])
    out, err = capsys.readouterr()
    assert code == 1
    assert (
        f"the rollout makes 6 counted manifest requests to {registry} from egress nat-a;"
        " the limit of 4 per 6 h refuses about 2 of them"
    ) in err
    assert "Rollout cost per registry:" in out and "nat-b" in out
    assert "0 failed, release gate: closed" in out  # the refused rollout closes it
    for fmt, marker in (
        ("markdown", "### Rollout cost per registry"),
        ("html", 'class="gate closed"'),
        ("junit", 'type="rate-limit"'),
    ):
        assert main([*argv, "--rate-limit", f"4/6h@{registry}", "--format", fmt]) == 1
        assert marker in capsys.readouterr().out, fmt


def test_workload_pull_policies(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = registry_content.ref("multi:oci")
    untagged = registry_content.ref("multi")  # no tag: Always, as :latest
    workloads = tmp_path / "app.yaml"
    workloads.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
        "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n"
        f"        - {{name: web, image: '{image}'}}\n"
        f"        - {{name: side, image: '{image}', imagePullPolicy: Never}}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: job}\nspec:\n  containers:\n"
        f"    - {{name: job, image: '{untagged}', imagePullPolicy: Always}}\n"
    )
    code = main(
        [
            "check",
            "-f",
            str(workloads),
            "--hosts",
            str(_profile(tmp_path)),
            "--no-cache",
            "--format",
            "json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # the untagged image ("latest") is not there
    web = data["workloads"][0]
    containers = {c["name"]: c["imagePullPolicy"] for c in web["containers"]}
    assert containers == {"web": "IfNotPresent", "side": "Never"}
    rows = {r["egress"]: r for r in data["rollout"]["registries"]}
    # the web container's image on each node once (its Never twin adds nothing)
    assert rows["nat-a"]["pulls"] == 3 and rows["nat-b"]["pulls"] == 1
    assert "replicas and restarts" in data["rollout"]["note"]


def test_registry_rate_limit_headers_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Docker Hub's headers (a loopback server sends them; the CNCF registry does not):
    100 per 6 h with 1 left refuses all but one of the rollout's counted requests."""
    config = json.dumps(
        {"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": []}}
    ).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": len(config),
            },
            "layers": [],
        }
    ).encode()
    limits = [("ratelimit-limit", "100;w=21600"), ("ratelimit-remaining", "1;w=21600")]
    with HostileServer() as server:
        server.route("/v2/app/manifests/1", manifest(body, OCI_MANIFEST, limits))
        server.route(f"/v2/app/blobs/{config_digest}", answer(200, config))
        code = main(
            [
                "check",
                f"{server.host}/app:1",
                "--hosts",
                str(_profile(tmp_path)),
                "--no-cache",
                "--format",
                "json",
            ]
        )
    out, err = capsys.readouterr()
    data = json.loads(out)
    rows = {r["egress"]: r for r in data["rollout"]["registries"]}
    assert rows["nat-a"]["limit"] == {
        "count": 100,
        "seconds": 21600,
        "registry": server.host,
        "observed": True,
        "remaining": 1,
    }
    assert rows["nat-a"]["manifest_get"] == 3  # a single image: no child
    assert rows["nat-a"]["refused"] == 2
    assert code == 1
    assert "the registry's own limit of 100 per 6 h, 1 remaining (its ratelimit headers)" in err


def test_a_rate_limit_names_its_registry_as_a_login_does(
    registry_content: Content, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Docker Hub's spellings are one registry, case does not matter; a limit for a registry
    no pull goes to is refused instead of leaving the gate open without a word."""
    from planner.transport.stats import parse_rate_limit

    hub = parse_rate_limit("100/6h@docker.io")
    assert hub.applies_to("registry-1.docker.io") and hub.applies_to("registry-1.docker.io:443")
    assert parse_rate_limit("100/6h@index.docker.io").applies_to("registry-1.docker.io")
    assert not hub.applies_to("ghcr.io")
    image = registry_content.ref("multi:oci")
    registry = registry_content.registry.host
    argv = ["check", image, "--hosts", str(_profile(tmp_path)), "--no-cache"]
    assert main([*argv, "--rate-limit", f"4/6h@{registry.upper()}"]) == 1  # applies
    capsys.readouterr()
    assert main([*argv, "--rate-limit", "4/6h@ghcr.io"]) == 2
    err = capsys.readouterr().err
    assert "--rate-limit ...@ghcr.io: no pull of this run goes to that registry" in err
