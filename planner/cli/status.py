"""Exit codes, mapped from error classes in one place (pypa/build ``main(argv) -> int``).

* 0: an image was selected (``check``: every pair passed)
* 1: no compatible image (the message lists what the index offers); ``check``: a pair failed
* 2: invalid input or usage (platform, reference, manifest, rule file, host profile, flags)
* 3: I/O or registry failure (unreadable file, missing blob, digest mismatch,
  unreachable registry, authentication refused, manifest not found, rate limited)
"""

from __future__ import annotations

from planner.model.errors import InvalidInput, NoCompatibleImage, PlannerError

__all__ = ["EXIT_INVALID", "EXIT_IO", "EXIT_NO_MATCH", "EXIT_OK", "exit_code_for"]

EXIT_OK, EXIT_NO_MATCH, EXIT_INVALID, EXIT_IO = 0, 1, 2, 3


def exit_code_for(error: PlannerError) -> int:
    """Map an error class to the documented exit code."""
    if isinstance(error, NoCompatibleImage):
        return EXIT_NO_MATCH
    if isinstance(error, InvalidInput):
        return EXIT_INVALID
    return EXIT_IO
