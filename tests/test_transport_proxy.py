"""Proxy variables, through a real forwarding proxy on 127.0.0.1 (tests/forward_proxy.py).

HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY are honoured for every request:
registry, token service and CDN alike, as Go's net/http reads them for Docker
and containerd (loopback hosts are never proxied). The proxy connects to
127.0.0.1 whatever name it is given, and test names do not resolve in this
process (tests/names.py), so a request that bypassed the proxy would fail.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from planner import RegistryError, RegistryOptions, resolve
from planner.transport.proxy import ProxySettings
from tests.cdn import RecordingCdn
from tests.content import Content
from tests.forward_proxy import ForwardProxy
from tests.names import (
    CDN_NAME,
    REGISTRY_NAME,
    TOKEN_NAME,
    refuse_names,
    resolve_to_loopback,
    self_signed,
)
from tests.registry import Registry
from tests.token_server import TokenServer


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def named_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Registry, RecordingCdn]]:
    """A real registry known as registry.pull-planner.test, with token auth at
    token.pull-planner.test and blob downloads redirected to cdn.pull-planner.test."""
    workdir = tmp_path_factory.mktemp("proxied")
    cdn = RecordingCdn(workdir / "storage")
    cdn_named = f"http://{CDN_NAME}:{httpx.URL(cdn.base).port}"
    seeding = Registry(workdir).start()  # push without auth, then serve the storage with auth
    seeding.push_image(
        "public/app", {"os": "linux", "architecture": "arm64"}, [b"proxied"], tag="1"
    )
    seeding.stop()
    tokens = TokenServer(workdir, public=("public/app",)).start()
    auth = tokens.registry_auth()
    auth["token"]["realm"] = f"http://{TOKEN_NAME}:{tokens.port}/token"
    registry = Registry(workdir, auth=auth, redirect_to=cdn_named).start()
    yield registry, cdn
    registry.stop()
    tokens.stop()
    cdn.stop()


def test_registry_token_service_and_cdn_all_go_through_http_proxy(
    named_registry: tuple[Registry, RecordingCdn],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    registry, cdn = named_registry
    bypassed = refuse_names(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    options = RegistryOptions(cache_dir=tmp_path / "cache", plain_http=True, retries=0)
    result = resolve(
        f"{REGISTRY_NAME}:{registry.port}/public/app:1", "linux/arm64", registry=options
    )
    assert result.platform is not None and result.platform.architecture == "arm64"
    assert bypassed == []
    reg, token, blobs = f"{REGISTRY_NAME}:{registry.port}", f"{TOKEN_NAME}:", f"{CDN_NAME}:"
    seen = [
        (p.method, p.authority.split(":")[0] + ":" if p.authority != reg else reg)
        for p in proxy.passed
    ]
    assert seen == [
        ("GET", reg),  # manifest: 401
        ("GET", token),  # anonymous token
        ("GET", reg),  # manifest
        ("GET", reg),  # config blob: 307
        ("GET", blobs),  # config blob from the CDN
    ]
    assert cdn.headers and all("Authorization" not in h for h in cdn.headers)


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    workdir = tmp_path_factory.mktemp("tls-proxied")
    cert, key = self_signed(workdir, [REGISTRY_NAME])
    registry = Registry(workdir, tls=(cert, key))
    registry.url = f"https://{registry.host}"
    registry.start()
    original = registry._client

    def client() -> httpx.Client:
        c = original()
        c._transport = httpx.HTTPTransport(verify=False)
        return c

    registry._client = client  # type: ignore[method-assign]
    registry.push_image("app", {"os": "linux", "architecture": "arm64"}, [b"tls layer"], tag="1")
    yield registry, cert
    registry.stop()


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_https_through_connect_tunnel(
    tls_registry: tuple[Registry, Path],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    registry, cert = tls_registry
    bypassed = refuse_names(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv(variable, proxy.url)
    result = resolve(
        f"{REGISTRY_NAME}:{registry.port}/app:1",
        "linux/arm64",
        registry=RegistryOptions(use_cache=False),
    )
    assert result.platform is not None
    assert bypassed == []
    # the manifest and the config blob, in one tunnel kept alive
    assert [(p.method, p.authority) for p in proxy.passed] == [
        ("CONNECT", f"{REGISTRY_NAME}:{registry.port}")
    ]
    assert result.stats.to_dict()["by_kind"] == {"manifest GET": 1, "blob GET": 1}


@pytest.mark.parametrize(
    "no_proxy", ["registry.pull-planner.test", ".pull-planner.test", "*", "pull-planner.test"]
)
def test_no_proxy_goes_direct(
    tls_registry: tuple[Registry, Path],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    registry, cert = tls_registry
    resolve_to_loopback(monkeypatch, [REGISTRY_NAME])
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"example.com, {no_proxy}")
    result = resolve(
        f"{REGISTRY_NAME}:{registry.port}/app:1",
        "linux/arm64",
        registry=RegistryOptions(use_cache=False),
    )
    assert result.platform is not None
    assert proxy.passed == []


def test_loopback_registries_are_never_proxied(
    registry_content: Content, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As in Go's net/http (Docker, containerd): localhost and 127.0.0.0/8 go direct."""
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(variable, proxy.url)
    result = resolve(
        registry_content.ref("multi:oci"), "linux/arm64", registry=RegistryOptions(use_cache=False)
    )
    assert result.selected is not None
    assert proxy.passed == []


def test_unreachable_proxy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.registry import free_port

    refuse_names(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", f"http://user:proxy-secret@127.0.0.1:{free_port()}")
    with pytest.raises(
        RegistryError,
        match=r"cannot reach registry\.pull-planner\.test:5000 through the proxy 127\.0\.0\.1:\d+",
    ) as info:
        resolve(
            f"{REGISTRY_NAME}:5000/app:1",
            "linux/arm64",
            registry=RegistryOptions(use_cache=False, plain_http=True, retries=0),
        )
    assert "proxy-secret" not in str(info.value)


def test_proxy_credentials_are_sent_to_the_proxy(
    named_registry: tuple[Registry, RecordingCdn],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    registry, _ = named_registry
    refuse_names(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", f"http://proxy-user:proxy-pass@127.0.0.1:{proxy.port}")
    options = RegistryOptions(use_cache=False, plain_http=True, retries=0)
    resolve(f"{REGISTRY_NAME}:{registry.port}/public/app:1", "linux/arm64", registry=options)
    assert {p.proxy_authorization for p in proxy.passed} == {"Basic cHJveHktdXNlcjpwcm94eS1wYXNz"}


def test_tls_is_not_set_up_for_a_plain_http_run(
    named_registry: tuple[Registry, RecordingCdn],
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading the CA bundle costs ~0.1 s; a run that only speaks http:// never does it."""
    registry, _ = named_registry
    refuse_names(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    made: list[object] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    options = RegistryOptions(use_cache=False, plain_http=True, retries=0)
    resolve(f"{REGISTRY_NAME}:{registry.port}/public/app:1", "linux/arm64", registry=options)
    assert proxy.passed and made == []


# --------------------------------------------------------------------------- the rules, as a table

HTTP = "http://registry.example.com/v2/"
HTTPS = "https://registry.example.com/v2/"


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({"HTTP_PROXY": "http://p:3128"}, HTTP, "http://p:3128"),
        ({"HTTP_PROXY": "http://p:3128"}, HTTPS, None),
        ({"HTTPS_PROXY": "p:3128"}, HTTPS, "http://p:3128"),  # no scheme: http://, as in Go
        (
            {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:1"},
            HTTPS,
            "http://upper:1",
        ),
        ({"ALL_PROXY": "http://all:1"}, HTTPS, "http://all:1"),
        ({"ALL_PROXY": "http://all:1", "HTTP_PROXY": "http://h:1"}, HTTP, "http://h:1"),
        ({"HTTP_PROXY": "http://p:1"}, "http://localhost:5000/v2/", None),
        ({"HTTP_PROXY": "http://p:1"}, "http://127.0.0.5:5000/v2/", None),
        ({"HTTP_PROXY": "http://p:1"}, "http://[::1]:5000/v2/", None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "example.com"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, HTTP, None),
        (
            {"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example.com"},
            "http://example.com/",
            "http://p:1",
        ),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*.example.com"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "ample.com"}, HTTP, "http://p:1"),
        ({"HTTP_PROXY": "http://p:1", "no_proxy": "registry.example.com:80"}, HTTP, None),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "registry.example.com:8080"}, HTTP, "http://p:1"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3:5000/", None),
        (
            {"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8"},
            "http://11.1.2.3:5000/",
            "http://p:1",
        ),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "10.1.2.3"}, "http://10.1.2.3:5000/", None),
        (
            {"HTTP_PROXY": "http://p:1", "NO_PROXY": "[2001:db8::1]:5000"},
            "http://[2001:db8::1]:5000/",
            None,
        ),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": " , ,REGISTRY.example.COM"}, HTTP, None),
        ({}, HTTP, None),
    ],
)
def test_proxy_choice(env: dict[str, str], url: str, expected: str | None) -> None:
    chosen = ProxySettings.from_env(env).proxy_for(httpx.URL(url))
    assert (str(chosen) if chosen else None) == expected


@pytest.mark.parametrize("value", ["ftp://p:21", "http://", "http://p:99999"])
def test_bad_proxy_value_is_invalid_input(value: str) -> None:
    from planner import InvalidInput

    with pytest.raises(InvalidInput, match="HTTP_PROXY") as info:
        ProxySettings.from_env({"HTTP_PROXY": value}).proxy_for(httpx.URL(HTTP))
    assert "\n" not in str(info.value)
