"""Docker Compose files as workloads: each service with an ``image`` is one.

What is read, as ``docker compose pull`` reads it (the Compose specification,
``compose-spec/compose-spec`` ``spec.md``):

* ``services.NAME.image``, after interpolation: ``$VAR``, ``${VAR}``,
  ``${VAR:-default}`` / ``${VAR-default}``, ``${VAR:?error}`` / ``${VAR?error}``,
  ``${VAR:+other}`` / ``${VAR+other}``, ``$$`` for a literal ``$``; variables
  come from the environment, then from the ``.env`` file beside the compose
  file (the environment wins);
* ``services.NAME.platform`` (``linux/arm64``): the platform the service pulls
  and runs, whatever the host's (on another architecture it is pulled, then
  fails with "exec format error" unless the host emulates it);
* a service with only ``build:`` has no image to check and is listed as skipped.

The project name (the "namespace" of its workloads) is the top-level ``name``,
else the compose file's directory name, lower-cased, as Compose does.
Compose has no scheduling: every host can run every service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.app.scheduling import Placement
from planner.app.workloads_model import Container, Skipped, Workload, WorkloadError
from planner.model.errors import InvalidPlatform, InvalidReference
from planner.model.files import read_capped
from planner.model.platform import Platform
from planner.model.reference import Reference
from planner.model.yamlfile import Checker, MarkedMap

__all__ = ["KIND", "interpolate", "is_compose", "read_compose"]

KIND = "compose"
_VARIABLE = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", re.DOTALL)
MAX_DOTENV_BYTES = 1 << 20


def is_compose(document: Any) -> bool:
    """A compose file: a mapping with ``services`` and no Kubernetes ``kind``."""
    return isinstance(document, MarkedMap) and "services" in document and "kind" not in document


def interpolate(text: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with its variables substituted, and the names of unset ones (Compose: blank).

    Raises ValueError with the message of a ``${VAR:?message}`` that fails, or
    for a malformed ``${...}``.
    """
    unset: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        name, op, arg = match.group(3), None, ""
        if name is None:
            braced = _BRACED.fullmatch(match.group(2))
            if braced is None:
                raise ValueError(f"invalid interpolation {match.group(0)!r}")
            name, op, arg = braced.group(1), braced.group(2), braced.group(3) or ""
        value = environ.get(name)
        empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if empty else str(value)
        if op in (":?", "?"):
            if empty:
                raise ValueError(f"{name}: {arg or 'required variable is not set'}")
            return str(value)
        if op in (":+", "+"):
            return "" if empty else arg
        if value is None:
            unset.append(name)
            return ""
        return value

    return _VARIABLE.sub(substitute, text), unset


def _dotenv(directory: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of ``.env`` (``#`` comments, optional quotes); {} when absent."""
    path = directory / ".env"
    if not path.is_file():
        return {}
    text = read_capped(path, MAX_DOTENV_BYTES, error=WorkloadError).decode("utf-8", "replace")
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _project(document: MarkedMap, path: Path | None) -> str:
    name = document.get("name")
    if not isinstance(name, str) or not name:
        name = (path.resolve().parent if path is not None else Path.cwd()).name or "default"
    return re.sub(r"[^a-z0-9_-]", "", name.lower()) or "default"


def read_compose(
    path: Path, document: MarkedMap, environ: Mapping[str, str], *, on_disk: bool
) -> tuple[list[Workload], list[Skipped], list[str]]:
    """The services of one compose file as workloads, the skipped ones, and warnings."""
    check = Checker(path, WorkloadError)
    directory = path.resolve().parent if on_disk else Path.cwd()
    variables = {**_dotenv(directory), **environ}
    project = _project(document, path if on_disk else None)
    services = check.table(document["services"], "services", parent=document, key="services")
    workloads: list[Workload] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    for name, service in services.items():
        where = f"services.{name}"
        line, column = check.position(services, name)
        place = f"{path}:{line}:{column}"
        service = check.table(service, where, parent=services, key=name)
        if "image" not in service:
            reason = (
                "builds its image (build:), nothing to pull" if "build" in service else "no image"
            )
            skipped.append(Skipped(f"service {name}", place, reason))
            continue
        raw = check.string(service, "image", f"{where}.image", non_empty=True)
        image = _substituted(check, service, "image", f"{where}.image", raw, variables, warnings)
        try:
            reference = str(Reference.parse(image))
        except InvalidReference as exc:
            raise check.fail(
                service,
                "image",
                f"{where}.image",
                f"{image!r} is not a valid image reference: {exc}",
            ) from None
        platform = None
        if "platform" in service:
            text = check.string(service, "platform", f"{where}.platform", non_empty=True)
            text = _substituted(
                check, service, "platform", f"{where}.platform", text, variables, warnings
            )
            try:
                platform = Platform.parse(text, default_os="linux")
            except InvalidPlatform as exc:
                raise check.fail(service, "platform", f"{where}.platform", str(exc)) from None
        container = Container(
            name=str(name), image=image, reference=reference, platform=platform, place=place
        )
        workloads.append(
            Workload(KIND, project, str(name), (container,), Placement(), place, compose=True)
        )
    return workloads, skipped, warnings


def _substituted(
    check: Checker,
    node: MarkedMap,
    key: str,
    where: str,
    text: str,
    variables: Mapping[str, str],
    warnings: list[str],
) -> str:
    try:
        value, unset = interpolate(text, variables)
    except ValueError as exc:
        raise check.fail(node, key, where, str(exc)) from None
    for name in unset:
        line, column = check.position(node, key)
        warnings.append(
            f"{check.path}:{line}:{column}: {where}: the variable {name} is not set;"
            " it is a blank string (as Compose does)"
        )
    if not value:
        raise check.fail(node, key, where, f"{text!r} is empty once its variables are substituted")
    return value
