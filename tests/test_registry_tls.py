"""TLS: verified by default, SSL_CERT_FILE honoured; against the real registry serving https."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from planner import RegistryError, RegistryOptions, resolve
from tests.registry import Registry

NAME = "registry.pull-planner.test"


def self_signed(workdir: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "tls.crt", workdir / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    workdir = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(workdir)
    registry = Registry(workdir, tls=(cert, key))
    registry.start()
    registry.push_image("app", {"os": "linux", "architecture": "arm64"}, [b"tls layer"], tag="1")
    yield registry, cert
    registry.stop()


@pytest.fixture
def resolves_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """NAME resolves to 127.0.0.1 (not a loopback name, so https is used, as for any registry)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes idna bytes
        return real("127.0.0.1" if name == NAME else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_tls_verified_by_default(
    tls_registry: tuple[Registry, Path], resolves_to_loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, _ = tls_registry
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(
        RegistryError,
        match=r"cannot reach registry\.pull-planner\.test: ConnectError.*CERTIFICATE_VERIFY_FAILED",
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
