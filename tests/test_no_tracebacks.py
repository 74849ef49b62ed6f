"""Hostile input that used to end in a Python traceback: now one line, exit 2 or 3.

By class: JSON a server sent (or a file it influenced) nested past the
recursion limit; a ``Location`` with a scheme and no host; numbers longer than
Python's int-string limit; URLs that do not parse; standard streams that are
closed, full or cannot encode the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner import RegistryError, RegistryOptions, Unauthorized, resolve
from planner.model.manifest import OCI_INDEX
from planner.transport.credentials import CredentialStore
from tests.helpers import cli
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
