"""The standard streams: what a failed write means, and text their encoding cannot write.

Kept apart from :mod:`planner.cli.output` (which loads the report layer) so that
``--version`` and ``--help`` import nothing else.
"""

from __future__ import annotations

import errno
import os
import sys

__all__ = ["WRITE_ERRNOS", "tolerate_encodings", "write_failure"]

WRITE_ERRNOS = frozenset(
    {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}
)
"""What a write to standard output fails with: a closed pipe, a full disk
(``/dev/full``), a quota, a closed or broken descriptor."""


def tolerate_encodings() -> None:
    """Text the streams' encoding cannot write (``PYTHONIOENCODING=ascii``, a C locale) is
    written as backslash escapes (``\\xe9``) rather than failing the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # not contextlib.suppress: importing contextlib costs 2 ms of start-up
            try:  # noqa: SIM105
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # detached, or not text after all
                pass


def write_failure(exc: OSError) -> str | None:
    """What went wrong writing the output (stdout), or None when ``exc`` is another error.

    Afterwards standard output points at the null device, so that the interpreter's
    own flush at exit neither fails again nor prints a traceback.
    """
    if exc.errno not in WRITE_ERRNOS:
        return None
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a file descriptor (tests capture)
        pass
    return exc.strerror or str(exc)
