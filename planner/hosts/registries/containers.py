"""containers ``registries.conf`` (version 2), its ``registries.conf.d`` drop-ins and
short-name aliases (``shortnames.conf`` is one such drop-in): podman, buildah, skopeo, CRI-O.

What containers/image does with them (pkg/sysregistriesv2/system_registries_v2.go,
pkg/shortnames/shortnames.go, docker/docker_image_src.go; v5.21 to v5.36):

* files: ``registries.conf``, then ``registries.conf.d/*.conf`` in lexical order; a later
  ``[[registry]]`` with the same ``prefix`` replaces the earlier whole, a later
  ``unqualified-search-registries`` or ``short-name-mode`` replaces the earlier,
  ``[aliases]`` merge (later wins). Here the drop-ins are the ``registries.conf.d``
  directory next to the file (or in the directory given);
* a reference takes the ``[[registry]]`` with the longest matching ``prefix`` (the match
  ends at ``/``, ``:``, ``@`` or the end; ``*.example.com`` matches subdomains); each
  source is ``location`` + what follows the prefix: its mirrors in file order (those that
  ``pull-from-mirror`` allows: ``all``, ``digest-only``, ``tag-only``; none for a tag under
  ``mirror-by-digest-only``), then the primary;
* a short name (no ``.`` or ``:`` in the first component, not ``localhost``) is an alias,
  else each ``unqualified-search-registries`` entry in order; with more than one,
  ``short-name-mode = "enforcing"`` refuses without a terminal, as here;
* a ``blocked`` registry fails its source, and the next source is tried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.hosts.registries.records import (
    Hop,
    InvalidRegistryConfig,
    Origin,
    RegistryConfig,
    Route,
    endpoint_of,
    split_url,
)
from planner.hosts.registries.tomlfile import TomlFile
from planner.model.errors import InvalidReference
from planner.model.record import dataclass
from planner.model.reference import DOCKER_HUB, DOCKER_HUB_API, Reference

__all__ = ["FORMAT", "ContainersRegistries", "looks_like_registries_conf"]

FORMAT = "containers registries.conf"
_TOP_KEYS = (
    "unqualified-search-registries",
    "short-name-mode",
    "registry",
    "aliases",
    "credential-helpers",
    "additional-layer-store-auth-helper",
)
_REGISTRY_KEYS = ("prefix", "location", "insecure", "blocked", "mirror-by-digest-only", "mirror")
_MIRROR_KEYS = ("location", "insecure", "pull-from-mirror")
_PULL_FROM_MIRROR = ("all", "digest-only", "tag-only")
_MODES = ("enforcing", "permissive", "disabled")


def looks_like_registries_conf(data: dict[str, Any]) -> bool:
    return any(
        k in data
        for k in (
            "unqualified-search-registries",
            "registry",
            "aliases",
            "short-name-mode",
            "registries",
        )
    )


@dataclass(frozen=True)
class _Mirror:
    location: str
    insecure: bool
    pull_from: str
    origin: Origin


@dataclass(frozen=True)
class _Registry:
    prefix: str
    location: str
    insecure: bool
    blocked: bool
    digest_only: bool
    mirrors: tuple[_Mirror, ...]
    origin: Origin


class ContainersRegistries(RegistryConfig):
    """``registries.conf`` with its drop-ins, merged as containers/image merges them."""

    kind = "registries.conf"
    format = "registries-conf"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        if path.is_dir():
            main = path / "registries.conf"
            files = [main] if main.is_file() else []
            dropins = path / "registries.conf.d"
        else:
            files = [path]
            dropins = path.parent / "registries.conf.d"
        if dropins.is_dir():
            files += sorted(p for p in dropins.iterdir() if p.suffix == ".conf" and p.is_file())
        if not files:
            raise InvalidRegistryConfig(f"{path}: as {FORMAT}: no registries.conf and no drop-ins")
        self.files = tuple(files)
        self.registries: dict[str, _Registry] = {}
        self.search: tuple[str, ...] = ()
        self.search_origin: Origin | None = None
        self.mode = "permissive"
        self.mode_origin: Origin | None = None
        self.aliases: dict[str, tuple[str, Origin]] = {}
        for file in files:
            self._read(TomlFile(file, FORMAT))

    # ------------------------------------------------------------------ reading

    def _read(self, toml: TomlFile) -> None:
        data = toml.data
        if "registries" in data:
            raise toml.fail(
                "registries",
                "",
                "registries",
                "version 1 syntax ([registries.search]); write version 2 ([[registry]], unqualified-search-registries)",
            )
        for key in data:
            if key not in _TOP_KEYS:
                raise toml.fail(key, "", key, f"unknown key (known: {', '.join(_TOP_KEYS)})")
        if "unqualified-search-registries" in data:
            value = data["unqualified-search-registries"]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise toml.fail(
                    "unqualified-search-registries",
                    "",
                    "unqualified-search-registries",
                    "must be a list of registry names",
                )
            for v in value:
                if "/" in v or "://" in v:
                    raise toml.fail(
                        "unqualified-search-registries",
                        "",
                        "unqualified-search-registries",
                        f"{v!r} is not a registry host (no scheme, no path)",
                    )
            self.search = tuple(value)
            self.search_origin = toml.origin("unqualified-search-registries")
        if "short-name-mode" in data:
            mode = data["short-name-mode"]
            if mode not in _MODES:
                raise toml.fail(
                    "short-name-mode",
                    "",
                    "short-name-mode",
                    f"{mode!r} is not one of: {', '.join(_MODES)}",
                )
            self.mode = mode
            self.mode_origin = toml.origin("short-name-mode")
        aliases = data.get("aliases", {})
        if not isinstance(aliases, dict):
            raise toml.fail(
                "aliases", "", "aliases", "must be a table of short name = qualified name"
            )
        for short, target in aliases.items():
            where = f"aliases.{short}"
            if (
                not isinstance(target, str)
                or _is_short(target)
                or ":" in target.rsplit("/", 1)[-1]
                or "@" in target
            ):
                raise toml.fail(
                    short,
                    "aliases",
                    where,
                    f"{target!r} must be a qualified name without tag or digest (such as docker.io/library/alpine)",
                )
            if not _is_short(short):
                raise toml.fail(
                    short, "aliases", where, "an alias must be a short name (no registry host)"
                )
            self.aliases[short] = (target, toml.origin(short, "aliases"))
        registries = data.get("registry", [])
        if not isinstance(registries, list):
            raise toml.fail("registry", "", "registry", "must be [[registry]] tables")
        for i, table in enumerate(registries):
            entry = self._registry(toml, table, i)
            self.registries[entry.prefix] = entry

    def _registry(self, toml: TomlFile, table: Any, i: int) -> _Registry:
        where = f"registry[{i}]"
        for key in table:
            if key == "pull-from-mirror":
                raise toml.fail(
                    key,
                    "registry",
                    f"{where}.{key}",
                    "belongs in [[registry.mirror]], not in [[registry]]",
                    i,
                )
            if key not in _REGISTRY_KEYS:
                raise toml.fail(
                    key,
                    "registry",
                    f"{where}.{key}",
                    f"unknown key (known: {', '.join(_REGISTRY_KEYS)})",
                    i,
                )
        location = table.get("location", "")
        prefix = table.get("prefix", location)
        if not isinstance(location, str) or not isinstance(prefix, str):
            raise toml.fail("location", "registry", where, "prefix and location must be strings", i)
        if not prefix:
            raise toml.fail(None, "registry", where, "needs a prefix or a location", i)
        if "://" in location:
            raise toml.fail(
                "location",
                "registry",
                f"{where}.location",
                f"{location!r}: a location has no scheme (insecure = true allows http)",
                i,
            )
        if prefix.startswith("*.") and location:
            raise toml.fail(
                "location",
                "registry",
                f"{where}.location",
                "a wildcard prefix takes no location",
                i,
            )
        flags = {}
        for key in ("insecure", "blocked", "mirror-by-digest-only"):
            value = table.get(key, False)
            if not isinstance(value, bool):
                raise toml.fail(key, "registry", f"{where}.{key}", "must be true or false", i)
            flags[key] = value
        mirrors = []
        for j, mirror in enumerate(table.get("mirror", [])):
            at = f"{where}.mirror[{j}]"
            origin = _mirror_origin(toml, i, j) or toml.origin(None, "registry", i)
            for key in mirror:
                if key not in _MIRROR_KEYS:
                    raise InvalidRegistryConfig(
                        f"{origin}: as {FORMAT}: {at}.{key}: unknown key (known: {', '.join(_MIRROR_KEYS)})"
                    )
            loc = mirror.get("location", "")
            if not isinstance(loc, str) or not loc:
                raise InvalidRegistryConfig(
                    f"{origin}: as {FORMAT}: {at}.location: must be a registry location"
                )
            if "://" in loc:
                raise InvalidRegistryConfig(
                    f"{origin}: as {FORMAT}: {at}.location: {loc!r}: a location has no scheme (insecure = true allows http)"
                )
            pull_from = mirror.get("pull-from-mirror", "all")
            if pull_from not in _PULL_FROM_MIRROR:
                raise InvalidRegistryConfig(
                    f"{origin}: as {FORMAT}: {at}.pull-from-mirror: {pull_from!r} is not one of: {', '.join(_PULL_FROM_MIRROR)}"
                )
            if flags["mirror-by-digest-only"] and "pull-from-mirror" in mirror:
                raise InvalidRegistryConfig(
                    f"{origin}: as {FORMAT}: {at}.pull-from-mirror: cannot be combined with mirror-by-digest-only (containers/image refuses it)"
                )
            insecure = mirror.get("insecure", flags["insecure"])
            if not isinstance(insecure, bool):
                raise InvalidRegistryConfig(
                    f"{origin}: as {FORMAT}: {at}.insecure: must be true or false"
                )
            mirrors.append(_Mirror(loc, insecure, pull_from, origin))
        return _Registry(
            prefix=prefix,
            location=location if location or prefix.startswith("*.") else prefix,
            insecure=flags["insecure"],
            blocked=flags["blocked"],
            digest_only=flags["mirror-by-digest-only"],
            mirrors=tuple(mirrors),
            origin=toml.origin("prefix" if "prefix" in table else "location", "registry", i),
        )

    # ------------------------------------------------------------------ matching

    def find(self, name: str) -> _Registry | None:
        """``FindRegistry``: the longest prefix that matches ``name`` (a reference string)."""
        best: _Registry | None = None
        for prefix, entry in self.registries.items():
            if prefix.startswith("*."):
                host = name.split("/", 1)[0]
                matched = host.endswith(prefix[1:])
            else:
                matched = name.startswith(prefix) and (
                    len(name) == len(prefix) or name[len(prefix)] in "/:@" or prefix.endswith("/")
                )
            if matched and (best is None or len(prefix) > len(best.prefix)):
                best = entry
        return best

    def qualify(self, text: str, mode: str = "config") -> tuple[list[str], str]:
        """The qualified names a reference stands for, and how (an alias, the search list);
        ``mode`` the engine's own short-name mode (``config``: the file's)."""
        name, suffix = _split(text)
        if not _is_short(name):
            return [text], ""
        if name in self.aliases:
            target, origin = self.aliases[name]
            return [target + suffix], f"short name {name!r} is an alias for {target} ({origin})"
        if not self.search:
            raise InvalidRegistryConfig(
                f"{self.path}: as {FORMAT}: short name {name!r} did not resolve to an alias and no"
                " unqualified-search-registries are defined"
            )
        candidates = [f"{registry}/{name}{suffix}" for registry in self.search]
        mode = self.mode if mode == "config" else mode
        if len(candidates) > 1 and mode == "enforcing":
            where = self.mode_origin if self.mode == "enforcing" and self.mode_origin else self.path
            raise InvalidRegistryConfig(
                f"{where}: as {FORMAT}: short name {name!r} is ambiguous under"
                f" short-name-mode enforcing ({', '.join(self.search)}); the engine refuses it"
                " without a terminal: write the full name or add an alias"
            )
        how = f"short name {name!r} searched in {', '.join(self.search)} ({self.search_origin})"
        return candidates, how

    def route(self, text: str, *, short_name_mode: str = "config") -> Route:
        candidates, how = self.qualify(text, short_name_mode)
        hops: list[Hop] = []
        first: Reference | None = None
        blocked: list[str] = []
        for candidate in candidates:
            ref = Reference.parse(candidate)
            first = first or ref
            for hop in self._sources(ref):
                if hop.blocked:
                    blocked.append(f"{hop.name} ({hop.origin})")
                else:
                    hops.append(hop)
        if not hops:
            raise InvalidRegistryConfig(
                f"{blocked[0].rsplit('(', 1)[-1].rstrip(')') if blocked else self.path}: as {FORMAT}:"
                f" {text}: every source is blocked: {', '.join(blocked)}"
            )
        assert first is not None
        return Route(first, tuple(hops), str(self.path), how)

    def _sources(self, ref: Reference) -> list[Hop]:
        """``PullSourcesFromReference``: mirrors, then the primary location."""
        name = ref.name
        entry = self.find(name)
        if entry is None:
            return [self._hop(name, ref, mirror=False, insecure=False, origin=None, blocked=False)]
        rest = name[len(entry.prefix) :] if not entry.prefix.startswith("*.") else ""
        out = []
        for m in entry.mirrors:
            target = m.location + rest
            other = self.find(target)
            hop = self._hop(
                target,
                ref,
                mirror=True,
                insecure=m.insecure,
                origin=m.origin,
                blocked=bool(other and other.blocked and other is not entry),
            )
            tags = m.pull_from in ("all", "tag-only") and not entry.digest_only
            digests = m.pull_from in ("all", "digest-only")
            out.append(Hop(**{**hop.__dict__, "tags": tags, "digests": digests}))
        primary = (entry.location + rest) if entry.location else name
        out.append(
            self._hop(
                primary,
                ref,
                mirror=False,
                insecure=entry.insecure,
                origin=entry.origin,
                blocked=entry.blocked,
            )
        )
        return out

    @staticmethod
    def _hop(
        name: str,
        ref: Reference,
        *,
        mirror: bool,
        insecure: bool,
        origin: Origin | None,
        blocked: bool,
    ) -> Hop:
        try:
            asked = Reference.parse(name)
        except InvalidReference as exc:
            raise InvalidRegistryConfig(
                f"{origin}: as {FORMAT}: {name!r} is not a valid name: {exc}"
            ) from None
        scheme = "http" if insecure else "https"
        host = DOCKER_HUB_API if asked.registry == DOCKER_HUB else asked.registry
        split_url(f"{scheme}://{host}")
        return Hop(
            endpoint=endpoint_of(host, scheme),
            scheme=scheme,
            repository=asked.repository,
            registry=asked.registry,
            mirror=mirror,
            origin=origin,
            blocked=blocked,
        )


def _mirror_origin(toml: TomlFile, registry: int, mirror: int) -> Origin | None:
    """The line of the ``mirror``-th ``[[registry.mirror]]`` under the ``registry``-th ``[[registry]]``."""
    count_r, count_m = -1, -1
    for number, line in enumerate(toml.lines, 1):
        text = line.strip().replace(" ", "")
        if text.startswith("[[registry]]"):
            count_r, count_m = count_r + 1, -1
        elif text.startswith("[[registry.mirror]]") and count_r == registry:
            count_m += 1
            if count_m == mirror:
                return Origin(toml.path, number, line.index("[") + 1)
    return None


def _is_short(name: str) -> bool:
    first, sep, _ = name.partition("/")
    return not sep or not ("." in first or ":" in first or first == "localhost")


def _split(text: str) -> tuple[str, str]:
    """A reference string's name and its ``:tag``/``@digest`` suffix."""
    name, at, digest = text.partition("@")
    suffix = f"@{digest}" if at else ""
    head, colon, tag = name.rpartition(":")
    if colon and "/" not in tag:
        return head, f":{tag}{suffix}"
    return name, suffix
