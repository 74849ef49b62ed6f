"""Host names for tests that need a host other than 127.0.0.1 by name, and certificates for them.

Names under ``pull-planner.test`` (a reserved TLD, RFC 2606) are made to
resolve to 127.0.0.1 inside the test process (:func:`resolve_to_loopback`), or
are resolved by the test proxy, which connects to 127.0.0.1 whatever it is
asked for. Either way nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import socket
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOMAIN = "pull-planner.test"
REGISTRY_NAME = f"registry.{DOMAIN}"
TOKEN_NAME = f"token.{DOMAIN}"
CDN_NAME = f"cdn.{DOMAIN}"


def self_signed(workdir: Path, names: Iterable[str], stem: str = "tls") -> tuple[Path, Path]:
    """A self-signed CA certificate valid for ``names``, and its key: (cert path, key path)."""
    names = list(names)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / f"{stem}.crt", workdir / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def resolve_to_loopback(monkeypatch: pytest.MonkeyPatch, names: Iterable[str]) -> list[str]:
    """Make ``names`` resolve to 127.0.0.1 in this process; returns the names looked up, in order."""
    wanted = set(names)
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes idna bytes
        looked_up.append(name)
        return real("127.0.0.1" if name in wanted else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def refuse_names(monkeypatch: pytest.MonkeyPatch, suffix: str = DOMAIN) -> list[str]:
    """Fail any lookup of a name ending in ``suffix``: proves a request went through a proxy."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(suffix):
            looked_up.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: test names do not resolve here")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up
