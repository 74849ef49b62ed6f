"""Every error pull-planner raises, in one tree.

::

    PlannerError
    ├── InvalidInput (also ValueError)        exit 2: the user gave us something malformed
    │   ├── InvalidPlatform                   a platform string or host description
    │   ├── InvalidRules                      a rule-set file (names file:line and key)
    │   ├── InvalidManifest                   a manifest, index or config document
    │   └── InvalidSource                     a SOURCE argument we cannot interpret
    ├── NoCompatibleImage                     exit 1: the index offers nothing this host runs
    └── SourceError                           exit 3: reading the source failed
        └── DigestMismatch                    content does not hash to the digest it was fetched by

Messages name the bad input with ``!r`` and the rule it broke, on one line; the
CLI prints ``str(error)`` and maps the class to an exit code in one place
(:func:`planner.cli.exit_code_for`).
"""

from __future__ import annotations

__all__ = [
    "DigestMismatch",
    "InvalidInput",
    "InvalidManifest",
    "InvalidPlatform",
    "InvalidRules",
    "InvalidSource",
    "NoCompatibleImage",
    "PlannerError",
    "SourceError",
]


class PlannerError(Exception):
    """Base class of every error raised by pull-planner."""


class InvalidInput(PlannerError, ValueError):
    """The input is malformed; nothing was attempted."""


class InvalidPlatform(InvalidInput):
    """A platform string or host description is not valid."""


class InvalidRules(InvalidInput):
    """A rule-set file is not valid. The message starts with ``file:line:``."""


class InvalidManifest(InvalidInput):
    """A manifest, image index or image config is not valid."""


class InvalidSource(InvalidInput):
    """A SOURCE argument cannot be interpreted."""


class NoCompatibleImage(PlannerError):
    """No entry of the index can be pulled by the host under the rule set."""


class SourceError(PlannerError):
    """Reading from a source (file, OCI layout, registry) failed."""


class DigestMismatch(SourceError):
    """Content does not match the digest (or size) it was addressed by."""
