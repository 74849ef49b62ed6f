"""Every error pull-planner raises, in one tree.

::

    PlannerError
    ├── InvalidInput (also ValueError)        exit 2: the user gave us something malformed
    │   ├── InvalidPlatform                   a platform string or host description
    │   ├── InvalidRules                      a rule-set file (names file:line and key)
    │   ├── InvalidManifest                   a manifest, index or config document
    │   ├── InvalidReference                  an image reference (registry/repo:tag@digest)
    │   ├── InvalidSource                     a SOURCE argument we cannot interpret
    │   ├── InvalidArgument (also TypeError)  a library call's argument of the wrong type (model.arguments)
    │   ├── YamlError                         a YAML document (model.yamlfile: file:line:column)
    │   ├── InvalidProfile                    a host profile (hosts.records)
    │   │   └── InvalidInventory              a kubectl/docker/podman inventory
    │   ├── ReleaseError                      an engine release a host names (hosts.records)
    │   ├── IncludeError                      an include: of a host profile (hosts.records)
    │   ├── InvalidRegistryConfig             a registry configuration, or a pull it refuses (hosts.registries)
    │   └── WorkloadError                     a Kubernetes or Compose workload file (workloads.model)
    ├── NoCompatibleImage                     exit 1: the index offers nothing this host runs
    └── SourceError                           exit 3: reading the source failed
        ├── DigestMismatch                    content does not hash to the digest it was fetched by
        └── RegistryError(status, codes)      the registry answered with an error, or not at all
            ├── Unauthorized                  401 / UNAUTHORIZED: credentials missing or wrong
            ├── Denied                        403 / DENIED: the credentials may not pull this
            ├── NotFound                      404 / MANIFEST_UNKNOWN, NAME_UNKNOWN, BLOB_UNKNOWN
            └── RateLimited                   429 / TOOMANYREQUESTS, after retries

Messages name the bad input with ``!r`` and the rule it broke, on one line; the
CLI prints ``str(error)`` and maps the class to an exit code in one place
(:func:`planner.cli.status.exit_code_for`). Every error class the library defines is
in this tree (``tests/test_package.py`` walks the package and fails on one that is
not a PlannerError or not listed here).
"""

from __future__ import annotations

__all__ = [
    "Denied",
    "DigestMismatch",
    "InvalidInput",
    "InvalidManifest",
    "InvalidPlatform",
    "InvalidReference",
    "InvalidRules",
    "InvalidSource",
    "NoCompatibleImage",
    "NotFound",
    "PlannerError",
    "RateLimited",
    "RegistryError",
    "SourceError",
    "Unauthorized",
]


class PlannerError(Exception):
    """Base class of every error raised by pull-planner."""

    problems: tuple[str, ...] = ()
    """Every problem found, one line each, when a validator reports several at once (the
    message is then the first, and how many more); empty for an error that is its message."""


class InvalidInput(PlannerError, ValueError):
    """The input is malformed; nothing was attempted."""


class InvalidPlatform(InvalidInput):
    """A platform string or host description is not valid.

    ``field`` names the host field that is missing or wrong (``os.version``) when
    one is, so that a front end can say how to give it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidRules(InvalidInput):
    """A rule-set file is not valid. The message starts with ``file:line:``."""


class InvalidManifest(InvalidInput):
    """A manifest, image index or image config is not valid."""


class InvalidReference(InvalidInput):
    """An image reference does not follow the distribution/reference grammar."""


class InvalidSource(InvalidInput):
    """A SOURCE argument cannot be interpreted."""


class NoCompatibleImage(PlannerError):
    """No entry of the index can be pulled by the host under the rule set."""


class SourceError(PlannerError):
    """Reading from a source (file, OCI layout, registry) failed."""


class DigestMismatch(SourceError):
    """Content does not match the digest (or size) it was addressed by."""


class RegistryError(SourceError):
    """The registry answered with an error status (or could not be reached).

    ``status`` is the HTTP status (0 when there was no answer) and ``codes``
    the Distribution API error codes of the body (``MANIFEST_UNKNOWN``, ...).
    ``login`` is the registry to log in to when credentials would help; such a
    message ends with ``log in with docker login <login>``. ``rejected``: where the
    credentials the registry refused came from (they were sent, and are wrong).
    """

    def __init__(
        self,
        message: str,
        status: int = 0,
        codes: tuple[str, ...] = (),
        *,
        login: str | None = None,
        rejected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes
        self.login = login
        self.rejected = rejected


class Unauthorized(RegistryError):
    """Authentication is required, or the credentials were refused."""


class Denied(RegistryError):
    """The registry refuses access to this repository with these credentials."""


class NotFound(RegistryError):
    """The repository, manifest or blob does not exist."""


class RateLimited(RegistryError):
    """The registry kept answering 429 Too Many Requests."""
