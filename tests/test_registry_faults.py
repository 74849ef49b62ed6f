"""Faults a real registry cannot be made to produce, injected with httpx.MockTransport.

Rate limiting, 5xx, connection resets, content that does not match its digest,
oversized manifests, schema 1, error bodies, redirects to another origin. Every
path here also has a test against the real registry (test_registry*.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from planner import (
    Denied,
    DigestMismatch,
    InvalidManifest,
    NotFound,
    RateLimited,
    RegistryError,
    Unauthorized,
    resolve,
)
from planner.model.manifest import OCI_INDEX, OCI_MANIFEST
from planner.transport.credentials import Credential, CredentialStore
from planner.transport.options import RegistryOptions

HOST = "registry.test"
REF = f"{HOST}/app:1"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


CHILD = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 2,
        },
        "layers": [],
    }
).encode()
INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest(CHILD),
                "size": len(CHILD),
                "platform": {"os": "linux", "architecture": "amd64"},
            }
        ],
    }
).encode()


class MockRegistry:
    """Answers from a queue per path; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Callable[[httpx.Request], httpx.Response]]] = {}
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def on(self, path: str, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        self.routes.setdefault(path, []).extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get(request.url.path)
        if not queue:
            return httpx.Response(
                404, json={"errors": [{"code": "NOT_FOUND", "message": "no route"}]}
            )
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(request)

    def options(self, **kw: Any) -> RegistryOptions:
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return RegistryOptions(
            transport=httpx.MockTransport(self.handler),
            use_cache=False,
            plain_http=False,
            sleep=sleep,
            **kw,
        )


def ok(
    data: bytes = INDEX, media_type: str = OCI_INDEX, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        h = {"Content-Type": media_type, "Docker-Content-Digest": digest(data), **(headers or {})}
        return httpx.Response(200, content=data if request.method != "HEAD" else b"", headers=h)

    return answer


def status(
    code: int, body: Any = None, headers: dict[str, str] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json=body, headers=headers or {})


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "detail": {}}]}


@pytest.fixture
def mock() -> MockRegistry:
    return MockRegistry()


MANIFEST_PATH = "/v2/app/manifests/1"


def test_429_retry_after_then_success(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        status(429, headers={"Retry-After": "2"}),
        status(429, headers={"Retry-After": "0"}),
        ok(),
    )
    result = resolve(REF, "linux/amd64", registry=mock.options())
    assert result.selected is not None
    assert mock.sleeps == [2.0, 0.0]
    assert result.stats.retries == 2 and result.stats.total_requests == 3


def test_5xx_backoff_is_bounded_and_jittered(mock: MockRegistry) -> None:
    mock.on(MANIFEST_PATH, status(503))
    with pytest.raises(
        RegistryError, match=r"answered 503 Service Unavailable for manifest registry.test/app:1"
    ):
        resolve(REF, "linux/amd64", registry=mock.options(retries=5, backoff=0.5, max_backoff=2.0))
    assert len(mock.requests) == 6
    assert len(mock.sleeps) == 5
    for attempt, delay in enumerate(mock.sleeps):
        ceiling = min(2.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("code", [502, 504])
def test_gateway_errors_retried(mock: MockRegistry, code: int) -> None:
    mock.on(MANIFEST_PATH, status(code), ok())
    assert resolve(REF, "linux/amd64", registry=mock.options()).selected is not None


def test_connection_reset_retried(mock: MockRegistry) -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] < 3:
            raise httpx.ReadError("connection reset by peer", request=request)
        return ok()(request)

    mock.on(MANIFEST_PATH, flaky)
    assert resolve(REF, "linux/amd64", registry=mock.options()).selected is not None
    assert calls["n"] == 3


def test_timeouts_give_up_with_a_clear_error(mock: MockRegistry) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    mock.on(MANIFEST_PATH, slow)
    with pytest.raises(
        RegistryError,
        match=r"cannot reach registry.test: ReadTimeout: timed out \(after 3 attempts\)",
    ):
        resolve(REF, "linux/amd64", registry=mock.options(retries=2))


def test_long_retry_after_fails_fast(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        status(429, error_body("TOOMANYREQUESTS", "slow down"), {"Retry-After": "3600"}),
    )
    with pytest.raises(RateLimited, match="asks to wait 3600 s"):
        resolve(REF, "linux/amd64", registry=mock.options())
    assert len(mock.requests) == 1 and mock.sleeps == []


def test_rate_limited_after_retries(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        status(429, error_body("TOOMANYREQUESTS", "You have reached your pull rate limit.")),
    )
    with pytest.raises(
        RateLimited,
        match=r"too many requests: registry.test is rate-limiting \(You have reached your pull rate limit.\)",
    ):
        resolve(REF, "linux/amd64", registry=mock.options(retries=1))


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            status(403, error_body("DENIED", "requested access to the resource is denied")),
            Denied,
            "denied: registry.test refused access to app (requested access to the resource is denied); log in with docker login registry.test",
        ),
        (
            status(404, error_body("NAME_UNKNOWN", "repository name not known to registry")),
            NotFound,
            "repository app not found on registry.test (repository name not known to registry)",
        ),
        (
            status(404, error_body("MANIFEST_UNKNOWN", "manifest unknown")),
            NotFound,
            "manifest unknown: registry.test/app:1 not found on registry.test; check the repository, tag or digest",
        ),
        (
            status(401, error_body("UNAUTHORIZED", "authentication required")),
            Unauthorized,
            "unauthorized: registry.test requires authentication for app (authentication required)",
        ),
        (
            status(500, error_body("UNKNOWN", "boom")),
            RegistryError,
            "registry.test answered 500 Internal Server Error for manifest registry.test/app:1 (boom)",
        ),
    ],
)
def test_error_bodies(
    mock: MockRegistry,
    answer: Callable[[httpx.Request], httpx.Response],
    error: type[Exception],
    message: str,
) -> None:
    mock.on(MANIFEST_PATH, answer)
    with pytest.raises(error) as info:
        resolve(REF, "linux/amd64", registry=mock.options())
    assert str(info.value).startswith(message)


def test_tag_content_must_match_docker_content_digest(mock: MockRegistry) -> None:
    tampered = INDEX.replace(b"amd64", b"arm64")
    mock.on(
        MANIFEST_PATH,
        lambda r: httpx.Response(
            200,
            content=tampered,
            headers={"Content-Type": OCI_INDEX, "Docker-Content-Digest": digest(INDEX)},
        ),
    )
    with pytest.raises(DigestMismatch, match="does not match its digest"):
        resolve(REF, "linux/amd64", registry=mock.options())


def test_digest_fetch_verified(mock: MockRegistry) -> None:
    pinned = f"{HOST}/app@{digest(INDEX)}"
    mock.on(
        f"/v2/app/manifests/{digest(INDEX)}", lambda r: httpx.Response(200, content=INDEX + b" ")
    )
    with pytest.raises(DigestMismatch):
        resolve(pinned, "linux/amd64", registry=mock.options())


def test_truncated_child_manifest(mock: MockRegistry) -> None:
    from planner.sources import open_source

    mock.on(MANIFEST_PATH, ok())
    mock.on(
        f"/v2/app/manifests/{digest(CHILD)}", lambda r: httpx.Response(200, content=CHILD[:-10])
    )
    with open_source(REF, mock.options()) as source:
        index, _ = source.read_top()
        with pytest.raises(
            DigestMismatch,
            match=f"size mismatch for {digest(CHILD)}: descriptor says {len(CHILD)} bytes, got {len(CHILD) - 10}",
        ):
            source.read_document(index.manifests[0])  # type: ignore[union-attr]


def test_oversized_manifest_refused_before_reading(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        lambda r: httpx.Response(
            200, headers={"Content-Length": str(5 << 20)}, content=b"x" * (5 << 20)
        ),
    )
    with pytest.raises(InvalidManifest, match="more than the 4194304-byte limit"):
        resolve(REF, "linux/amd64", registry=mock.options())


def test_oversized_stream_without_length(mock: MockRegistry) -> None:
    async def chunks() -> Any:
        for _ in range(5):
            yield b"x" * (1 << 20)

    mock.on(MANIFEST_PATH, lambda r: httpx.Response(200, content=chunks()))
    with pytest.raises(InvalidManifest, match="more than the 4194304-byte limit"):
        resolve(REF, "linux/amd64", registry=mock.options())


def test_schema1_refused(mock: MockRegistry) -> None:
    schema1 = json.dumps({"schemaVersion": 1, "name": "app", "tag": "1", "fsLayers": []}).encode()
    mock.on(MANIFEST_PATH, ok(schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws"))
    with pytest.raises(
        InvalidManifest, match="schema 1 manifests are deprecated and not supported"
    ):
        resolve(REF, "linux/amd64", registry=mock.options())


def test_accept_header_lists_the_four_manifest_types(mock: MockRegistry) -> None:
    mock.on(MANIFEST_PATH, ok())
    resolve(REF, "linux/amd64", registry=mock.options())
    accept = mock.requests[0].headers["accept"]
    assert accept.split(", ") == [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
    assert mock.requests[0].url.scheme == "https"


def test_authorization_not_sent_to_other_origin(mock: MockRegistry) -> None:
    """A registry that redirects a manifest to a CDN: the CDN never sees the credentials."""
    mock.on(
        MANIFEST_PATH,
        lambda r: (
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="test"'})
            if "authorization" not in r.headers
            else httpx.Response(307, headers={"Location": "https://cdn.test/blob/index"})
        ),
    )
    mock.on("/blob/index", ok())
    options = mock.options(credentials=CredentialStore(Credential("user", "pw"), registry=HOST))
    assert resolve(REF, "linux/amd64", registry=options).selected is not None
    registry_requests = [r for r in mock.requests if r.url.host == HOST]
    cdn_requests = [r for r in mock.requests if r.url.host == "cdn.test"]
    assert registry_requests[-1].headers["authorization"].startswith("Basic ")
    assert cdn_requests and all("authorization" not in r.headers for r in cdn_requests)


def test_multiple_challenges_prefer_bearer(mock: MockRegistry) -> None:
    def manifest(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") == "Bearer t0k3n":
            return ok()(request)
        return httpx.Response(
            401,
            headers=[
                (
                    "WWW-Authenticate",
                    'Basic realm="basic", Bearer realm="https://auth.test/token",service="registry.test",scope="repository:app:pull"',
                ),
            ],
        )

    mock.on(MANIFEST_PATH, manifest)
    mock.on("/token", lambda r: httpx.Response(200, json={"token": "t0k3n", "expires_in": 300}))
    result = resolve(REF, "linux/amd64", registry=mock.options())
    assert result.selected is not None
    token_request = next(r for r in mock.requests if r.url.host == "auth.test")
    assert dict(token_request.url.params) == {
        "service": "registry.test",
        "scope": "repository:app:pull",
    }
    assert "authorization" not in token_request.headers  # anonymous: no credentials configured


def test_token_reused_until_expiry(mock: MockRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.transport.auth as auth

    clock = {"now": 1000.0}
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock["now"])
    tokens = iter(["a", "b"])

    def manifest(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization", "").startswith("Bearer "):
            return ok()(request)
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="s"'}
        )

    mock.on(MANIFEST_PATH, manifest)
    mock.on(
        f"/v2/app/manifests/{digest(CHILD)}",
        lambda r: (
            ok(CHILD, OCI_MANIFEST)(r)
            if r.headers.get("authorization") == "Bearer b"
            or r.headers.get("authorization") == "Bearer a"
            else httpx.Response(401)
        ),
    )
    mock.on("/token", lambda r: httpx.Response(200, json={"token": next(tokens), "expires_in": 60}))

    from planner.sources import open_source

    with open_source(REF, mock.options()) as source:
        index, _ = source.read_top()
        clock["now"] += 30  # within 60 s - 10 s margin: reused
        source.read_documents(list(index.manifests))  # type: ignore[union-attr]
        assert [r.url.host for r in mock.requests].count("auth.test") == 1
        source.session.documents.clear()  # type: ignore[attr-defined]  # force a refetch
        clock["now"] += 30  # past expiry: a new token
        source.read_documents(list(index.manifests))  # type: ignore[union-attr]
        assert [r.url.host for r in mock.requests].count("auth.test") == 2


def test_token_service_refusal(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        lambda r: httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="s"'}
        ),
    )
    mock.on("/token", status(401))
    options = mock.options(
        credentials=CredentialStore(
            Credential("user", "wrong", origin="test config"), registry=HOST
        )
    )
    with pytest.raises(
        Unauthorized,
        match=r"the token service of registry\.test rejected the credentials from test config; check them",
    ):
        resolve(REF, "linux/amd64", registry=options)


def test_credentials_not_sent_over_plain_http_to_remote_hosts(mock: MockRegistry) -> None:
    mock.on(
        MANIFEST_PATH,
        lambda r: httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
    )
    options = mock.options(credentials=CredentialStore(Credential("user", "pw"), registry=HOST))
    options.plain_http = True
    with pytest.raises(
        Unauthorized, match=r"refusing to send credentials for registry\.test over plain HTTP"
    ):
        resolve(REF, "linux/amd64", registry=options)


def test_no_challenge_no_token_round_trip(mock: MockRegistry) -> None:
    """Registries that need no auth (MCR) cost exactly one request."""
    mock.on(MANIFEST_PATH, ok())
    result = resolve(REF, "linux/amd64", registry=mock.options())
    assert [r.url.path for r in mock.requests] == [MANIFEST_PATH]
    assert result.stats.requests["token"] == 0


def test_retry_after_http_date(mock: MockRegistry) -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    mock.on(MANIFEST_PATH, status(503, headers={"Retry-After": when}), ok())
    assert resolve(REF, "linux/amd64", registry=mock.options()).selected is not None
    assert 3 <= mock.sleeps[0] <= 5


def test_event_loop_closed_after_use(mock: MockRegistry) -> None:
    from planner.sources import open_source

    mock.on(MANIFEST_PATH, ok())
    source = open_source(REF, mock.options())
    with source:
        source.read_top()
    assert source.session.loop.is_closed()  # type: ignore[attr-defined]
