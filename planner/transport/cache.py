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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from planner.model.manifest import compute_digest, validate_digest
from planner.transport.errors import json_or_none

__all__ = ["Cache", "default_cache_dir"]

MAX_CHALLENGE_FILE = 16 << 10


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
        try:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        if len(data) > limit or compute_digest(data, digest.partition(":")[0]) != digest:
            path.unlink(missing_ok=True)
            return None
        return data

    def put(self, digest: str, data: bytes) -> None:
        """Store content already verified against ``digest``."""
        path = self._blob_path(digest)
        if not path.exists():
            self._write(path, data)

    def tag_hint(self, reference: str) -> str | None:
        try:
            text = (self.root / "tags" / _key(reference)).read_text().strip()
            return validate_digest(text, "cache")
        except (OSError, ValueError):
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
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_CHALLENGE_FILE + 1)
        except OSError:
            return None
        data = json_or_none(raw) if len(raw) <= MAX_CHALLENGE_FILE else None
        if data is None:
            self.drop_challenge(origin)
        return data

    def set_challenge(self, origin: str, challenge: dict[str, Any]) -> None:
        self._write(self.root / "challenges" / _key(origin), json.dumps(challenge).encode())

    def drop_challenge(self, origin: str) -> None:
        with contextlib.suppress(OSError):
            (self.root / "challenges" / _key(origin)).unlink(missing_ok=True)
