"""A token server for the distribution registry's ``token`` auth, for the tests.

Implements the Docker token protocol (distribution ``docs/spec/auth/token.md``):
``GET /token?service=S&scope=repository:NAME:pull`` with optional Basic
credentials, and the OAuth2 ``POST /token`` refresh-token grant. Tokens are JWTs
signed RS256 with a key generated per run; the registry trusts its
self-signed certificate (``rootcertbundle``) and finds it in the ``x5c`` header.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "pull-planner-test-issuer"
SERVICE = "pull-planner-test-registry"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """Issues registry tokens; records every token request it receives."""

    def __init__(
        self,
        workdir: Path,
        *,
        users: dict[str, str] | None = None,
        public: tuple[str, ...] = (),
        refresh_tokens: dict[str, str] | None = None,
        expires_in: int = 300,
        tls: ssl.SSLContext | None = None,
        host_name: str = "127.0.0.1",
    ) -> None:
        self.users = users or {}
        self.public = public
        self.refresh_tokens = refresh_tokens or {}
        self.expires_in = expires_in
        self.requests: list[dict[str, Any]] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "pull-planner test token signer")]
        )
        now = datetime.datetime.now(datetime.timezone.utc)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_path = workdir / "token-signer.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                server._answer(
                    self, query.get("scope", []), self.headers.get("Authorization"), None
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                scopes = form.get("scope", [])
                server._answer(self, scopes, self.headers.get("Authorization"), form)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:  # https, under a name of its own (tests/names.py)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        scheme = "https" if tls is not None else "http"
        self.realm = f"{scheme}://{host_name}:{self.port}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TokenServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def registry_auth(self) -> dict[str, Any]:
        """The ``auth`` section of the registry config."""
        return {
            "token": {
                "realm": self.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(self.cert_path),
            }
        }

    def _user(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if self.users.get(user) == password else ""

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        scopes: list[str],
        authorization: str | None,
        form: dict[str, list[str]] | None,
    ) -> None:
        user = self._user(authorization)
        if form is not None:
            refresh = (form.get("refresh_token") or [""])[0]
            user = self.refresh_tokens.get(refresh, "")
        self.requests.append(
            {
                "scopes": scopes,
                "authorization": authorization,
                "user": user,
                "grant": form is not None,
            }
        )
        if user == "":  # wrong credentials
            handler.send_response(401)
            handler.end_headers()
            return
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and (user or name in self.public):
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        body = json.dumps(
            {"token": self._jwt(user or "", access), "expires_in": self.expires_in}
            if form is None
            else {"access_token": self._jwt(user or "", access), "expires_in": self.expires_in}
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _jwt(self, subject: str, access: list[dict[str, Any]]) -> str:
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"
