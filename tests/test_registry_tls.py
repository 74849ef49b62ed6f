"""TLS: verified by default, SSL_CERT_FILE honoured; against the real registry serving https."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner import RegistryError, RegistryOptions, resolve
from tests.names import REGISTRY_NAME, resolve_to_loopback, self_signed
from tests.registry import Registry

NAME = REGISTRY_NAME


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    workdir = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(workdir, [NAME])
    registry = Registry(workdir, tls=(cert, key))
    registry.start()
    registry.push_image("app", {"os": "linux", "architecture": "arm64"}, [b"tls layer"], tag="1")
    yield registry, cert
    registry.stop()


@pytest.fixture
def resolves_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """NAME resolves to 127.0.0.1 (not a loopback name, so https is used, as for any registry)."""
    resolve_to_loopback(monkeypatch, [NAME])


def test_tls_verified_by_default(
    tls_registry: tuple[Registry, Path], resolves_to_loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _ = tls_registry
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(
        RegistryError,
        match=rf"cannot reach registry\.pull-planner\.test:{registry.port}: ConnectError"
        r".*CERTIFICATE_VERIFY_FAILED",
    ):
        resolve(
            f"{NAME}:{registry.port}/app:1",
            "linux/arm64",
            registry=RegistryOptions(use_cache=False, retries=0),
        )


def test_ssl_cert_file_honoured(
    tls_registry: tuple[Registry, Path], resolves_to_loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, cert = tls_registry
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    result = resolve(
        f"{NAME}:{registry.port}/app:1", "linux/arm64", registry=RegistryOptions(use_cache=False)
    )
    assert result.platform is not None and result.platform.architecture == "arm64"
