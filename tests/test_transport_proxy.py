"""Proxy variables as Go's net/http reads them for Docker and containerd (planner/transport/proxy.py)."""

from __future__ import annotations

import httpx
import pytest

from planner.transport.proxy import ProxySettings

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
