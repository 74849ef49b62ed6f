"""The platform value type: parse, format, and read from OCI JSON.

A :class:`Platform` holds the fields of the OCI image-index ``platform`` object
(``os``, ``architecture``, ``variant``, ``os.version``, ``os.features``,
``features``) exactly as given. Parsing never normalizes: ``aarch64`` stays
``aarch64`` so that it can be shown as typed. Normalization belongs to a rule
set (:meth:`planner.policy.ruleset.RuleSet.normalize`) because clients disagree on it
(containerd maps ``aarch64`` to ``arm64``; containers/image and crane do not).

Accepted syntax (Docker's platform strings and containerd ``platforms.Parse``)::

    os/arch[/variant]
    os(osversion[+feature...])/arch[/variant]     containerd >= 2.3 (platforms rc.3+)

Components are ``[A-Za-z0-9_.-]+``; the os version and features may carry
percent-escapes (``%2B`` for ``+``), as containerd's ``FormatAll`` writes them.
Unlike containerd, a lone ``linux`` or ``arm64`` is refused rather than
completed from the machine pull-planner runs on: the host is what the user
describes, never this machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from planner.model.errors import InvalidManifest, InvalidPlatform
from planner.model.record import dataclass, field, replace
from planner.model.text import listed

__all__ = ["KNOWN_ARCHITECTURES", "KNOWN_OSES", "Platform"]

# containerd/platforms database.go isKnownOS / isKnownArch (the GOOS and GOARCH
# values), plus the aliases its normalizeArch reads.
KNOWN_OSES = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "windows",
        "zos",
    ]
)
KNOWN_ARCHITECTURES = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "ppc64",
        "ppc64le",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
        "i386",
        "x86_64",
        "x86-64",
        "aarch64",
        "armhf",
        "armel",
    ]
)

_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+")
_OS = re.compile(r"([A-Za-z0-9_-]+)(?:\((.*)\))?", re.DOTALL)
_OS_SPEC_TOKEN = re.compile(r"[A-Za-z0-9_.%~-]*")
# What FormatAll leaves unescaped inside the parentheses.
_SAFE_IN_PARENS = "._-"


def _split_os_component(component: str, text: str) -> tuple[str, str, tuple[str, ...]]:
    match = _OS.fullmatch(component)
    if match is None:
        raise InvalidPlatform(
            f"invalid platform {text!r}: os component {component!r} must be 'os' or"
            " 'os(version+feature)', using letters, digits, '_' and '-'"
        )
    os_name, inside = match.group(1), match.group(2)
    if inside is None:
        return os_name, "", ()
    tokens = inside.split("+")
    for token in tokens:
        if not _OS_SPEC_TOKEN.fullmatch(token):
            raise InvalidPlatform(
                f"invalid platform {text!r}: os version/feature {token!r} may only use"
                " letters, digits, '.', '_', '-' and %-escapes"
            )
    decoded = [unquote(token) for token in tokens]
    version, features = decoded[0], decoded[1:]
    if any(not f for f in features):
        raise InvalidPlatform(f"invalid platform {text!r}: empty os feature in {component!r}")
    return os_name, version, tuple(features)


@dataclass(frozen=True)
class Platform:
    """An OCI platform: what an index entry targets, or what a host is.

    Equality and hashing use the fields only, never :attr:`display`.
    """

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    display: str = field(default="", compare=False, repr=False)
    """The text the user typed, kept for messages; empty when built from JSON."""

    @classmethod
    def parse(cls, text: str, *, default_os: str | None = None) -> Platform:
        """Parse ``os[(version+features)]/arch[/variant]``; raise InvalidPlatform.

        A known architecture alone (``arm64``) means ``default_os/arm64`` when
        ``default_os`` is given, as Docker reads it on a daemon of that OS
        (containerd ``platforms.Parse``: a known arch gets ``runtime.GOOS``);
        without it, it is an error that says how to write it.
        """
        if not isinstance(text, str):
            raise InvalidPlatform(f"platform must be a string, not {type(text).__name__}")
        if text == "":
            raise InvalidPlatform("empty platform: expected os/arch[/variant], e.g. linux/amd64")
        if "*" in text:
            raise InvalidPlatform(f"invalid platform {text!r}: wildcards are not supported")
        parts = text.split("/")
        if len(parts) > 3:
            raise InvalidPlatform(
                f"invalid platform {text!r}: too many parts ({len(parts)}), "
                "expected os/arch[/variant]"
            )
        for position, part in enumerate(parts, start=1):
            if part == "":
                raise InvalidPlatform(f"invalid platform {text!r}: component {position} is empty")
        os_name, os_version, os_features = _split_os_component(parts[0], text)
        for part in parts[1:]:
            if not _COMPONENT.fullmatch(part):
                raise InvalidPlatform(
                    f"invalid platform {text!r}: component {part!r} may only use letters,"
                    " digits, '.', '_' and '-'"
                )
        if len(parts) == 1:
            missing = "architecture"
            if os_name.lower() in KNOWN_ARCHITECTURES:
                if default_os is not None:
                    return cls(os=default_os, architecture=os_name, display=text)
                suggestion, missing = f"linux/{os_name}", "os"  # the word is an architecture
            elif os_name.lower() in KNOWN_OSES:
                suggestion = f"{os_name}/amd64"
            else:
                suggestion = "linux/amd64"
            raise InvalidPlatform(
                f"invalid platform {text!r}: missing {missing}, expected os/arch[/variant]"
                f" such as {suggestion!r}"
            )
        return cls(
            os=os_name,
            architecture=parts[1],
            variant=parts[2] if len(parts) == 3 else "",
            os_version=os_version,
            os_features=os_features,
            display=text,
        )

    @classmethod
    def from_oci(cls, obj: Any, where: str) -> Platform:
        """Read an OCI ``platform`` object (index entry or image config)."""
        if not isinstance(obj, Mapping):
            raise InvalidManifest(f"{where}: platform must be an object, not {_json_type(obj)}")
        return cls(
            os=_opt_str(obj, "os", where),
            architecture=_opt_str(obj, "architecture", where),
            variant=_opt_str(obj, "variant", where),
            os_version=_opt_str(obj, "os.version", where),
            os_features=_opt_str_list(obj, "os.features", where),
            features=_opt_str_list(obj, "features", where),
        )

    def to_oci(self) -> dict[str, Any]:
        """The OCI JSON form (``architecture``, ``os``, ``os.version``, ...)."""
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        if self.variant:
            out["variant"] = self.variant
        if self.features:
            out["features"] = list(self.features)
        return out

    def format(self) -> str:
        """Docker form ``os/arch[/variant]`` (no os.version)."""
        parts = [self.os or "unknown"]
        if self.architecture:
            parts.append(self.architecture)
            if self.variant:
                parts.append(self.variant)
        return "/".join(parts)

    def format_all(self) -> str:
        """containerd ``FormatAll`` form, including os.version and os.features."""
        os_part = self.os or "unknown"
        if self.os_version or self.os_features:
            inside = "+".join(
                quote(token, safe=_SAFE_IN_PARENS) for token in (self.os_version, *self.os_features)
            )
            os_part = f"{os_part}({inside})"
        parts = [os_part]
        if self.architecture:
            parts.append(self.architecture)
            if self.variant:
                parts.append(self.variant)
        return "/".join(parts)

    def describe(self) -> str:
        """Short human form: ``windows/amd64 10.0.17763.379`` or ``linux/arm/v7``."""
        text = self.format()
        if self.os_version:
            text += f" {self.os_version}"
        if self.os_features:
            text += " +" + listed(self.os_features, "+")
        return text

    def __str__(self) -> str:
        return self.display or self.format_all()

    def with_fields(self, **changes: Any) -> Platform:
        """A copy with some fields changed; the typed display is dropped."""
        return replace(self, display="", **changes)


def _json_type(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidManifest(
            f"{where}: platform {key!r} must be a string, not {_json_type(value)}"
        )
    return value


def _opt_str_list(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidManifest(f"{where}: platform {key!r} must be an array of strings")
    return tuple(value)
