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
* a service with ``profiles:`` none of which ``COMPOSE_PROFILES`` turns on is
  not started, so not checked (``profiles.md``; ``*`` turns on every one);
* a service with neither ``image`` nor ``build`` is an error, as for Compose;
* a service with only ``build:``, or with ``build:`` and ``pull_policy: build``
  (Compose builds the image, even when it names one: ``services.md``), has no
  image to pull and is listed as skipped.

The project name (the "namespace" of its workloads) is the top-level ``name``,
else the compose file's directory name, lower-cased, as Compose does.
Compose has no scheduling: every host can run every service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from planner.model.errors import InvalidPlatform, InvalidReference
from planner.model.files import read_capped
from planner.model.platform import Platform
from planner.model.reference import Reference
from planner.model.text import one_line
from planner.model.yamlfile import MIN_EXPANSION, Checker, MarkedMap, expansion_limit
from planner.workloads.interpolation import Budget, interpolate
from planner.workloads.model import Container, Skipped, Workload, WorkloadError
from planner.workloads.scheduling import Placement

__all__ = ["KIND", "interpolate", "is_compose", "read_compose"]

KIND = "compose"
MAX_DOTENV_BYTES = 1 << 20


def is_compose(document: Any) -> bool:
    """A compose file: a mapping with ``services`` and no Kubernetes ``kind``."""
    return isinstance(document, MarkedMap) and "services" in document and "kind" not in document


_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPES.update({"c": "\\c", "$": "$$", '"': '"', "\\": "\\"})
_SPACE = re.compile(r"\s*")
_STATEMENT = re.compile(r"(?:export[ \t]+)?[ \t]*([A-Za-z0-9_.\[\]-]*)[ \t]*([=:\n]|\Z)[ \t]*")
_UNQUOTED = re.compile(r"[^\n]*")


def _unescape(match: re.Match[str]) -> str:
    """compose-go ``dotenv.expandEscapes`` for one escape (``\\$`` stays a literal ``$``;
    ``\\0`` and three octal digits is that byte; other text stays as it is)."""
    body = match.group(0)[1:]
    if body[0] != "0":
        return _ESCAPES[body]
    digits = body[1:]
    if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) < 256:
        return chr(int(digits, 8))
    return "\\" + digits


def _dotenv(
    directory: Path, environ: Mapping[str, str], budget: Budget | None = None
) -> dict[str, str]:
    """The ``.env`` file beside the compose file, as compose-go's ``dotenv`` parser reads it.

    ``KEY=VALUE`` or ``KEY: VALUE``, an optional ``export``, ``#`` comment
    lines; an unquoted value ends at the line's end or at `` #`` (a comment);
    ``'single'`` quotes are literal; ``"double"`` quotes take escapes
    (``\\n``, ``\\"``…); unquoted and double-quoted values are interpolated
    from the environment, then the lines above; a line with a key alone takes
    the environment's value. {} when there is no ``.env``. What the values
    expand to is charged to ``budget``, which the file's size raises
    (:func:`~planner.model.yamlfile.expansion_limit`).
    """
    path = directory / ".env"
    if not path.is_file():
        return {}
    text = read_capped(path, MAX_DOTENV_BYTES, error=WorkloadError).decode("utf-8", "replace")
    budget = budget or Budget(MIN_EXPANSION)
    budget.allow(expansion_limit(len(text)))
    values: dict[str, str] = {}
    lookup = _Layered(environ, values)
    at = 0
    while True:
        at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
        if at >= len(text):
            return values
        start = at
        if text[at] == "#":
            at = _UNQUOTED.match(text, at).end()  # type: ignore[union-attr]
            continue
        statement = _STATEMENT.match(text, at)
        if statement is None or not statement.group(1):
            raise WorkloadError(
                one_line(f"{_line(path, text, at)}: unexpected character in a variable name")
            )
        key, sep = statement.group(1), statement.group(2)
        at = statement.end()
        if sep in ("\n", ""):  # a key alone: the environment's value, if any
            if key in environ:
                values[key] = environ[key]
            continue
        if text[at : at + 1] in ("'", '"'):
            value, at = _quoted(path, text, at)
            if text[at - 1] == '"':
                value = _env_value(path, text, start, value, lookup, budget)
            values[key] = value
            continue
        end = _UNQUOTED.match(text, at).end()  # type: ignore[union-attr]
        raw = text[at:end].split(" #", 1)[0].rstrip()
        values[key] = _env_value(path, text, start, raw, lookup, budget)
        at = end


def _line(path: Path, text: str, at: int) -> str:
    """``path:line`` of ``text[at]`` (counted only for a message)."""
    return f"{path}:{text.count(chr(10), 0, at) + 1}"


def _quoted(path: Path, text: str, at: int) -> tuple[str, int]:
    """The quoted value starting at ``text[at]`` (its text and where it ends); a
    backslash keeps the quote, and stays before any other character."""
    quote, escaped = text[at], False
    chars: list[str] = []
    for i in range(at + 1, len(text)):
        char = text[i]
        if char == quote and not escaped:
            body = "".join(chars)
            return (_ESCAPE.sub(_unescape, body) if quote == '"' else body), i + 1
        if char == "\\" and not escaped:
            escaped = True
            continue
        if escaped and char != quote:
            chars.append("\\")
        escaped = False
        chars.append(char)
    raise WorkloadError(one_line(f"{_line(path, text, at)}: an unterminated quoted value"))


def _env_value(
    path: Path, text: str, at: int, raw: str, lookup: Mapping[str, str], budget: Budget
) -> str:
    try:
        return interpolate(raw, lookup, budget)[0]
    except ValueError as exc:
        raise WorkloadError(one_line(f"{_line(path, text, at)}: {exc}")) from None


class _Layered(Mapping[str, str]):
    """The environment first, then the values read so far (compose-go ``expandVariables``)."""

    def __init__(self, first: Mapping[str, str], second: Mapping[str, str]) -> None:
        self.first, self.second = first, second

    def __getitem__(self, key: str) -> str:
        return self.first[key] if key in self.first else self.second[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.second, **self.first})

    def __len__(self) -> int:
        return len({**self.second, **self.first})


def _project(
    check: Checker,
    document: MarkedMap,
    path: Path | None,
    variables: Mapping[str, str],
    budget: Budget,
) -> str:
    """``COMPOSE_PROJECT_NAME``, else the top-level ``name`` (interpolated, as every
    value is), else the directory's name, normalized as compose-go
    ``loader.NormalizeProjectName`` does."""
    name = variables.get("COMPOSE_PROJECT_NAME") or document.get("name")
    if isinstance(name, str) and name and name == document.get("name"):
        try:
            name = interpolate(name, variables, budget)[0]
        except ValueError as exc:
            raise check.fail(document, "name", "name", str(exc)) from None
    if not isinstance(name, str) or not name:
        name = (path.resolve().parent if path is not None else Path.cwd()).name
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-") or "default"


def read_compose(
    path: Path, document: MarkedMap, environ: Mapping[str, str], *, on_disk: bool
) -> tuple[list[Workload], list[Skipped], list[str]]:
    """The services of one compose file as workloads, the skipped ones, and warnings."""
    check = Checker(path, WorkloadError)
    directory = path.resolve().parent if on_disk else Path.cwd()
    budget = Budget(MIN_EXPANSION)
    variables = {**_dotenv(directory, environ, budget), **environ}
    project = _project(check, document, path if on_disk else None, variables, budget)
    services = check.table(document["services"], "services", parent=document, key="services")
    workloads: list[Workload] = []
    skipped: list[Skipped] = []
    warnings: list[str] = []
    for name, service in services.items():
        where = f"services.{name}"
        line, column = check.position(services, name)
        place = f"{path}:{line}:{column}"
        service = check.table(service, where, parent=services, key=name)
        if "image" not in service and "build" not in service:
            raise check.fail(
                services,
                name,
                where,
                "has neither an image nor a build context (Compose refuses it)",
            )
        profiles = check.strings(service, "profiles", f"{where}.profiles")
        active = {p.strip() for p in variables.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
        if profiles and not (set(profiles) & active or "*" in active):
            listed = ", ".join(profiles)
            reason = f"in profiles {listed}, none active (COMPOSE_PROFILES)"
            skipped.append(Skipped(f"service {name}", place, reason))
            continue
        if "image" not in service or ("build" in service and service.get("pull_policy") == "build"):
            reason = "no image"
            if "build" in service:
                how = "pull_policy: build" if "image" in service else "build:"
                reason = f"builds its image ({how}), nothing to pull"
            skipped.append(Skipped(f"service {name}", place, reason))
            continue
        raw = check.string(service, "image", f"{where}.image", non_empty=True)
        image = _substituted(
            check, service, "image", f"{where}.image", raw, variables, budget, warnings
        )
        try:
            reference = Reference.parse(image).pulled()
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
                check, service, "platform", f"{where}.platform", text, variables, budget, warnings
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
    budget: Budget,
    warnings: list[str],
) -> str:
    try:
        value, unset = interpolate(text, variables, budget)
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
