"""Many SOURCEs in one run, sharing one registry session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeGuard, TypeVar

from planner.model.errors import NotFound
from planner.model.manifest import Descriptor
from planner.sources import Source, is_registry_spec, open_source
from planner.transport.stats import Stats

if TYPE_CHECKING:
    from planner.sources.remote import RegistrySession, RegistrySource
    from planner.transport.options import Presence, RegistryOptions

__all__ = ["Counter", "SourceSet"]

Counter = Callable[[int, int], None]
"""Told (done, total) as the requests of a phase finish (a progress display)."""
_T = TypeVar("_T")


class _Count:
    """Counts finished reads of one phase and tells ``counter`` each time."""

    def __init__(self, counter: Counter | None, total: int) -> None:
        self.counter = counter
        self.total = total
        self.done = 0
        self.tell()

    def tell(self) -> None:
        if self.counter is not None:
            self.counter(self.done, self.total)

    def one(self) -> None:
        self.done += 1
        self.tell()

    async def after(self, work: Awaitable[_T]) -> _T:
        result = await work
        self.one()
        return result


class SourceSet:
    """Opens SOURCE strings once each; the registry ones share one session.

    One session means one connection pool, one token per repository scope and
    one fetch per digest for the whole run, whatever the number of sources.
    """

    def __init__(self, registry: RegistryOptions | None) -> None:
        self.registry = registry
        self.session: RegistrySession | None = None
        self.opened: dict[str, Source] = {}

    def get(self, spec: str) -> Source:
        if spec not in self.opened:
            if self.session is None and is_registry_spec(spec):
                from planner.sources.remote import RegistrySession

                self.session = RegistrySession(self.registry)
            self.opened[spec] = open_source(spec, self.registry, session=self.session)
        return self.opened[spec]

    def _remote(self, sources: Iterable[Source]) -> list[RegistrySource]:
        """The registry sources among these; httpx is imported only when the run has a session."""
        if self.session is None:
            return []
        from planner.sources.remote import RegistrySource

        return [s for s in sources if isinstance(s, RegistrySource)]

    def tops(
        self, specs: Iterable[str], *, missing_ok: bool = False, counter: Counter | None = None
    ) -> dict[str, str]:
        """Read the top documents of these sources, registry ones concurrently.

        ``missing_ok``: a registry that does not have one (NotFound) does not stop
        the others; the result maps each such SOURCE to what the registry said.
        ``counter`` is told (done, total) as each is read.
        """
        specs = list(dict.fromkeys(specs))
        count = _Count(counter, len(specs))
        named = {spec: self.get(spec) for spec in specs}
        sources = list(named.values())
        remote = self._remote(sources)
        # by SOURCE string (each opened once); no event loop for what is in memory
        unread = {
            spec: r
            for spec, r in named.items()
            if self.session is not None and _registry(r) and not r.has_top
        }
        count.done += sum(1 for s in named.values() if s in remote and s.has_top)
        missing: dict[str, str] = {}
        if unread and self.session is not None:
            said = self.session.gather(count.after(_top(r, missing_ok)) for r in unread.values())
            missing = {spec: message for spec, message in zip(unread, said, strict=True) if message}
        for source in sources:
            if source not in remote:
                source.read_top()
                count.one()
        return missing

    def documents(
        self, wanted: Iterable[tuple[Source, Descriptor]], counter: Counter | None = None
    ) -> None:
        """Read these documents (each distinct digest once), registry ones concurrently;
        ``counter`` is told (done, total) as each is read."""
        unique: dict[str, tuple[Source, Descriptor]] = {}
        for source, descriptor in wanted:
            unique.setdefault(descriptor.digest, (source, descriptor))
        count = _Count(counter, len(unique))
        remote = self._remote(dict.fromkeys(s for s, _ in unique.values()))
        if remote and self.session is not None:
            held = self.session.documents
            missing = [(s, d) for s, d in unique.values() if d.digest not in held]
            count.done += sum(1 for s, _ in unique.values() if s in remote) - len(missing)
            if missing:
                self.session.gather(
                    count.after(r.document(d)) for r in remote for s, d in missing if s is r
                )
        for source, descriptor in unique.values():
            if source not in remote:
                if source.can_read_children:
                    source.read_document(descriptor)
                count.one()

    def presences(
        self, wanted: Iterable[tuple[Source, Descriptor, str]], counter: Counter | None = None
    ) -> dict[tuple[int, str, str], Presence]:
        """Ask, concurrently on the session, whether each (source, descriptor, where) is there:
        ``where`` is ``manifest``, ``blob`` or a foreign layer's URL. Keyed by (id of the
        source, digest, where); each distinct (endpoint, repository, digest) is asked once.
        Sources that are no registry are not asked (left out)."""
        unique: dict[tuple[int, str, str], tuple[Source, Descriptor, str]] = {}
        for source, descriptor, where in wanted:
            unique.setdefault((id(source), descriptor.digest, where), (source, descriptor, where))
        remote = set(map(id, self._remote(dict.fromkeys(s for s, _, _ in unique.values()))))
        asked = {key: item for key, item in unique.items() if id(item[0]) in remote}
        count = _Count(counter, len(asked))
        if not asked or self.session is None:
            return {}

        async def one(source: Source, descriptor: Descriptor, where: str) -> Presence:
            assert _registry(source)
            if where in ("manifest", "blob"):
                return await source.presence(descriptor, manifest=where == "manifest")
            return await source.url_presence(where, descriptor.digest)

        said = self.session.gather(count.after(one(*item)) for item in asked.values())
        return dict(zip(asked, said, strict=True))

    @property
    def stats(self) -> Stats:
        return self.session.stats if self.session is not None else Stats()

    def close(self) -> None:
        for source in self.opened.values():
            source.close()
        if self.session is not None:
            self.session.close()

    def __enter__(self) -> SourceSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _registry(source: Source) -> TypeGuard[RegistrySource]:
    """A registry source (asked only in a run with a session: httpx is imported already)."""
    from planner.sources.remote import RegistrySource

    return isinstance(source, RegistrySource)


async def _top(source: RegistrySource, missing_ok: bool) -> str:
    """Read the top document; '' when read, else (``missing_ok``) what NotFound said."""
    try:
        await source.top()
    except NotFound as exc:
        if not missing_ok:
            raise
        return str(exc)
    return ""
