"""A content-addressed on-disk cache of manifests, indexes and configs.

Layout under the cache directory (``$XDG_CACHE_HOME/pull-planner`` by default)::

    blobs/sha256/<hex>          content, named by its digest; verified on every read
    tags/<sha256 of ref>        "digest" last seen for registry/repo:tag (a hint, never trusted)
    challenges/<sha256 of host> the auth scheme, realm and service a registry asked for
                                (read back only as the auth module's rules allow)

Writes go to a temporary file in the same directory and are renamed into
place, so readers (other processes included) see a whole file or none; the
directories are created ``0700`` and the files ``0600``.
Nothing secret is written: no tokens, no credentials. A file that fails its
digest check is deleted and treated as a miss.

Every read is the one safe read of :func:`planner.model.files.read_capped`: a
regular file, at most so many bytes. An entry that is anything else (a FIFO,
which would block, a link to ``/dev/zero``, which never ends, a socket, a
device) is never read: it is a miss, and its name is removed (never a directory).

A saved challenge decides where credentials may go before a registry asks, so it
is believed only as ssh believes its files (:meth:`Cache.challenges_distrusted`): the
file, the cache's directories and every directory above them belong to this
user (or root, above the cache) and nobody else may write to them (a directory
above the cache may be world-writable only with the sticky bit, as ``/tmp``). In a
cache others can write to, saved challenges are not read.
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
from planner.transport.errors import json_or_none

__all__ = ["Cache", "default_cache_dir"]

MAX_CHALLENGE_FILE = 16 << 10
MAX_TAG_FILE = 1 << 10


class _Miss(PlannerError):
    """The entry cannot be read (missing, permissions): a miss."""


class _Bad(PlannerError):
    """The entry is not a regular file, or is too large: a miss, and its name is dropped."""


def _unsafe_dir(path: Path, *, ours: bool) -> str | None:
    """Why ``path`` (a directory) lets someone else plant files, or None.

    ``ours``: a directory of the cache itself: this user's, writable by nobody else.
    Otherwise a directory above it: this user's or root's, writable by nobody else
    unless it is sticky (others may add names there but not replace ours).
    """
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        return f"{path} cannot be checked ({exc.__class__.__name__})"
    uid = os.getuid()
    owners = (uid,) if ours else (uid, 0)
    if info.st_uid not in owners:
        return f"{path} belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and (ours or not info.st_mode & stat.S_ISVTX):
        return f"{path} is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


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
        self._chain: tuple[str | None] | None = None
        """(why saved challenges are not believed, None: they are), once checked."""
        self.doubt: str | None = None
        """Why the last saved challenge asked for was not believed, if it was not."""

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
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            current = self.root
            for part in path.parent.relative_to(self.root).parts:
                current = current / part
                current.mkdir(mode=0o700, exist_ok=True)
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

    def challenges_distrusted(self) -> str | None:
        """Why saved challenges cannot be believed (someone else can write them), or None.

        Checked once per cache: the cache's directories (``challenges/`` and the
        cache itself) must be this user's and writable by nobody else, and so must
        every directory above (by path as given and as resolved), but that those
        may be root's, and world-writable when sticky.
        """
        if self._chain is None:
            self._chain = (self._check_chain(),)
        return self._chain[0]

    def _check_chain(self) -> str | None:
        root = Path(os.path.abspath(self.root))
        for directory in (root / "challenges", root):
            if os.path.lexists(directory):
                problem = _unsafe_dir(directory, ours=True)
                if problem is not None:
                    return problem
        above = set(root.parents) | set(Path(os.path.realpath(root)).parents)
        for directory in sorted(above, key=lambda p: len(p.parts), reverse=True):
            if os.path.lexists(directory):
                problem = _unsafe_dir(directory, ours=False)
                if problem is not None:
                    return problem
        return None

    def challenge(self, origin: str) -> Any:
        """The JSON saved for ``origin``, or None when there is none.

        None as well in a cache others can write to (:meth:`challenges_distrusted`),
        and for a file that is not a regular file of this user that nobody else may
        write. A file that is not JSON (or is larger than any challenge) is deleted
        and reads as none; what the JSON says is checked by the caller
        (:meth:`planner.transport.challenge.Challenge.from_saved`).
        """
        self.doubt = self.challenges_distrusted()
        if self.doubt is not None:
            return None
        path = self.root / "challenges" / _key(origin)
        try:
            info = os.lstat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(info.st_mode):
            self._drop(path)  # a link, a FIFO, a device...: not ours to believe
            return None
        if info.st_uid != os.getuid():
            self.doubt = f"{path} belongs to another user (uid {info.st_uid})"
            return None
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            self.doubt = f"{path} is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
            return None
        raw = self._read(path, MAX_CHALLENGE_FILE)
        if raw is None:
            return None
        data = json_or_none(raw)
        if data is None:
            self.drop_challenge(origin)
        return data

    def set_challenge(self, origin: str, challenge: dict[str, Any]) -> None:
        self._write(self.root / "challenges" / _key(origin), json.dumps(challenge).encode())

    def drop_challenge(self, origin: str) -> None:
        with contextlib.suppress(OSError):
            (self.root / "challenges" / _key(origin)).unlink(missing_ok=True)
