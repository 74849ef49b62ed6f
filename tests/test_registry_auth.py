"""Registry authentication against the real registry: htpasswd (Basic) and token (Bearer) auth.

The token server (tests/token_server.py) signs JWTs the registry verifies; credentials come
from flags, Docker's config.json (auths, credHelpers, credsStore, identitytoken) and
$REGISTRY_AUTH_FILE, as users have them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planner import Unauthorized, resolve
from planner.cli import main
from planner.model.reference import Reference
from planner.sources import open_source
from planner.transport.challenge import parse_challenges
from planner.transport.client import RegistryClient
from planner.transport.credentials import Credential, CredentialStore
from planner.transport.options import RegistryOptions
from tests.cdn import RecordingCdn
from tests.hostile_server import HostileServer, challenge
from tests.registry import Registry
from tests.token_server import TokenServer

USER, PASSWORD = "tester", "s3cret-pass"
# htpasswd -Bbn tester s3cret-pass (bcrypt, as the distribution registry requires)
HTPASSWD = "tester:$2y$05$qhgGmo0gqMyYzu9u62bnaOneOnq2qkC5NCnaZkmoLTZqmIshVGTcm\n"
PLATFORMS = [{"os": "linux", "architecture": a} for a in ("amd64", "arm64", "s390x", "ppc64le")]


class PushTokenAuth(httpx.Auth):
    """Sync bearer auth for pushing test content (push,pull scope)."""

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        response = yield request
        if response.status_code != 401:
            return
        (challenge,) = [
            c
            for c in parse_challenges(response.headers.get_list("www-authenticate"))
            if c.scheme == "bearer"
        ]
        name = request.url.path[4:].split("/manifests/")[0].split("/blobs/")[0]
        token_response = yield httpx.Request(
            "GET",
            challenge.params["realm"],
            params={
                "service": challenge.params["service"],
                "scope": f"repository:{name}:pull,push",
            },
            headers={
                "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            },
        )
        token_response.read()
        request.headers["Authorization"] = f"Bearer {token_response.json()['token']}"
        yield request


def push_multi(registry: Registry, repo: str) -> list[str]:
    digests = []
    entries = []
    for i, platform in enumerate(PLATFORMS):
        image = registry.push_image(repo, platform, [f"{repo} {i}".encode()])
        digests.append(image.digest)
        entries.append(image.descriptor(platform=platform))
    registry.push_index(repo, "1", entries)
    return digests


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    workdir = tmp_path_factory.mktemp("basic")
    (workdir / "htpasswd").write_text(HTPASSWD)
    registry = Registry(
        workdir,
        auth={"htpasswd": {"realm": "pull-planner-tests", "path": str(workdir / "htpasswd")}},
    )
    registry.push_auth = httpx.BasicAuth(USER, PASSWORD)
    registry.start()
    push_multi(registry, "private/app")
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, TokenServer]]:
    workdir = tmp_path_factory.mktemp("token")
    server = TokenServer(
        workdir,
        users={USER: PASSWORD},
        public=("public/app",),
        refresh_tokens={"refresh-abc": USER},
    ).start()
    registry = Registry(workdir, auth=server.registry_auth())
    registry.push_auth = PushTokenAuth()
    registry.start()
    push_multi(registry, "public/app")
    push_multi(registry, "private/app")
    server.requests.clear()
    yield registry, server
    registry.stop()
    server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME and no credential variables: only what a test writes counts."""
    home = tmp_path / "home"
    home.mkdir()
    for variable in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return home


def docker_config(home: Path, config: dict[str, Any]) -> None:
    (home / ".docker").mkdir(exist_ok=True)
    (home / ".docker" / "config.json").write_text(json.dumps(config))


def basic_auth_entry(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def cli(registry: Registry, repo: str, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "resolve",
        f"{registry.host}/{repo}:1",
        "--platform",
        "linux/arm64",
        "--cache-dir",
        str(tmp_path / "cache"),
        *extra,
    ]


# --------------------------------------------------------------------------- Basic (htpasswd)


def test_basic_without_credentials(
    basic_registry: Registry, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli(basic_registry, "private/app", tmp_path)) == 3
    err = capsys.readouterr().err
    assert f"unauthorized: {basic_registry.host} requires authentication for private/app" in err
    assert f"log in with docker login {basic_registry.host} or pass --username" in err


def test_basic_with_password_stdin(
    basic_registry: Registry,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            cli(
                basic_registry,
                "private/app",
                tmp_path,
                "--username",
                USER,
                "--password-stdin",
                "-v",
                "--format",
                "json",
            )
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert json.loads(out)["selected"]["platform"]["architecture"] == "arm64"
    assert PASSWORD not in out + err
    assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in out + err


def test_basic_wrong_password(
    basic_registry: Registry,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong\n"))
    assert (
        main(cli(basic_registry, "private/app", tmp_path, "--username", USER, "--password-stdin"))
        == 3
    )
    assert "unauthorized" in capsys.readouterr().err


def test_basic_from_docker_config(basic_registry: Registry, home: Path, tmp_path: Path) -> None:
    docker_config(home, {"auths": {f"https://{basic_registry.host}/v1/": basic_auth_entry()}})
    assert main(cli(basic_registry, "private/app", tmp_path)) == 0


def test_basic_from_docker_config_env(
    basic_registry: Registry, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "dockercfg"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text(
        json.dumps({"auths": {basic_registry.host: {"username": USER, "password": PASSWORD}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(elsewhere))
    assert main(cli(basic_registry, "private/app", tmp_path)) == 0


def test_basic_from_registry_auth_file(
    basic_registry: Registry, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"auths": {basic_registry.host: basic_auth_entry()}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file))
    docker_config(
        home, {"auths": {basic_registry.host: basic_auth_entry(password="wrong")}}
    )  # lower priority
    assert main(cli(basic_registry, "private/app", tmp_path)) == 0


def test_basic_from_podman_auth_json(basic_registry: Registry, home: Path, tmp_path: Path) -> None:
    (home / ".config" / "containers").mkdir(parents=True)
    (home / ".config" / "containers" / "auth.json").write_text(
        json.dumps({"auths": {basic_registry.host: basic_auth_entry()}})
    )
    assert main(cli(basic_registry, "private/app", tmp_path)) == 0


def test_malformed_credentials_file(
    basic_registry: Registry, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docker_config(home, {"auths": {basic_registry.host: {"auth": "not base64!"}}})
    assert main(cli(basic_registry, "private/app", tmp_path)) == 2
    assert "'auth' is not base64 of user:password" in capsys.readouterr().err


# --------------------------------------------------------------------------- Bearer (token server)


def test_anonymous_token_for_public_repo(
    token_registry: tuple[Registry, TokenServer], home: Path, tmp_path: Path
) -> None:
    registry, server = token_registry
    server.requests.clear()
    result = resolve(
        f"{registry.host}/public/app:1", "linux/arm64", registry=RegistryOptions(cache_dir=tmp_path)
    )
    assert result.selected is not None
    assert len(server.requests) == 1
    assert server.requests[0]["scopes"] == ["repository:public/app:pull"]
    assert server.requests[0]["authorization"] is None
    assert result.stats.to_dict()["by_kind"] == {
        "token": 1,
        "manifest GET": 2,
    }  # 401 challenge, then the GET


def test_private_repo_needs_login(
    token_registry: tuple[Registry, TokenServer], home: Path, tmp_path: Path
) -> None:
    registry, _ = token_registry
    with pytest.raises(Unauthorized, match="docker login"):
        resolve(
            f"{registry.host}/private/app:1",
            "linux/arm64",
            registry=RegistryOptions(cache_dir=tmp_path),
        )


def test_token_with_credentials_and_remembered_challenge(
    token_registry: tuple[Registry, TokenServer], home: Path, tmp_path: Path
) -> None:
    registry, server = token_registry
    docker_config(home, {"auths": {registry.host: basic_auth_entry()}})
    server.requests.clear()
    mark = registry.mark()
    cold = resolve(
        f"{registry.host}/private/app:1",
        "linux/arm64",
        registry=RegistryOptions(cache_dir=tmp_path),
    )
    assert cold.selected is not None
    assert [(r["method"], r["status"]) for r in registry.since(mark)] == [
        ("GET", 401),
        ("GET", 200),
    ]
    assert server.requests[0]["user"] == USER
    # The realm is remembered in the cache (not the token): the next run asks for a token first.
    server.requests.clear()
    mark = registry.mark()
    warm = resolve(
        f"{registry.host}/private/app:1",
        "linux/arm64",
        registry=RegistryOptions(cache_dir=tmp_path),
    )
    assert [(r["method"], r["status"]) for r in registry.since(mark)] == [("HEAD", 200)]
    assert len(server.requests) == 1
    assert warm.stats.to_dict()["by_kind"] == {"token": 1, "manifest HEAD": 1}


def test_one_token_request_per_scope(
    token_registry: tuple[Registry, TokenServer], home: Path, tmp_path: Path
) -> None:
    registry, server = token_registry
    docker_config(home, {"auths": {registry.host: basic_auth_entry()}})
    server.requests.clear()
    with open_source(f"{registry.host}/private/app:1", RegistryOptions(use_cache=False)) as source:
        index, _ = source.read_top()
        manifests = source.read_documents(list(index.manifests))  # type: ignore[union-attr]
    assert len(manifests) == len(PLATFORMS)
    assert len(server.requests) == 1


def test_credential_helper(
    token_registry: tuple[Registry, TokenServer],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry, _ = token_registry
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "helper.log"
    helper = bin_dir / "docker-credential-pptest"
    helper.write_text(
        "#!/bin/sh\n"
        f'read server; echo "$1 $server" >> {log}\n'
        f'echo \'{{"ServerURL": "\'$server\'", "Username": "{USER}", "Secret": "{PASSWORD}"}}\'\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for config in ({"credHelpers": {registry.host: "pptest"}}, {"credsStore": "pptest"}):
        docker_config(home, config)
        result = resolve(
            f"{registry.host}/private/app:1",
            "linux/arm64",
            registry=RegistryOptions(use_cache=False),
        )
        assert result.selected is not None
    assert log.read_text().splitlines() == [f"get {registry.host}", f"get {registry.host}"]


def test_missing_credential_helper(
    token_registry: tuple[Registry, TokenServer],
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry, _ = token_registry
    docker_config(home, {"credsStore": "does-not-exist"})
    assert main(cli(registry, "private/app", tmp_path)) == 3
    assert "docker-credential-does-not-exist" in capsys.readouterr().err


def test_identity_token(
    token_registry: tuple[Registry, TokenServer], home: Path, tmp_path: Path
) -> None:
    registry, server = token_registry
    docker_config(home, {"auths": {registry.host: {"identitytoken": "refresh-abc"}}})
    server.requests.clear()
    result = resolve(
        f"{registry.host}/private/app:1", "linux/arm64", registry=RegistryOptions(use_cache=False)
    )
    assert result.selected is not None
    assert server.requests[0]["grant"] and server.requests[0]["user"] == USER


def test_tokens_never_printed_or_cached(
    token_registry: tuple[Registry, TokenServer],
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    registry, server = token_registry
    docker_config(home, {"auths": {registry.host: basic_auth_entry()}})
    issued: list[str] = []
    original = server._jwt

    def recording(subject: str, access: list[dict[str, Any]]) -> str:
        token = original(subject, access)
        issued.append(token)
        return token

    server._jwt = recording  # type: ignore[method-assign]
    try:
        for fmt in ("text", "json", "yaml"):
            assert (
                main(cli(registry, "private/app", tmp_path, "-v", "--stats", "--format", fmt)) == 0
            )
            out, err = capsys.readouterr()
            for token in issued:
                assert token not in out + err
                assert token.split(".")[2] not in out + err
            assert PASSWORD not in out + err
    finally:
        server._jwt = original  # type: ignore[method-assign]
    assert issued
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(t.encode() in data for t in issued), path
            assert PASSWORD.encode() not in data


# --------------------------------------------------------------------------- redirects to a CDN


@pytest.fixture(scope="module")
def cdn_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, RecordingCdn]]:
    workdir = tmp_path_factory.mktemp("cdn")
    (workdir / "htpasswd").write_text(HTPASSWD)
    cdn = RecordingCdn(workdir / "storage")
    registry = Registry(
        workdir,
        auth={"htpasswd": {"realm": "cdn-tests", "path": str(workdir / "htpasswd")}},
        redirect_to=cdn.base,
    )
    registry.push_auth = httpx.BasicAuth(USER, PASSWORD)
    registry.start()
    registry.push_image(
        "cdn/app", {"os": "linux", "architecture": "arm64"}, [b"layer served by the cdn"], tag="1"
    )
    yield registry, cdn
    registry.stop()
    cdn.server.shutdown()


def test_credentials_never_follow_a_redirect(
    cdn_registry: tuple[Registry, RecordingCdn], tmp_path: Path
) -> None:
    registry, cdn = cdn_registry
    options = RegistryOptions(
        credentials=CredentialStore(Credential(USER, PASSWORD), registry=registry.host),
        use_cache=False,
    )
    cdn.headers.clear()
    # single image: the config blob is fetched through the registry's 307 to the CDN
    result = resolve(f"{registry.host}/cdn/app:1", "linux/arm64", registry=options)
    assert result.platform is not None and result.platform.architecture == "arm64"
    # the 401, the retry, then the config: 307 from the registry and 200 from the CDN
    assert result.stats.to_dict()["by_kind"] == {"manifest GET": 2, "blob GET": 2}
    assert cdn.headers and all("Authorization" not in h for h in cdn.headers)

    import asyncio

    async def locate() -> Any:
        client = RegistryClient(options)
        try:
            ref = Reference.parse(f"{registry.host}/cdn/app:1")
            manifest = json.loads((await client.manifest(ref)).data)
            return await client.blob_location(ref, manifest["layers"][0]["digest"])
        finally:
            await client.aclose()

    cdn.headers.clear()
    location = asyncio.run(locate())
    assert location.redirected and location.host == httpx.URL(cdn.base).netloc.decode()
    assert location.url.startswith(cdn.base + "/docker/registry/v2/blobs/sha256/")
    assert "?" not in location.url
    assert cdn.headers and all("Authorization" not in h for h in cdn.headers)


def test_plan_and_have_share_one_token(
    token_registry: tuple[Registry, TokenServer], home: Path
) -> None:
    """SOURCE and --have in one repository: one session, so one token request for the scope."""
    from planner import plan

    registry, server = token_registry
    docker_config(home, {"auths": {registry.host: basic_auth_entry()}})
    server.requests.clear()
    ref = f"{registry.host}/private/app:1"
    result = plan(ref, "linux/arm64", have=[ref], registry=RegistryOptions(use_cache=False))
    assert result.totals.download_bytes == 0
    assert len(server.requests) == 1


# --------------------------------------------------------------------------- one login, one registry
# Docker scopes a login to one registry (docker login HOST; docker/cli's credential store is
# keyed by registry host): --username must never reach a second registry of the run.


@pytest.fixture
def other_registry() -> Iterator[HostileServer]:
    """A second registry that asks every request for Basic credentials and records them."""
    with HostileServer() as server:
        server.route("/v2/other/app/manifests/1", challenge('Basic realm="other"'))
        yield server


def _password_run(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code = main([*argv, "--username", USER, "--password-stdin", "--no-cache"])
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    return code, err


def test_username_on_images_of_two_registries_is_refused_without_registry_login(
    basic_registry: Registry,
    other_registry: HostileServer,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    images = [f"{basic_registry.host}/private/app:1", f"{other_registry.host}/other/app:1"]
    code, err = _password_run(["check", *images, "--platform", "linux/arm64"], monkeypatch, capsys)
    assert code == 2
    assert (
        f"--username: the images are on 2 registries ({basic_registry.host},"
        f" {other_registry.host}); name the one the credential is for with --registry-login HOST"
    ) in err
    assert other_registry.requests == [] and len(err.splitlines()) == 1


def test_registry_login_sends_the_password_to_that_registry_only(
    basic_registry: Registry,
    other_registry: HostileServer,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    images = [f"{basic_registry.host}/private/app:1", f"{other_registry.host}/other/app:1"]
    code, err = _password_run(
        ["check", *images, "--platform", "linux/arm64", "--registry-login", basic_registry.host],
        monkeypatch,
        capsys,
    )
    assert code == 3  # the other registry wants credentials this run has none for
    assert f"{other_registry.host} requires authentication" in err
    assert other_registry.requests and all(r.authorization is None for r in other_registry.requests)


def test_a_have_image_on_another_registry_gets_no_password(
    basic_registry: Registry,
    other_registry: HostileServer,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """plan SOURCE --have OTHER: the login is for SOURCE's registry, which is the only one named."""
    argv = ["plan", f"{basic_registry.host}/private/app:1", "--platform", "linux/arm64"]
    code, err = _password_run(
        [*argv, "--have", f"{other_registry.host}/other/app:1"], monkeypatch, capsys
    )
    assert code == 3 and f"{other_registry.host} requires authentication" in err
    assert other_registry.requests and all(r.authorization is None for r in other_registry.requests)
    # the flag was passed: the hint says how to point it at this registry, not to pass it
    assert f"if --username is for {other_registry.host}, pass --registry-login" in err
    assert "or pass --username NAME" not in err


def test_workload_images_on_two_registries(
    basic_registry: Registry,
    other_registry: HostileServer,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """check -f: a chart whose images live on two registries (the issue's first report)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {
            "containers": [
                {"name": "a", "image": f"{basic_registry.host}/private/app:1"},
                {"name": "b", "image": f"{other_registry.host}/other/app:1"},
            ]
        },
    }
    manifest_file = tmp_path / "pod.json"
    manifest_file.write_text(json.dumps(pod))
    argv = ["check", "-f", str(manifest_file), "--platform", "linux/arm64"]
    code, err = _password_run(argv, monkeypatch, capsys)
    assert code == 2 and "--username: the images are on 2 registries" in err
    code, err = _password_run(
        [*argv, "--registry-login", f"http://{basic_registry.host}/"], monkeypatch, capsys
    )
    assert code in (1, 3)
    assert other_registry.requests and all(r.authorization is None for r in other_registry.requests)


def test_registry_login_must_name_a_registry_of_the_run(
    basic_registry: Registry,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["resolve", f"{basic_registry.host}/private/app:1", "--platform", "linux/arm64"]
    code, err = _password_run([*argv, "--registry-login", "ghcr.io"], monkeypatch, capsys)
    assert code == 2
    assert (
        f"--registry-login ghcr.io: no image of this run is on that registry (they are on {basic_registry.host})"
        in err
    )
    code, err = _password_run([*argv, "--registry-login", "not a host"], monkeypatch, capsys)
    assert code == 2 and "--registry-login: invalid registry host 'not a host'" in err
    assert main([*argv, "--registry-login", basic_registry.host]) == 2
    assert "--registry-login needs --username" in capsys.readouterr().err


def test_an_explicit_credential_belongs_to_one_registry(home: Path) -> None:
    """The library's store: an explicit credential answers for its registry (Docker Hub by
    any of its names) and no other; one without a registry is refused."""
    with pytest.raises(TypeError, match="an explicit credential needs registry="):
        CredentialStore(Credential(USER, PASSWORD))
    hub = CredentialStore(Credential(USER, PASSWORD), registry="https://index.docker.io/v1/")
    assert hub.lookup("docker.io") is not None
    assert hub.lookup("ghcr.io") is None
    local = CredentialStore(Credential(USER, PASSWORD), registry="LOCALHOST:5000")
    assert local.lookup("localhost:5000") is not None
    assert local.lookup("localhost:5001") is None
    assert local.lookup("docker.io") is None


@pytest.mark.parametrize("source", ["flag", "config.json"])
def test_rejected_credentials_are_not_called_missing(
    basic_registry: Registry,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    """Issue 22: a wrong password read like a missing one ("requires authentication ... or
    pass --username"). The registry rejected what was sent: say so, and where it came from."""
    argv = cli(basic_registry, "private/app", tmp_path)
    if source == "flag":
        monkeypatch.setattr(sys, "stdin", io.StringIO("wrong\n"))
        argv += ["--username", USER, "--password-stdin"]
        origin = "--username"
    else:
        docker_config(home, {"auths": {basic_registry.host: basic_auth_entry(password="wrong")}})
        origin = f"{home / '.docker' / 'config.json'} auths['{basic_registry.host}']"
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert (
        f"unauthorized: {basic_registry.host} rejected the credentials from {origin} for"
        f" private/app" in err
    )
    assert "requires authentication" not in err and "pass --username" not in err
    assert "wrong" not in err.replace("wrong-", "")  # never the secret
