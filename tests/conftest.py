"""Shared fixtures."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.content import Content, push_content
from tests.helpers import SEED_INDEX
from tests.registry import Registry
from tests.shop import Shop, push_shop


@pytest.fixture
def seed_index() -> Path:
    return SEED_INDEX


@pytest.fixture(scope="session")
def registry_content(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Content]:
    registry = Registry(tmp_path_factory.mktemp("registry")).start()
    try:
        yield push_content(registry)
    finally:
        registry.stop()


README_PORT = 5000
"""The README's example names ``localhost:5000``; the registry listens there when it can."""


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    port = README_PORT if _port_free(README_PORT) else None
    registry = Registry(tmp_path_factory.mktemp("shop-registry"), port=port).start()
    try:
        yield push_shop(registry)
    finally:
        registry.stop()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to 127.0.0.1 only: a proxy set where they run must not be used (tests that
    test proxies set their own, tests/test_transport_proxy.py)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
