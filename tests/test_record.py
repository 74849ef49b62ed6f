"""Records (planner.model.record) behave as the dataclasses they are written as.

Each shape is declared twice, once with :func:`dataclasses.dataclass` and once
with the record decorator, and every behaviour the package relies on is compared
between the two: construction and defaults, equality, hash values (sets of
records iterate in the same order), repr, ordering, frozen assignment, slots,
inheritance, a hash or equality the class defines, ``ClassVar``, ``replace``,
and :mod:`dataclasses` and :mod:`pickle`/:mod:`copy` on a record.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from planner.model import record


def both(
    make: Callable[[Callable[..., Any], Callable[..., Any]], type],
) -> tuple[type, type]:
    """The class ``make`` declares, with dataclasses and with records."""
    return make(dataclasses.dataclass, dataclasses.field), make(record.dataclass, record.field)


def plain(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Plain:
        name: str
        size: int = 0
        tags: tuple[str, ...] = field(default_factory=tuple)
        note: str = field(default="", compare=False, repr=False)

    return Plain


def slotted(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True, slots=True)
    class Slotted:
        a: int
        b: str = "x"

    return Slotted


def ordered(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True, order=True)
    class Ordered:
        major: int
        minor: int = 0

    return Ordered


def single(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Single:
        value: str

    return Single


def derived(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Base:
        kind: str
        count: int = 1

    @dc(frozen=True)
    class Derived(Base):
        extra: str = ""
        count: int = 2

    return Derived


def memo(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Memo:
        key: str
        LIMIT: ClassVar[int] = 5
        cache: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)

    return Memo


def own_hash(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Identity:
        label: str

        def __hash__(self) -> int:
            return 7

        def __eq__(self, other: object) -> bool:
            return self is other

    return Identity


def own_eq(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Caseless:
        label: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, type(self)) and self.label.lower() == other.label.lower()

    return Caseless


def mutable(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc
    class Mutable:
        items: list[int] = field(default_factory=list)

    return Mutable


SHAPES: list[tuple[Callable[..., type], tuple[Any, ...], dict[str, Any]]] = [
    (plain, ("web",), {}),
    (plain, ("web", 3, ("a", "b")), {"note": "ignored by == and repr"}),
    (slotted, (1,), {}),
    (ordered, (1, 2), {}),
    (single, ("v",), {}),
    (derived, ("k",), {"extra": "e"}),
    (memo, ("m",), {}),
    (own_hash, ("x",), {}),
    (own_eq, ("Web",), {}),
    (mutable, ([1, 2],), {}),
]


@pytest.mark.parametrize(
    ("make", "args", "kwargs"), SHAPES, ids=lambda v: getattr(v, "__name__", "")
)
def test_a_record_is_its_dataclass(
    make: Callable[..., type], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    real_cls, ours_cls = both(make)
    real, ours = real_cls(*args, **kwargs), ours_cls(*args, **kwargs)
    names = [f.name for f in dataclasses.fields(real)]
    assert [f.name for f in dataclasses.fields(ours)] == names
    assert dataclasses.is_dataclass(ours) and dataclasses.is_dataclass(ours_cls)
    assert [getattr(ours, n) for n in names] == [getattr(real, n) for n in names]
    assert repr(ours) == repr(real)
    assert (ours == ours_cls(*args, **kwargs)) == (real == real_cls(*args, **kwargs))
    assert (ours == real) is False  # another class
    if make not in (own_eq, own_hash):  # their own __eq__ answers
        assert ours.__eq__(object()) is NotImplemented
    if real_cls.__hash__ is None:
        assert ours_cls.__hash__ is None
    else:
        assert hash(ours) == hash(real)  # the same values: sets iterate alike
    assert ours_cls.__match_args__ == real_cls.__match_args__
    # signatures (help(), IDEs): names and defaults
    ours_sig, real_sig = inspect.signature(ours_cls), inspect.signature(real_cls)
    assert [(p.name, repr(p.default)) for p in ours_sig.parameters.values()] == [
        (p.name, repr(p.default)) for p in real_sig.parameters.values()
    ]
    assert hasattr(ours, "__dict__") == hasattr(real, "__dict__")  # slots or not
    assert dataclasses.asdict(ours) == dataclasses.asdict(real)
    frozen = real_cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    for name in names[:1]:
        if frozen:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(ours, name, getattr(ours, name))
            with pytest.raises(dataclasses.FrozenInstanceError):
                delattr(ours, name)
        if frozen and hasattr(real, "__dict__"):  # nothing else either, as dataclasses
            with pytest.raises(dataclasses.FrozenInstanceError):
                ours.other = 1
    changed = {n: getattr(ours, n) for n in names[:1]}
    for replace in (record.replace, dataclasses.replace):
        again = replace(ours, **changed)
        assert type(again) is ours_cls and repr(again) == repr(ours)


def test_defaults_factories_and_fields_without_init() -> None:
    _, Memo = both(memo)
    first, second = Memo("a"), Memo("a")
    assert first.cache == {} and first.cache is not second.cache
    assert Memo.LIMIT == 5 and "LIMIT" not in [f.name for f in dataclasses.fields(Memo)]
    with pytest.raises(TypeError):
        Memo("a", {})  # init=False: not a parameter
    with pytest.raises(ValueError, match="init=False"):
        record.replace(first, cache={})
    _, Plain = both(plain)
    assert Plain("x").tags == () and Plain.size == 0
    assert "tags" not in Plain.__dict__  # a factory's field is no class attribute
    with pytest.raises(TypeError):
        Plain()  # the field without a default


def test_ordering_is_by_the_field_tuple() -> None:
    real, ours = both(ordered)
    pairs = [(1, 2), (1, 10), (0, 99), (2, 0), (1, 2)]
    assert [(o.major, o.minor) for o in sorted(ours(*p) for p in pairs)] == [
        (r.major, r.minor) for r in sorted(real(*p) for p in pairs)
    ]
    assert ours(1, 2) <= ours(1, 2) and not ours(1, 3) < ours(1, 2)
    with pytest.raises(TypeError):
        _ = ours(1, 2) < real(1, 2)


def test_sets_of_records_iterate_as_sets_of_dataclasses() -> None:
    real, ours = both(plain)
    values = [(f"n{i}", i, ("t",) * (i % 3)) for i in range(200)]
    assert [(p.name, p.size) for p in {ours(*v) for v in values}] == [
        (p.name, p.size) for p in {real(*v) for v in values}
    ]


@pytest.mark.parametrize("make", [plain, slotted, derived], ids=lambda m: m.__name__)
def test_pickle_and_copy(make: Callable[..., type]) -> None:
    _, ours_cls = both(make)
    ours_cls.__qualname__ = ours_cls.__name__ = "PickledRecord"
    ours_cls.__module__ = __name__
    globals()["PickledRecord"] = ours_cls  # pickle finds a class by module and name
    try:
        one = ours_cls(*{plain: ("p", 2), slotted: (1, "s"), derived: ("k", 3, "e")}[make])
        assert pickle.loads(pickle.dumps(one)) == one
        assert copy.copy(one) == one and copy.deepcopy(one) == one
    finally:
        del globals()["PickledRecord"]


def test_a_recursive_record_shows_dots() -> None:
    _, Mutable = both(mutable)
    looped = Mutable()
    looped.items.append(looped)  # type: ignore[arg-type]
    assert repr(looped) == "mutable.<locals>.Mutable(items=[...])"


def test_what_records_do_not_offer_is_refused() -> None:
    with pytest.raises(TypeError, match="kw_only"):
        record.dataclass(kw_only=True)
    with pytest.raises(TypeError, match="hash"):
        record.field(hash=False)
    with pytest.raises(TypeError, match="__post_init__"):

        @record.dataclass
        class Later:
            a: int

            def __post_init__(self) -> None:
                pass


def test_the_package_runs_without_importing_dataclasses() -> None:
    """``resolve`` on a saved index neither imports dataclasses nor inspect (issue 23)."""
    code = (
        "import sys\n"
        "from planner.cli.main import main\n"
        "main(['resolve', 'examples/dotnet-core-runtime-3.0.json', '--platform', 'linux/arm64'])\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_root()
    )
    assert done.stdout.rstrip().splitlines()[-1] == "[]"


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent)
