"""Reading local files the one safe way: regular files only, capped, one-line errors.

Every file pull-planner reads (saved manifests, OCI layout files and blobs, rule
files, host profiles, digest lists) goes through :func:`read_capped`:

* only a regular file is read: a FIFO, a device (``/dev/zero``), a socket or a
  directory is refused before a byte is read, so a read never blocks or runs
  forever (the file is opened non-blocking, then checked with ``fstat``; a
  symlink is followed to what it names and judged by that);
* at most ``limit`` bytes are read; a larger file is an error, not a truncation;
* every OS error (missing, permission, a name over 255 bytes, a loop of
  symlinks) is one line naming the file.

:func:`path_kind` answers "what is at this path?" without raising, for callers
that decide what a SOURCE argument names.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Literal

from planner.model.errors import InvalidInput, PlannerError

__all__ = ["PathKind", "path_kind", "read_capped", "read_stdin"]

PathKind = Literal["file", "directory", "missing", "other", "unreadable"]


def path_kind(path: Path) -> PathKind:
    """What ``path`` is: a regular file, a directory, nothing, something else, or unreadable."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except NotADirectoryError:
        return "missing"
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "missing"
        return "unreadable"
    except ValueError:  # an embedded NUL byte
        return "unreadable"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    return "other"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return (exc.strerror or str(exc)).lower()


def read_capped(
    path: Path,
    limit: int,
    *,
    error: type[PlannerError] = InvalidInput,
    invalid: type[PlannerError] | None = None,
    what: str | None = None,
) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``.

    Problems raise ``error('<file>: problem')`` when the file cannot be read
    (missing, permissions, name too long) and ``invalid`` (default: ``error``)
    when it is not a regular file or is larger than ``limit``. ``what`` names
    the file in messages (default: the path).
    """
    name = what or str(path)
    invalid = invalid or error
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{name}: no such file or directory") from None
    except OSError as exc:
        raise error(f"{name}: cannot read: {_reason(exc)}") from None
    except ValueError:
        raise invalid(f"{name}: invalid file name") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise invalid(f"{name}: is {kind}; only regular files are read")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"{name}: cannot read: {_reason(exc)}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise invalid(f"{name}: more than the {limit}-byte limit")
    return b"".join(chunks)


def read_stdin(limit: int, what: str, *, line: bool = False) -> bytes:
    """At most ``limit`` bytes of standard input (``line``: its first line), for ``what``.

    A closed standard input (``<&-``: Python has no ``sys.stdin``) is
    :class:`InvalidInput`, as an empty one is to the callers; a read that fails
    (standard input is a directory, an I/O error) is :class:`SourceError`.
    """
    from planner.model.errors import SourceError

    stream = sys.stdin
    if stream is None:
        raise InvalidInput(f"{what}: standard input is closed")
    try:
        binary = stream.buffer
        return binary.readline(limit) if line else binary.read(limit)
    except AttributeError:  # a text stream without bytes under it (an embedding, a test)
        text = stream.readline(limit) if line else stream.read(limit)
        return text.encode("utf-8", "surrogateescape")
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed in Python
        reason = _reason(exc) if isinstance(exc, OSError) else "closed"
        raise SourceError(f"{what}: cannot read standard input: {reason}") from None
