"""Where registry credentials come from, in the order they are tried.

1. the explicit credential given to the store (the command line's user name and
   password from standard input), for the one registry it was given for and no
   other: Docker scopes a login to one registry (``docker login HOST``), so a
   second registry of the run that asks gets its own stored credentials or none;
2. ``$REGISTRY_AUTH_FILE`` (podman, skopeo, buildah);
3. Docker's ``config.json`` (``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``):
   ``credHelpers[registry]``, then ``auths[registry]``, then ``credsStore``;
4. podman's ``auth.json`` (``$XDG_RUNTIME_DIR/containers/auth.json``,
   ``~/.config/containers/auth.json``).

Credential helpers speak the docker-credential-helpers protocol: the program
``docker-credential-NAME get`` reads the server URL on stdin and prints
``{"Username": ..., "Secret": ...}``; the username ``<token>`` marks an
identity (refresh) token. Credentials are looked up only when a registry asks
for them, and never logged, printed or cached on disk.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.model.errors import InvalidInput, SourceError
from planner.model.files import path_kind, read_capped
from planner.model.record import dataclass, field
from planner.model.reference import DOCKER_HUB, registry_name
from planner.model.text import one_line

__all__ = ["Credential", "CredentialStore"]

_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
HELPER_TIMEOUT = 30
"""Seconds a credential helper may take at most (less when the run's timeout or deadline is
nearer: :meth:`CredentialStore.lookup` ``timeout``)."""
MAX_HELPER_OUTPUT = 1 << 20
"""Bytes of a helper's stdout, and of its stderr, read at most (an answer is under 1 KiB)."""
MAX_HELPER_TEXT = 200
"""Characters of a helper's error output, or of its name, shown in a message."""
MAX_CREDENTIALS_FILE = 1 << 20


@dataclass(frozen=True)
class Credential:
    """A username and secret for one registry. ``repr`` never shows the secret."""

    username: str
    secret: str = field(repr=False)
    identity_token: bool = False
    """The secret is an OAuth2 refresh token (Docker's ``identitytoken``)."""
    origin: str = ""
    """Where it came from, for messages (never the secret itself)."""


def _server_key(key: str) -> str:
    """``https://host:port/v1/`` -> ``host:port``."""
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key.split("/", 1)[0]


def _keys_for(registry: str) -> tuple[str, ...]:
    return _HUB_KEYS if registry == DOCKER_HUB else (registry,)


class CredentialStore:
    """Finds credentials for a registry; results are memoized for the run."""

    def __init__(
        self,
        explicit: Credential | None = None,
        *,
        registry: str | None = None,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
    ) -> None:
        """``explicit`` is used for ``registry`` only (``docker.io``, ``ghcr.io``,
        ``localhost:5000``, as references write it); a credential without the registry
        it belongs to is refused rather than offered to every registry that asks."""
        if explicit is not None and registry is None:
            raise TypeError(
                "CredentialStore: an explicit credential needs registry= (its registry)"
            )
        self.explicit = explicit
        self.explicit_registry = registry_name(registry) if registry is not None else None
        self.env = os.environ if env is None else env
        self.home = home or Path(self.env.get("HOME", str(Path.home())))
        self._memo: dict[str, Credential | None] = {}

    # ------------------------------------------------------------------ files

    def _docker_config_path(self) -> Path:
        base = self.env.get("DOCKER_CONFIG")
        return Path(base) / "config.json" if base else self.home / ".docker" / "config.json"

    def _auth_files(self) -> list[tuple[Path, bool]]:
        """(path, is docker config) in lookup order."""
        files: list[tuple[Path, bool]] = []
        if self.env.get("REGISTRY_AUTH_FILE"):
            files.append((Path(self.env["REGISTRY_AUTH_FILE"]), False))
        files.append((self._docker_config_path(), True))
        if self.env.get("XDG_RUNTIME_DIR"):
            files.append((Path(self.env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json", False))
        files.append((self.home / ".config" / "containers" / "auth.json", False))
        return files

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        """A credentials file: a regular file of at most 1 MiB, or None when there is none."""
        if path_kind(path) == "missing":
            return None
        raw = read_capped(path, MAX_CREDENTIALS_FILE, error=InvalidInput)
        try:
            data = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise InvalidInput(
                f"{path}: not a readable JSON credentials file (nested too deeply)"
            ) from None
        except ValueError as exc:  # also UnicodeDecodeError, and integers of 4300+ digits
            reason = one_line(str(exc).split(";")[0])
            raise InvalidInput(f"{path}: not a readable JSON credentials file ({reason})") from None
        if not isinstance(data, dict):
            raise InvalidInput(f"{path}: credentials file must be a JSON object")
        return data

    # ------------------------------------------------------------------ lookup

    def lookup(self, registry: str, *, timeout: float | None = None) -> Credential | None:
        """Credentials for ``registry`` (as in a reference, e.g. ``docker.io``), or None.

        ``timeout``: seconds a credential helper may take (at most :data:`HELPER_TIMEOUT`);
        a helper still running then is killed, with everything it started.
        """
        if registry not in self._memo:
            self._memo[registry] = self._lookup(registry, timeout)
        return self._memo[registry]

    def _lookup(self, registry: str, timeout: float | None = None) -> Credential | None:
        if self.explicit is not None and registry_name(registry) == self.explicit_registry:
            return self.explicit
        keys = _keys_for(registry)
        for path, is_docker in self._auth_files():
            data = self._read_json(path)
            if data is None:
                continue
            helpers = data.get("credHelpers") or {}
            if is_docker and isinstance(helpers, dict):
                for key, helper in helpers.items():
                    if _server_key(key) in keys and isinstance(helper, str):
                        return self._from_helper(helper, registry, path, timeout)
            found = self._from_auths(data.get("auths") or {}, keys, path)
            if found is not None:
                return found
            store = data.get("credsStore")
            if is_docker and isinstance(store, str) and store:
                found = self._from_helper(store, registry, path, timeout)
                if found is not None:
                    return found
        return None

    @staticmethod
    def _from_auths(auths: Any, keys: tuple[str, ...], path: Path) -> Credential | None:
        if not isinstance(auths, dict):
            return None
        for key, entry in auths.items():
            if _server_key(key) not in keys or not isinstance(entry, dict):
                continue
            origin = f"{path} auths[{key!r}]"
            if isinstance(entry.get("identitytoken"), str) and entry["identitytoken"]:
                return Credential("", entry["identitytoken"], identity_token=True, origin=origin)
            if isinstance(entry.get("auth"), str) and entry["auth"]:
                try:
                    decoded = base64.b64decode(entry["auth"], validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    raise InvalidInput(f"{origin}: 'auth' is not base64 of user:password") from None
                user, sep, secret = decoded.partition(":")
                if not sep:
                    raise InvalidInput(f"{origin}: 'auth' is not base64 of user:password")
                return Credential(user, secret, origin=origin)
            if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
                return Credential(entry["username"], entry["password"], origin=origin)
        return None

    def _from_helper(
        self, helper: str, registry: str, path: Path, timeout: float | None = None
    ) -> Credential | None:
        program = _helper_program(helper, path)
        executable = shutil.which(program, path=self.env.get("PATH"))
        if executable is None:
            raise SourceError(
                f"credential helper {program} (configured in {path}) is not installed or not on PATH"
            )
        server = "https://index.docker.io/v1/" if registry == DOCKER_HUB else registry
        limit = HELPER_TIMEOUT if timeout is None else max(0.0, min(timeout, HELPER_TIMEOUT))
        code, out, err = _run_helper(executable, program, server, dict(self.env), limit)
        if code != 0:
            said = (out + err).decode("utf-8", "replace")
            if "credentials not found" in said.lower():
                return None
            lines = (err or out).decode("utf-8", "replace").strip().splitlines()
            detail = one_line(lines[0], MAX_HELPER_TEXT) if lines else f"exit {code}"
            raise SourceError(f"credential helper {program} failed for {server}: {detail}")
        problem = f"credential helper {program} printed no Username/Secret JSON"
        try:
            answer = json.loads(out.decode("utf-8"))
        except RecursionError:
            raise SourceError(f"{problem} (nested too deeply)") from None
        except UnicodeDecodeError:
            raise SourceError(f"{problem} (not UTF-8)") from None
        except ValueError:
            raise SourceError(problem) from None
        username = answer.get("Username") if isinstance(answer, dict) else None
        secret = answer.get("Secret") if isinstance(answer, dict) else None
        if not isinstance(username, str) or not isinstance(secret, str):
            raise SourceError(problem)
        origin = f"credential helper {program}"
        if username == "<token>":
            return Credential("", secret, identity_token=True, origin=origin)
        return Credential(username, secret, origin=origin)


def _helper_program(helper: str, path: Path) -> str:
    """``docker-credential-NAME`` for a plain NAME; InvalidInput naming ``path`` otherwise.

    A name with a path separator or ``..`` would run a program outside PATH
    (``docker-credential-x/../../tmp/evil``), and a leading ``-`` reads as an option.
    """
    if (
        not helper
        or any(bad in helper for bad in ("/", "\\", "..", "\x00"))
        or helper.startswith("-")
        or one_line(helper) != helper
    ):
        raise InvalidInput(
            f"{path}: credential helper {one_line(repr(helper), MAX_HELPER_TEXT)} is not a plain"
            " name (docker-credential-NAME runs a program on PATH; NAME has no '/', '\\', '..',"
            " control characters or leading '-')"
        )
    return f"docker-credential-{helper}"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the helper and everything it started (its own process group), and reap it."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    process.wait()


def _run_helper(
    executable: str, program: str, server: str, env: dict[str, str], limit: float
) -> tuple[int, bytes, bytes]:
    """Run ``executable get`` with ``server`` on stdin: (exit code, stdout, stderr).

    Its output is read as it comes, at most :data:`MAX_HELPER_OUTPUT` bytes of each
    stream; past that, or past ``limit`` seconds, the helper is killed with its
    process group and the run fails with one line.
    """
    deadline = time.monotonic() + limit
    try:
        process = subprocess.Popen(
            [executable, "get"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, killed as one
        )
    except (OSError, ValueError) as exc:
        raise SourceError(f"credential helper {program} failed: {one_line(str(exc))}") from None
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    try:
        with contextlib.suppress(OSError):  # BrokenPipeError: it did not read its input
            process.stdin.write(server.encode())
        with contextlib.suppress(OSError):
            process.stdin.close()
        out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        streams = {out_fd: bytearray(), err_fd: bytearray()}
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SourceError(
                        f"credential helper {program} did not answer for {server} within"
                        f" {limit:g} s (stopped)"
                    )
                for key, _ in selector.select(left):
                    fd = int(key.fd)
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        selector.unregister(fd)
                        continue
                    streams[fd] += chunk
                    if len(streams[fd]) > MAX_HELPER_OUTPUT:
                        raise SourceError(
                            f"credential helper {program} printed more than"
                            f" {MAX_HELPER_OUTPUT >> 20} MiB for {server} (stopped)"
                        )
        try:
            code = process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise SourceError(
                f"credential helper {program} did not finish for {server} within"
                f" {limit:g} s (stopped)"
            ) from None
    finally:
        if process.returncode is None:
            _kill_group(process)
        for stream in (process.stdout, process.stderr):
            stream.close()
    return code, bytes(streams[out_fd]), bytes(streams[err_fd])
