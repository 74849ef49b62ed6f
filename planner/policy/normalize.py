"""Normalization mechanism: apply a rule set's alias tables to a platform.

The tables themselves live in ``rules/*.yaml`` (``normalize.host`` and
``normalize.candidates``). The order of operations is containerd's
(``database.go`` ``normalizeOS`` / ``normalizeArch``):

1. lower-case os, architecture and variant (when ``lowercase`` is set);
2. map the os through ``os`` (``macos`` -> ``darwin``);
3. map the architecture through ``architecture``; an alias may also force the
   variant (``armhf`` -> ``arm/v7`` even when a variant was given, ``i386`` ->
   ``386`` with the variant cleared);
4. map the variant through ``variant[<architecture>]`` (``arm64/v8`` ->
   ``arm64``, ``arm`` -> ``arm/v7``, ``amd64/v1`` -> ``amd64``).

os.version is never touched. os.features are sorted and de-duplicated when
``sort_os_features`` is set (containerd/platforms rc.3+ ``Normalize``).
Normalization is idempotent for every shipped table (a property test checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from planner.model.platform import Platform
from planner.model.record import dataclass, field

__all__ = ["ArchAlias", "Normalizer"]

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class ArchAlias:
    """``architecture`` alias target; ``variant`` None keeps the given variant."""

    architecture: str
    variant: str | None = None


@dataclass(frozen=True)
class Normalizer:
    """One side's normalization table (host or candidates)."""

    lowercase: bool = False
    os: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    architecture: Mapping[str, ArchAlias] = field(default_factory=dict)
    variant: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sort_os_features: bool = False
    _memo: dict[Platform, Platform] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    """Results so far: index entries repeat across hosts and runs of the resolver."""

    def __call__(self, platform: Platform) -> Platform:
        """Return the normalized platform (the display text is dropped)."""
        cached = self._memo.get(platform)
        if cached is None:
            cached = self._memo[platform] = self._normalize(platform)
            if len(self._memo) > 4096:
                self._memo.clear()
        return cached if not platform.display else cached.with_fields()

    def _normalize(self, platform: Platform) -> Platform:
        os_name, arch, variant = platform.os, platform.architecture, platform.variant
        if self.lowercase:
            os_name, arch, variant = os_name.lower(), arch.lower(), variant.lower()
        os_name = self.os.get(os_name, os_name)
        alias = self.architecture.get(arch)
        if alias is not None:
            arch = alias.architecture
            if alias.variant is not None:
                variant = alias.variant
        variant = self.variant.get(arch, _EMPTY).get(variant, variant)
        features = platform.os_features
        if self.sort_os_features:
            features = tuple(sorted(set(features)))
        if (
            os_name == platform.os
            and arch == platform.architecture
            and variant == platform.variant
            and features == platform.os_features
            and not platform.display
        ):
            return platform
        return platform.with_fields(
            os=os_name, architecture=arch, variant=variant, os_features=features
        )
