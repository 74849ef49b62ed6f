"""Where credentials may go: the registry that asks, and the token realm it named in this run.

The rule (README, Registries; planner/transport/auth.py): credentials are looked up
for the host that asks and sent only to that registry or to the token realm
named by a 401 that registry's origin answered in this run; never after a
redirect to another origin; never over plain HTTP unless the receiver (the
registry for Basic, the realm for a token) is loopback. A challenge read from
the cache saves the 401 round trip only for anonymous token requests or a
realm on the registry's own host, and a cache file that does not parse is
ignored and rewritten. Every test records what each server received.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import RegistryOptions, Unauthorized, resolve
from planner.model.manifest import OCI_INDEX
from planner.model.reference import Reference
from planner.transport.credentials import Credential, CredentialStore
from tests.content import Content
from tests.hostile_server import (
    Handler,
    HostileServer,
    Received,
    Writer,
    answer,
    challenge,
    manifest,
    redirect,
)
from tests.names import TOKEN_NAME, resolve_to_loopback, self_signed, server_context
from tests.registry import Registry
from tests.test_registry_faults import INDEX
from tests.token_server import TokenServer

USER, PASSWORD = "tester", "s3cret-pass"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
MANIFEST = "/v2/app/manifests/1"
TOKEN = json.dumps({"token": "t0k3n", "expires_in": 300}).encode()


def with_credentials(tmp_path: Path, registry: str, **kw: object) -> RegistryOptions:
    """The test's credential, for ``registry`` (a host, or the registry of a reference)."""
    host = Reference.parse(registry).registry if "/" in registry else registry
    return RegistryOptions(
        credentials=CredentialStore(Credential(USER, PASSWORD, origin="test"), registry=host),
        cache_dir=tmp_path / "cache",
        retries=0,
        **kw,  # type: ignore[arg-type]
    )


def anonymous(tmp_path: Path, **kw: object) -> RegistryOptions:
    return RegistryOptions(
        credentials=CredentialStore(env={}, home=tmp_path / "no-home"),
        cache_dir=tmp_path / "cache",
        retries=0,
        **kw,  # type: ignore[arg-type]
    )


def challenge_file(cache: Path, origin: str) -> Path:
    return cache / "challenges" / hashlib.sha256(origin.encode()).hexdigest()


def bearer_guarded(token: str, realm: str) -> Handler:
    """A manifest route that wants ``Bearer token`` and otherwise challenges for ``realm``."""
    ok = manifest(INDEX, OCI_INDEX)
    refuse = challenge(f'Bearer realm="{realm}",service="test"')

    async def handle(request: Received, writer: Writer) -> None:
        await (ok if request.authorization == f"Bearer {token}" else refuse)(request, writer)

    return handle


# --------------------------------------------------------------------------- (a) redirects


def test_redirect_to_another_origin_carries_no_credentials_and_its_401_is_not_answered(
    tmp_path: Path,
) -> None:
    """An open registry redirects the manifest GET to another origin, which asks for a
    token from a realm on itself: it must see no credentials, no token request may
    go to it, and its realm must not be remembered as the registry's."""
    with HostileServer() as registry, HostileServer() as other:
        registry.route(MANIFEST, redirect(f"{other.url}/elsewhere/index"))
        other.route("/elsewhere/index", challenge(f'Bearer realm="{other.url}/token",service="x"'))
        other.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        with pytest.raises(
            Unauthorized,
            match=rf"{registry.host} redirected manifest {registry.host}/app:1 to {other.host},"
            r" which asks for authentication; credentials are sent only to",
        ):
            resolve(
                f"{registry.host}/app:1",
                "linux/amd64",
                registry=with_credentials(tmp_path, registry.host),
            )
    assert [r.path for r in other.requests] == ["/elsewhere/index"]
    assert other.requests[0].authorization is None
    assert all(r.authorization is None for r in registry.requests)
    assert not challenge_file(tmp_path / "cache", registry.url).exists()


def test_credentials_stay_with_the_registry_when_it_redirects_to_a_cdn(tmp_path: Path) -> None:
    """The registry asks for Basic, gets it, and redirects: the CDN sees no Authorization."""

    async def registry_manifest(request: Received, writer: Writer) -> None:
        if request.authorization == BASIC:
            await redirect(f"{cdn.url}/signed/index?sig=abc")(request, writer)
        else:
            await challenge('Basic realm="registry"')(request, writer)

    with HostileServer() as registry, HostileServer() as cdn:
        registry.route(MANIFEST, registry_manifest)
        cdn.route("/signed/index", manifest(INDEX, OCI_INDEX))
        result = resolve(
            f"{registry.host}/app:1",
            "linux/amd64",
            registry=with_credentials(tmp_path, registry.host),
        )
    assert result.selected is not None
    assert [r.authorization for r in registry.requests] == [None, BASIC]
    assert [r.authorization for r in cdn.requests] == [None]


# --------------------------------------------------------------------------- (b) plain HTTP


@pytest.fixture
def token_host(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve_to_loopback(monkeypatch, [TOKEN_NAME])


def test_loopback_registry_naming_a_plain_http_realm_elsewhere_gets_no_credentials(
    tmp_path: Path, token_host: None
) -> None:
    """A loopback registry names http://token.pull-planner.test/ (not loopback): the
    credentials would travel in clear, so the token request is refused before it is made."""
    with HostileServer() as registry, HostileServer() as token:
        realm = f"http://{TOKEN_NAME}:{token.port}/token"
        registry.route(MANIFEST, bearer_guarded("t0k3n", realm))
        token.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        with pytest.raises(
            Unauthorized,
            match=rf"refusing to send credentials for {registry.host} to {TOKEN_NAME}:{token.port}"
            r" over plain HTTP",
        ):
            resolve(
                f"{registry.host}/app:1",
                "linux/amd64",
                registry=with_credentials(tmp_path, registry.host),
            )
        assert token.requests == []
        # with nothing secret to send, the same realm is asked anonymously
        result = resolve(f"{registry.host}/app:1", "linux/amd64", registry=anonymous(tmp_path))
    assert result.selected is not None
    assert [r.authorization for r in token.requests] == [None]


def test_plain_http_realm_on_loopback_may_receive_credentials(tmp_path: Path) -> None:
    with HostileServer() as registry, HostileServer() as token:
        registry.route(MANIFEST, bearer_guarded("t0k3n", f"{token.url}/token"))
        token.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        result = resolve(
            f"{registry.host}/app:1",
            "linux/amd64",
            registry=with_credentials(tmp_path, registry.host),
        )
    assert result.selected is not None
    assert [r.authorization for r in token.requests] == [BASIC]


# --------------------------------------------------------------------------- (c) the cache


@pytest.fixture(scope="module")
def tls_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TokenServer, Path]]:
    """A token service on another host, over TLS: the normal Docker flow."""
    workdir = tmp_path_factory.mktemp("tls-token")
    cert, key = self_signed(workdir, [TOKEN_NAME])
    server = TokenServer(
        workdir,
        users={USER: PASSWORD},
        public=("public/app",),
        tls=server_context(cert, key),
        host_name=TOKEN_NAME,
    ).start()
    yield server, cert
    server.stop()


@pytest.fixture
def trust_token_host(
    tls_token: tuple[TokenServer, Path], monkeypatch: pytest.MonkeyPatch, token_host: None
) -> TokenServer:
    server, cert = tls_token
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server.requests.clear()
    return server


def test_a_cached_realm_elsewhere_never_receives_credentials(
    registry_content: Content, trust_token_host: TokenServer, tmp_path: Path
) -> None:
    """A realm written into the cache for a registry that needs no auth: with
    credentials configured, it receives nothing (before the fix it received them)."""
    server = trust_token_host
    registry = registry_content.registry
    path = challenge_file(tmp_path / "cache", registry.url)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"scheme": "bearer", "realm": server.realm, "service": "x"}))
    ref = registry_content.ref("multi:oci")
    assert (
        resolve(ref, "linux/arm64", registry=with_credentials(tmp_path, ref)).selected is not None
    )
    assert server.requests == []
    # anonymous: the cached realm may save the 401 round trip (nothing secret is sent)
    assert resolve(ref, "linux/arm64", registry=anonymous(tmp_path)).selected is not None
    assert [r["authorization"] for r in server.requests] == [None]


@pytest.fixture(scope="module")
def tls_token_registry(
    tmp_path_factory: pytest.TempPathFactory, tls_token: tuple[TokenServer, Path]
) -> Iterator[Registry]:
    """A real registry whose token realm is https://token.pull-planner.test:PORT/token."""
    server, _ = tls_token
    workdir = tmp_path_factory.mktemp("tls-token-registry")
    seeding = Registry(workdir).start()  # push without auth, then serve the storage with auth
    for repo in ("public/app", "private/app"):
        image = seeding.push_image(repo, {"os": "linux", "architecture": "arm64"}, [repo.encode()])
        seeding.push_index(
            repo, "1", [image.descriptor(platform={"os": "linux", "architecture": "arm64"})]
        )
    seeding.stop()
    registry = Registry(workdir, auth=server.registry_auth()).start()
    yield registry
    registry.stop()


def test_token_service_on_another_host_over_tls_gets_credentials_from_a_live_challenge_only(
    tls_token_registry: Registry, trust_token_host: TokenServer, tmp_path: Path
) -> None:
    """The registry names a TLS token service on another host: credentials go there after
    its 401 in this run. The next run has that realm in its cache, but with credentials
    it pays the 401 again rather than trusting the cached realm."""
    registry, server = tls_token_registry, trust_token_host
    ref = f"{registry.host}/private/app:1"
    mark = registry.mark()
    assert (
        resolve(ref, "linux/arm64", registry=with_credentials(tmp_path, ref)).selected is not None
    )
    assert [(r["method"], r["status"]) for r in registry.since(mark)] == [
        ("GET", 401),
        ("GET", 200),
    ]
    assert [(r["user"], r["authorization"]) for r in server.requests] == [(USER, BASIC)]
    saved = json.loads(challenge_file(tmp_path / "cache", registry.url).read_text())
    assert saved["realm"] == server.realm

    server.requests.clear()
    mark = registry.mark()
    assert (
        resolve(ref, "linux/arm64", registry=with_credentials(tmp_path, ref)).selected is not None
    )
    assert [(r["method"], r["status"]) for r in registry.since(mark)] == [
        ("HEAD", 401),
        ("HEAD", 200),
    ]
    assert [r["user"] for r in server.requests] == [USER]

    # anonymous, the cached realm saves the round trip
    server.requests.clear()
    mark = registry.mark()
    public = f"{registry.host}/public/app:1"
    assert resolve(public, "linux/arm64", registry=anonymous(tmp_path)).selected is not None
    assert resolve(public, "linux/arm64", registry=anonymous(tmp_path)).selected is not None
    assert [(r["method"], r["status"]) for r in registry.since(mark)] == [
        ("GET", 200),
        ("HEAD", 200),
    ]
    assert [r["authorization"] for r in server.requests] == [None, None]


@pytest.fixture(scope="module")
def token_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, TokenServer]]:
    workdir = tmp_path_factory.mktemp("cache-repair")
    server = TokenServer(workdir, public=("public/app",)).start()
    seeding = Registry(workdir).start()
    image = seeding.push_image("public/app", {"os": "linux", "architecture": "arm64"}, [b"x"])
    seeding.push_index(
        "public/app", "1", [image.descriptor(platform={"os": "linux", "architecture": "arm64"})]
    )
    seeding.stop()
    registry = Registry(workdir, auth=server.registry_auth()).start()
    yield registry, server
    registry.stop()
    server.stop()


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not json",
        b"[]",
        b'{"scheme": 7}',
        b'{"scheme": "bearer"}',
        b'{"scheme": "bearer", "realm": "not a url"}',
        b'{"scheme": "bearer", "realm": "ftp://127.0.0.1/token"}',
        b'{"scheme": "bearer", "realm": "http://127.0.0.1:1/token"}',  # parses, but nobody answers
        b'{"scheme": "bearer", "realm": "http://127.0.0.1:5000/tok\\u0000en"}',
    ],
    ids=[
        "binary",
        "list",
        "scheme-number",
        "no-realm",
        "realm-not-url",
        "realm-ftp",
        "realm-dead",
        "realm-nul",
    ],
)
def test_a_bad_cached_challenge_is_ignored_and_rewritten(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path, content: bytes
) -> None:
    registry, server = token_registry
    path = challenge_file(tmp_path / "cache", registry.url)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    ref = f"{registry.host}/public/app:1"
    assert resolve(ref, "linux/arm64", registry=anonymous(tmp_path)).selected is not None
    assert json.loads(path.read_text())["realm"] == server.realm


# --------------------------------------------------------------------------- (d) a shared cache


def _plant(cache: Path, registry: HostileServer, realm: str) -> Path:
    """A challenge for ``registry`` naming ``realm``, as someone who can write the cache would."""
    path = challenge_file(cache, registry.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scheme": "bearer", "realm": realm, "service": "x"}))
    path.chmod(0o600)
    return path


def _cache_options(cache: Path, registry: str | None, notices: list[str]) -> RegistryOptions:
    return RegistryOptions(
        credentials=(
            CredentialStore(Credential(USER, PASSWORD, origin="test"), registry=registry)
            if registry is not None
            else CredentialStore(env={}, home=cache / "no-home")
        ),
        cache_dir=cache,
        retries=0,
        notify=notices.append,
    )


LOOSE = {
    "cache-dir": lambda shared, cache, path: cache.chmod(0o777),
    "challenges-dir": lambda shared, cache, path: path.parent.chmod(0o770),
    "challenge-file": lambda shared, cache, path: path.chmod(0o666),
    "dir-above": lambda shared, cache, path: shared.chmod(0o777),
    "link-in-dir-above": lambda shared, cache, path: None,
}


@pytest.mark.parametrize("loose", list(LOOSE))
def test_a_challenge_planted_in_a_cache_others_can_write_is_never_believed(
    tmp_path: Path, loose: str
) -> None:
    """Someone who can write to the cache directory (or a directory above it) plants a
    challenge naming a realm on another port of the registry's host: the registry never
    asks, so believing the cache would hand the user's credentials to that port. The
    cache's challenges are ignored, one notice says why, and nothing reaches the realm."""
    shared = tmp_path / "shared"
    cache = shared / "cache"
    with HostileServer() as registry, HostileServer() as planted:
        registry.route(MANIFEST, manifest(INDEX, OCI_INDEX))  # needs no credentials at all
        planted.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        path = _plant(cache, registry, f"{planted.url}/token")
        LOOSE[loose](shared, cache, path)
        given = cache
        if loose == "link-in-dir-above":  # the cache reached through a link in /tmp-like dir
            (tmp_path / "open").mkdir(mode=0o777)
            (tmp_path / "open").chmod(0o777)
            given = tmp_path / "open" / "cache"
            given.symlink_to(cache)
        notices: list[str] = []
        for _ in range(2):
            result = resolve(
                f"{registry.host}/app:1",
                "linux/amd64",
                registry=_cache_options(given, registry.host, notices),
            )
            assert result.selected is not None
    assert planted.requests == []
    assert [r.authorization for r in registry.requests] == [None, None]
    assert len(notices) == 2  # once per run
    assert "ignoring the authentication challenges saved in the cache" in notices[0]
    assert "writable by others" in notices[0] and "\n" not in notices[0]


def test_a_challenge_file_of_another_user_is_never_believed(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can give a file to another user")
    with HostileServer() as registry, HostileServer() as planted:
        registry.route(MANIFEST, manifest(INDEX, OCI_INDEX))
        planted.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        path = _plant(tmp_path / "cache", registry, f"{planted.url}/token")
        os.chown(path, 65534, 65534)
        notices: list[str] = []
        options = _cache_options(tmp_path / "cache", registry.host, notices)
        assert resolve(f"{registry.host}/app:1", "linux/amd64", registry=options).selected
    assert planted.requests == []
    assert len(notices) == 1 and "belongs to another user (uid 65534)" in notices[0]


def test_a_private_cache_under_a_sticky_shared_directory_is_believed(tmp_path: Path) -> None:
    """/tmp-like: a world-writable sticky directory above a cache of mode 0700 is fine."""
    shared = tmp_path / "shared"
    with HostileServer() as registry, HostileServer() as realm:
        registry.route(MANIFEST, bearer_guarded("t0k3n", f"{realm.url}/token"))
        realm.route("/token", answer(200, TOKEN, [("Content-Type", "application/json")]))
        _plant(shared / "cache", registry, f"{realm.url}/token")
        (shared / "cache").chmod(0o700)
        (shared / "cache" / "challenges").chmod(0o700)
        shared.chmod(0o1777)
        notices: list[str] = []
        options = _cache_options(shared / "cache", None, notices)
        assert resolve(f"{registry.host}/app:1", "linux/amd64", registry=options).selected
    assert notices == []
    assert [r.authorization for r in registry.requests] == ["Bearer t0k3n"]  # no 401 first
    assert [r.authorization for r in realm.requests] == [None]
