"""A content-addressed on-disk cache of manifests, indexes and configs.

Layout under the cache directory (``$XDG_CACHE_HOME/pull-planner`` by default)::

    blobs/sha256/<hex>          content, named by its digest; verified on every read
    tags/<sha256 of ref>        "digest" last seen for registry/repo:tag (a hint, never trusted)
    challenges/<sha256 of host> the auth scheme, realm and service a registry asked for
                                (read back only as the auth module's rules allow)

Writes go to a temporary file in the same directory and are renamed into
place, so readers (other processes included) see a whole file or none.
Nothing secret is written: no tokens, no credentials. A file that fails its
digest check is deleted and treated as a miss.

Every read is the one safe read of :func:`planner.model.files.read_capped`: a
regular file, at most so many bytes. An entry that is anything else (a FIFO,
which would block, a link to ``/dev/zero``, which never ends, a socket, a
device) is never read: it is a miss, and its name is removed (never a directory).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from planner.model.errors import PlannerError
from planner.model.files import read_capped
from planner.model.manifest import compute_digest, validate_digest

__all__ = ["Cache", "default_cache_dir"]

MAX_CHALLENGE_FILE = 16 << 10
MAX_TAG_FILE = 1 << 10


class _Miss(PlannerError):
    """The entry cannot be read (missing, permissions): a miss."""


class _Bad(PlannerError):
    """The entry is not a regular file, or is too large: a miss, and its name is dropped."""


def default_cache_dir(env: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/pull-planner``, else ``~/.cache/pull-planner``."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "pull-planner"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Cache:
    """Content by digest, plus small hints; safe to share between processes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _blob_path(self, digest: str) -> Path:
        algorithm, _, encoded = validate_digest(digest, "cache").partition(":")
        return self.root / "blobs" / algorithm / encoded

    @staticmethod
    def _read(path: Path, limit: int) -> bytes | None:
        """At most ``limit`` bytes of the regular file ``path``; None for anything else.

        A name that is not a regular file or is too large is removed (unless it
        is a directory); nothing at it is ever opened for reading but a regular file.
        """
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # not even opened: a device may act on open
                raise _Bad("not a regular file")
            return read_capped(path, limit, error=_Miss, invalid=_Bad)
        except (OSError, ValueError, _Miss):
            return None
        except _Bad:
            Cache._drop(path)
            return None

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(OSError, ValueError):
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                path.unlink()

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            # A cache that cannot be written is a slower run, not a failure.
            pass

    def get(self, digest: str, limit: int) -> bytes | None:
        """Content for ``digest`` if cached and intact."""
        path = self._blob_path(digest)
        data = self._read(path, limit)
        if data is not None and compute_digest(data, digest.partition(":")[0]) != digest:
            self._drop(path)
            return None
        return data

    def put(self, digest: str, data: bytes) -> None:
        """Store content already verified against ``digest``."""
        path = self._blob_path(digest)
        if not path.exists():
            self._write(path, data)

    def tag_hint(self, reference: str) -> str | None:
        raw = self._read(self.root / "tags" / _key(reference), MAX_TAG_FILE)
        try:
            return validate_digest(raw.decode("ascii").strip(), "cache") if raw else None
        except ValueError:  # also UnicodeDecodeError
            return None

    def set_tag_hint(self, reference: str, digest: str) -> None:
        self._write(self.root / "tags" / _key(reference), digest.encode())

    def challenge(self, origin: str) -> Any:
        """The JSON saved for ``origin``, or None when there is none.

        A file that is not JSON (or is larger than any challenge) is deleted
        and reads as none; what the JSON says is checked by the caller
        (:meth:`planner.transport.challenge.Challenge.from_saved`).
        """
        path = self.root / "challenges" / _key(origin)
        raw = self._read(path, MAX_CHALLENGE_FILE)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            self.drop_challenge(origin)
            return None

    def set_challenge(self, origin: str, challenge: dict[str, Any]) -> None:
        self._write(self.root / "challenges" / _key(origin), json.dumps(challenge).encode())

    def drop_challenge(self, origin: str) -> None:
        with contextlib.suppress(OSError):
            (self.root / "challenges" / _key(origin)).unlink(missing_ok=True)
