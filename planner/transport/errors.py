"""Registry answers as one-line errors that say what happened and what to do."""

from __future__ import annotations

import http

from planner.model.errors import Denied, NotFound, RateLimited, RegistryError, Unauthorized
from planner.model.reference import Reference

__all__ = ["registry_error"]


def registry_error(
    status: int, codes: tuple[str, ...], messages: list[str], ref: Reference, what: str
) -> RegistryError:
    """A one-line error that says what happened and what to do."""
    registry = ref.registry
    generic = {code.replace("_", " ").lower() for code in codes}
    useful = [
        m for m in messages if m.strip().lower() not in generic
    ]  # not "manifest unknown" again
    detail = f" ({'; '.join(useful)})" if useful else ""
    login = f"log in with docker login {registry}"
    if status == 401 or "UNAUTHORIZED" in codes:
        return Unauthorized(
            f"unauthorized: {registry} requires authentication for {ref.repository}{detail}"
            f" (some registries also answer this for repositories that do not exist); {login}",
            status,
            codes,
            login=registry,
        )
    if status == 403 or "DENIED" in codes:
        return Denied(
            f"denied: {registry} refused access to {ref.repository}{detail}; {login}",
            status,
            codes,
            login=registry,
        )
    if "NAME_UNKNOWN" in codes:
        return NotFound(
            f"repository {ref.repository} not found on {registry}{detail}", status, codes
        )
    if "MANIFEST_UNKNOWN" in codes or (status == 404 and what.startswith("manifest ")):
        return NotFound(
            f"manifest unknown: {what.removeprefix('manifest ')} not found on {registry}{detail};"
            " check the repository, tag or digest",
            status,
            codes,
        )
    if "BLOB_UNKNOWN" in codes or status == 404:
        return NotFound(f"{what} not found on {registry}{detail}", status, codes)
    if status == 429 or "TOOMANYREQUESTS" in codes:
        return RateLimited(
            f"too many requests: {registry} is rate-limiting{detail}; try again later;"
            f" for a higher limit, {login}",
            status,
            codes,
            login=registry,
        )
    try:
        reason = http.HTTPStatus(status).phrase if status else "no answer"
    except ValueError:
        reason = ""
    return RegistryError(f"{registry} answered {status} {reason} for {what}{detail}", status, codes)
