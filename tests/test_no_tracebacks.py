"""Hostile input that used to end in a Python traceback: now one line, exit 2 or 3.

By class: JSON a server sent (or a file it influenced) nested past the
recursion limit; a ``Location`` with a scheme and no host; numbers longer than
Python's int-string limit; URLs that do not parse; standard streams that are
closed, full or cannot encode the text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import planner
from planner import RegistryError, RegistryOptions, Unauthorized, resolve
from planner.model.manifest import OCI_INDEX
from planner.transport.credentials import CredentialStore
from tests.helpers import ROOT, SEED_INDEX, OciLayout, cli, index_json
from tests.hostile_server import HostileServer, answer, challenge, manifest, redirect
from tests.test_hostile_inputs import one_line_error
from tests.test_registry_faults import INDEX
from tests.test_transport_credentials import challenge_file

MANIFEST = "/v2/app/manifests/1"
DEEP = b"[" * 50_000 + b"]" * 50_000
"""JSON nested far past the recursion limit."""
DEEP_ERROR = b'{"errors": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
"""The same, within the 64 KiB kept of an error body."""
HUGE_DIGITS = "1" * 5000


def options(tmp_path: Path, **kw: object) -> RegistryOptions:
    return RegistryOptions(
        credentials=CredentialStore(env={}, home=tmp_path / "no-home"),
        cache_dir=tmp_path / "cache",
        retries=0,
        **kw,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- deep JSON


@pytest.mark.parametrize("status", [404, 500])
def test_deeply_nested_error_body(tmp_path: Path, status: int) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, answer(status, DEEP_ERROR, [("Content-Type", "application/json")]))
        with pytest.raises(RegistryError, match=f"{registry.host}"):
            resolve(f"{registry.host}/app:1", "linux/amd64", registry=options(tmp_path))


def test_deeply_nested_token_response(tmp_path: Path) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, challenge(f'Bearer realm="{registry.url}/token",service="x"'))
        registry.route("/token", answer(200, DEEP, [("Content-Type", "application/json")]))
        with pytest.raises(Unauthorized, match="returned no usable token"):
            resolve(f"{registry.host}/app:1", "linux/amd64", registry=options(tmp_path))


def test_deeply_nested_cached_challenge_is_dropped(tmp_path: Path) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, manifest(INDEX, OCI_INDEX))
        saved = challenge_file(tmp_path / "cache", registry.url)
        saved.parent.mkdir(parents=True)
        saved.write_bytes(b"[" * 8000 + b"]" * 8000)
        result = resolve(f"{registry.host}/app:1", "linux/amd64", registry=options(tmp_path))
    assert result.selected is not None
    assert not saved.exists()


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "location",
    ["javascript:alert(1)", "data:text/plain,x", "data:,", "mailto:a@b"],
)
def test_redirect_to_a_scheme_without_a_host(tmp_path: Path, location: str) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, redirect(location))
        with pytest.raises(RegistryError, match=r"redirected manifest .* to an unusable location"):
            resolve(f"{registry.host}/app:1", "linux/amd64", registry=options(tmp_path))


def test_redirect_of_the_token_request_to_javascript(tmp_path: Path) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, challenge(f'Bearer realm="{registry.url}/token",service="x"'))
        registry.route("/token", redirect("javascript:alert(1)"))
        with pytest.raises(Unauthorized, match="the token service of"):
            resolve(f"{registry.host}/app:1", "linux/amd64", registry=options(tmp_path))


def test_cli_redirect_to_javascript_is_one_line_exit_3(tmp_path: Path) -> None:
    with HostileServer() as registry:
        registry.route(MANIFEST, redirect("javascript:alert(1)"))
        code, _, err = cli(
            "resolve", f"{registry.host}/app:1", "--platform", "linux/amd64", "--retries", "0",
            "--cache-dir", str(tmp_path / "cache"),
        )  # fmt: skip
    assert code == 3 and "unusable location 'javascript:alert(1)'" in one_line_error(err)


# --------------------------------------------------------------------------- standard streams

RESOLVE = ["resolve", str(SEED_INDEX), "--platform", "linux/amd64"]


def run(
    *args: str, shell_redirect: str = "", env: dict[str, str] | None = None, **kw: object
) -> tuple[int, str, str]:
    """The CLI in a fresh process; ``shell_redirect`` is applied by ``sh`` (``>&-``, ``<&-``)."""
    argv = [sys.executable, "-m", "planner", *args]
    command = ["sh", "-c", 'exec "$@" ' + shell_redirect, "sh", *argv] if shell_redirect else argv
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    done = subprocess.run(
        command,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        **kw,  # type: ignore[call-overload]
    )
    out = done.stdout.decode("utf-8", "replace") if done.stdout else ""
    return done.returncode, out, done.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_stdout_closed(fmt: str) -> None:
    code, _, err = run(*RESOLVE, "--format", fmt, shell_redirect=">&-", stdout=None)
    assert code == 3
    assert "cannot write the output: standard output is closed" in one_line_error(err)


@pytest.mark.parametrize("fmt", ["text", "json", "yaml"])
def test_stdout_full(fmt: str) -> None:
    with open("/dev/full", "wb") as full:
        code, _, err = run(*RESOLVE, "--format", fmt, stdout=full)
    assert code == 3
    assert "cannot write the output: No space left on device" in one_line_error(err)


def test_stdout_pipe_without_reader() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        code, _, err = run(*RESOLVE, "--format", "json", stdout=write)
    finally:
        os.close(write)
    assert code == 3 and "cannot write the output: Broken pipe" in one_line_error(err)


def test_schema_to_a_full_disk() -> None:
    """``print`` in a command, not only :func:`planner.cli.output.write`."""
    with open("/dev/full", "wb") as full:
        code, _, err = run("schema", "hosts", stdout=full)
    assert code == 3 and "No space left on device" in one_line_error(err)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["resolve", "-", "--platform", "linux/amd64"], "SOURCE -: standard input is closed"),
        (["check", "-f", "-", "--platform", "linux/amd64"], "-f -: standard input is closed"),
        (
            ["resolve", "127.0.0.1:9/app:1", "--platform", "linux/amd64", "-u", "me",
             "--password-stdin", "--retries", "0"],
            "--password-stdin: standard input is closed",
        ),
    ],
    ids=["source", "filename", "password"],
)  # fmt: skip
def test_stdin_closed(args: list[str], message: str) -> None:
    code, _, err = run(*args, shell_redirect="<&-", stdin=None)
    assert code == 2 and message in one_line_error(err)


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_password_not_utf8(locale: str) -> None:
    code, _, err = run(
        "resolve", "127.0.0.1:9/app:1", "--platform", "linux/amd64", "-u", "me",
        "--password-stdin", "--retries", "0",
        input=b"\xff\xfesecret\n", stdin=None, env={"LC_ALL": locale},
    )  # fmt: skip
    assert code == 2
    assert "the password on standard input is not UTF-8 text (byte 0)" in one_line_error(err)


@pytest.mark.parametrize("columns", ["²", "٣٣", "9" * 5000, " 100 "])
def test_columns_that_int_cannot_read(columns: str) -> None:
    code, out, err = run(*RESOLVE, env={"COLUMNS": columns})
    assert code == 0 and "selected" in out and err == ""


def test_ascii_output_encoding() -> None:
    """An os.feature (or any name) with non-ASCII characters, on an ASCII stdout and stderr."""
    code, out, err = run(
        *RESOLVE, "--os-feature", "é中", env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    )
    assert "Traceback" not in err
    assert code == 0 and "\\xe9\\u4e2d" in out
    code, _, err = run(
        "resolve", "é.json", "--platform", "linux/amd64", env={"PYTHONIOENCODING": "ascii"}
    )
    assert code == 2 and "\\xe9.json" in one_line_error(err)


# --------------------------------------------------------------------------- long numbers

DATA = ROOT / "tests" / "data" / "inventories"
LONG_BUILD = "10.0." + HUGE_DIGITS
LONG_REVISION = "10.0.17763." + HUGE_DIGITS


@pytest.mark.parametrize("version", [LONG_BUILD, LONG_REVISION, "10.0.17763.²"])
@pytest.mark.parametrize("rules", ["docker", "containerd"])
def test_long_os_version_in_an_index(tmp_path: Path, version: str, rules: str) -> None:
    path = tmp_path / "index.json"
    path.write_bytes(
        index_json(
            [
                {"platform": {"os": "windows", "architecture": "amd64", "os.version": version}},
                {"platform": {"os": "windows", "architecture": "amd64", "os.version": version}},
            ]
        )
    )
    code, _, err = cli(
        "resolve", str(path), "--platform", "windows/amd64", "--os-version", "10.0.17763.1",
        "--rules", rules,
    )  # fmt: skip
    assert "Traceback" not in err and code in (0, 1)


@pytest.mark.parametrize("version", [LONG_BUILD, LONG_REVISION, "10.0.²"])
def test_long_os_version_flag(version: str) -> None:
    code, _, err = cli(
        "resolve", str(SEED_INDEX), "--platform", "windows/amd64", "--os-version", version
    )
    assert "Traceback" not in err and code in (0, 1, 2)
    if code == 2:
        one_line_error(err)


def test_long_os_version_in_a_host_profile(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(
        "hosts:\n"
        f"  - {{name: a, platform: windows/amd64, os.version: '{LONG_BUILD}'}}\n"
        f"  - {{name: b, platform: windows/amd64, os.version: '{LONG_REVISION}'}}\n"
    )
    code, _, err = cli("check", str(SEED_INDEX), "--hosts", str(hosts))
    assert "Traceback" not in err and code in (1, 2)
    if code == 2:
        one_line_error(err)


@pytest.mark.parametrize("revision", [None, HUGE_DIGITS, "²"])
def test_long_kernel_version_from_kubectl(tmp_path: Path, revision: str | None) -> None:
    """A kernelVersion with a 5,000-digit build, or the node's build and such a revision."""
    nodes = json.loads((DATA / "aks-windows-nodes.json").read_text())
    for node in nodes["items"]:
        build = node["metadata"]["labels"].get("node.kubernetes.io/windows-build")
        kernel = LONG_BUILD if revision is None or build is None else f"{build}.{revision}"
        node["status"]["nodeInfo"]["kernelVersion"] = kernel
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps(nodes))
    hosts = planner.load_inventory(path)
    assert hosts
    code, _, err = cli("check", str(SEED_INDEX), "--hosts", str(path), "--no-plan")
    assert "Traceback" not in err and code in (0, 1)


def test_go_int_never_raises() -> None:
    from planner.model.text import go_int

    assert [go_int(t) for t in ["12", "-3", "+4", "007", "0" * 30 + "5"]] == [12, -3, 4, 7, 5]
    assert [go_int(t) for t in ["²", "٣", "", "-", HUGE_DIGITS, str(1 << 63), "1.5"]] == [None] * 7


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("url", ["http://[::1", "http://[bad]/x"])
def test_foreign_layer_url_that_does_not_parse(tmp_path: Path, url: str) -> None:
    layout = OciLayout(tmp_path / "layout")
    config = layout.blob(b'{"os": "windows", "architecture": "amd64"}')
    foreign = {
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "digest": "sha256:" + "f" * 64,
        "size": 100,
        "urls": [url, "https://mcr.microsoft.com/l/x"],
    }
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
            "layers": [foreign],
        }
    ).encode()
    descriptor = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **layout.blob(manifest),
    }
    descriptor["platform"] = {
        "os": "windows",
        "architecture": "amd64",
        "os.version": "10.0.20348.1",
    }
    layout.tag(layout.index([descriptor]), "1")
    result = planner.plan(f"oci:{layout.root}:1", "windows(10.0.20348.1)/amd64")
    assert result.blobs[-1].location == "https://mcr.microsoft.com/l/x"
    assert ("mcr.microsoft.com", "foreign layers") in result.hosts
    code, _, err = cli("plan", f"oci:{layout.root}:1", "--platform", "windows(10.0.20348.1)/amd64")
    assert code == 0 and "Traceback" not in err
