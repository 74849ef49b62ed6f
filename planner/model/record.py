"""Records: the package's frozen value classes, built without :mod:`dataclasses` at run time.

Type checkers see :func:`dataclasses.dataclass`, :func:`dataclasses.field` and
:func:`dataclasses.replace` (the names below are those under ``TYPE_CHECKING``),
so a record is checked as the dataclass it is written as. At run time the
decorator here builds the same class for the parts of ``dataclasses`` this
package uses, for a fraction of the start-up cost (issue 23): ``dataclasses``
imports :mod:`inspect` (with ``ast``, ``dis`` and ``tokenize``: 8 ms) and
compiles six methods per class with ``exec`` (0.3 ms a class; a ``resolve``
defines 40). Here only ``__init__`` is compiled (the one method whose speed
matters, objects are made by the hundred thousand); ``__eq__``, ``__hash__``,
``__repr__``, the ordering methods and the frozen ``__setattr__`` are shared
functions over the fields' values, with the same results as the generated ones:

* ``__eq__``: the same class and equal field tuples (fields with
  ``compare=False`` left out), else ``NotImplemented``;
* ``__hash__`` (frozen with ``eq``): ``hash`` of that tuple, the same value
  ``dataclasses`` gives, so sets of records iterate in the same order;
* ``__repr__``: ``Name(a=1, b='x')`` with the class's ``__qualname__``, fields
  with ``repr=False`` left out, a record that holds itself shown as ``...``;
* a method or ``__hash__`` the class body defines is kept, as ``dataclasses``
  keeps it; ``slots=True`` makes the class again with ``__slots__``;
* fields of a record base class come first; ``ClassVar`` annotations are not
  fields.

:func:`replace` is :func:`dataclasses.replace` for records. A record also answers
:mod:`dataclasses` itself (``__dataclass_fields__`` is made when first asked for),
so ``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` work on it
as on the dataclass it is written as; assigning to a frozen record's field raises
:class:`dataclasses.FrozenInstanceError`. What ``dataclasses``
offers beyond this (``InitVar``, ``KW_ONLY``, ``__post_init__``, ``kw_only``,
``asdict``) is not used here and raises ``TypeError`` when asked for.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any

__all__ = ["dataclass", "field", "replace"]


if TYPE_CHECKING:
    from dataclasses import dataclass, field, replace
else:

    class _Missing:
        def __repr__(self) -> str:
            return "MISSING"

    _MISSING = _Missing()
    _FIELDS = "__record_fields__"
    _FROZEN = "__record_frozen__"

    class Field:
        """What :func:`field` says of one field."""

        __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

        def __init__(
            self,
            default: Any = _MISSING,
            default_factory: Any = _MISSING,
            compare: bool = True,
            repr: bool = True,
            init: bool = True,
        ) -> None:
            if default is not _MISSING and default_factory is not _MISSING:
                raise ValueError("cannot specify both default and default_factory")
            self.name = ""
            self.default = default
            self.default_factory = default_factory
            self.compare = compare
            self.repr = repr
            self.init = init

    def field(
        *,
        default: Any = _MISSING,
        default_factory: Any = _MISSING,
        compare: bool = True,
        repr: bool = True,
        init: bool = True,
        **unsupported: Any,
    ) -> Any:
        if unsupported:
            raise TypeError(f"field(): {', '.join(unsupported)} not supported by records")
        return Field(default, default_factory, compare, repr, init)

    def dataclass(
        cls: type | None = None,
        *,
        frozen: bool = False,
        slots: bool = False,
        order: bool = False,
        eq: bool = True,
        **unsupported: Any,
    ) -> Any:
        if unsupported:
            raise TypeError(f"dataclass(): {', '.join(unsupported)} not supported by records")

        def wrap(cls: type) -> type:
            return _build(cls, frozen=frozen, slots=slots, order=order, eq=eq)

        return wrap if cls is None else wrap(cls)

    def replace(obj: Any, /, **changes: Any) -> Any:
        fields = getattr(type(obj), _FIELDS, None)
        if fields is None:
            raise TypeError("replace() should be called on record instances")
        for name, spec in fields.items():
            if not spec.init:
                if name in changes:
                    raise ValueError(
                        f"field {name} is declared with init=False, it cannot be specified with replace()"
                    )
            elif name not in changes:
                changes[name] = getattr(obj, name)
        return type(obj)(**changes)

    def _build(cls: type, *, frozen: bool, slots: bool, order: bool, eq: bool) -> type:
        own = cls.__dict__
        if "__post_init__" in own:
            raise TypeError(f"{cls.__name__}: __post_init__ not supported by records")
        fields: dict[str, Field] = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(getattr(base, _FIELDS, {}))
        for name, annotation in own.get("__annotations__", {}).items():
            text = annotation if isinstance(annotation, str) else repr(annotation)
            if text.startswith(("ClassVar", "typing.ClassVar", "InitVar", "KW_ONLY")):
                if not text.startswith(("ClassVar", "typing.ClassVar")):
                    raise TypeError(f"{cls.__name__}.{name}: {text} not supported by records")
                continue
            value = own.get(name, _MISSING)
            spec = value if isinstance(value, Field) else Field(default=value)
            spec.name = name
            fields[name] = spec
        names = tuple(fields)
        seen_default = False
        for name, spec in fields.items():
            if not spec.init:
                continue
            has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
            if seen_default and not has_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            seen_default = seen_default or has_default
        compared = tuple(n for n, f in fields.items() if f.compare)
        shown = tuple(n for n, f in fields.items() if f.repr)

        body: dict[str, Any] = {}
        for name, spec in fields.items():  # defaults stay as class attributes
            if isinstance(own.get(name), Field):
                if spec.default is not _MISSING:
                    body[name] = spec.default
                elif slots:
                    pass
                else:
                    body[name] = _Delete
        body[_FIELDS] = fields
        body["__dataclass_fields__"] = _DataclassFields()
        body["__signature__"] = _Signature()
        body["__match_args__"] = tuple(n for n, f in fields.items() if f.init)
        made: list[type] = []  # the class as finally made (slots make it anew)
        if "__init__" not in own:
            body["__init__"] = _first_init(made, fields, frozen)
        if "__repr__" not in own:
            body["__repr__"] = _repr_of(shown)
        key = _key_of(compared)
        if eq and "__eq__" not in own:
            body["__eq__"] = _eq_of(key)
        # a class body defining __eq__ alone has __hash__ = None put there by Python: not
        # a hash of its own (dataclasses' has_explicit_hash)
        explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
        if eq and frozen and not explicit_hash:
            body["__hash__"] = _hash_of(key)
        elif eq and not explicit_hash:
            body["__hash__"] = None
        if order:
            for op, method in _ORDER.items():
                if op not in own:
                    body[op] = method(key)
        if frozen:
            body["__setattr__"] = _frozen_setattr
            body["__delattr__"] = _frozen_delattr
            body[_FROZEN] = True
        if slots:
            cls = _with_slots(cls, names, body)
        else:
            for name, value in body.items():
                if value is _Delete:
                    if name in own:
                        delattr(cls, name)
                else:
                    setattr(cls, name, value)
        made.append(cls)
        return cls

    def _first_init(made: list[type], fields: dict[str, Field], frozen: bool) -> Any:
        """An ``__init__`` that compiles the real one on the first call, puts it on the
        class and calls it: a class no run makes an instance of costs no ``exec``."""

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            cls = made[0]
            real = cls.__dict__["__init__"]
            if real is __init__:  # not compiled yet (another thread may have)
                real = _init(cls, fields, frozen)
                type.__setattr__(cls, "__init__", real)
            real(self, *args, **kwargs)

        return __init__

    class _Delete:
        """A class attribute that was a :func:`field` with no default: removed."""

    class _DataclassFields:
        """``__dataclass_fields__``, made when first asked for: :mod:`dataclasses`
        (``replace``, ``fields``, ``asdict``, ``is_dataclass``) and tools built on it
        (pytest's assertion diffs) take a record for the dataclass it is written as,
        and only a program that uses them imports ``dataclasses``."""

        def __init__(self) -> None:
            self.made: dict[type, dict[str, Any]] = {}

        def __get__(self, instance: Any, owner: type) -> dict[str, Any]:
            found = self.made.get(owner)
            if found is None:
                found = self.made[owner] = _dataclass_fields(owner)
            return found

    class _Factory:
        def __repr__(self) -> str:
            return "<factory>"

    class _Signature:
        """The class's call signature for :func:`inspect.signature` (and ``help()``), made
        when asked for: its ``__init__`` is compiled only on the first instance."""

        def __get__(self, instance: Any, owner: type) -> Any:
            import inspect  # whoever asks has imported it

            parameters = []
            for name, spec in getattr(owner, _FIELDS).items():
                if not spec.init:
                    continue
                default = inspect.Parameter.empty
                if spec.default_factory is not _MISSING:
                    default = _Factory()
                elif spec.default is not _MISSING:
                    default = spec.default
                kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
                parameters.append(inspect.Parameter(name, kind, default=default))
            return inspect.Signature(parameters, return_annotation=None)

    def _dataclass_fields(owner: type) -> dict[str, Any]:
        import dataclasses
        import inspect  # dataclasses has imported it

        out = {}
        annotations: dict[str, Any] = {}
        for base in reversed(owner.__mro__):
            annotations.update(inspect.get_annotations(base))
        for name, spec in getattr(owner, _FIELDS).items():
            made = dataclasses.field(
                default=spec.default if spec.default is not _MISSING else dataclasses.MISSING,
                default_factory=(
                    spec.default_factory
                    if spec.default_factory is not _MISSING
                    else dataclasses.MISSING
                ),
                init=spec.init,
                repr=spec.repr,
                compare=spec.compare,
            )
            made.name = name
            made.type = annotations.get(name)
            made._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            out[name] = made
        return out

    def _with_slots(cls: type, names: tuple[str, ...], body: dict[str, Any]) -> type:
        namespace = {k: v for k, v in cls.__dict__.items() if k not in names}
        namespace.pop("__dict__", None)
        namespace.pop("__weakref__", None)
        namespace.update((k, v) for k, v in body.items() if v is not _Delete)
        for name in names:
            namespace.pop(name, None)
        inherited = {s for base in cls.__mro__[1:] for s in getattr(base, "__slots__", ())}
        namespace["__slots__"] = tuple(n for n in names if n not in inherited)
        namespace["__getstate__"] = _getstate
        namespace["__setstate__"] = _setstate
        made = type(cls)(cls.__name__, cls.__bases__, namespace)
        made.__qualname__ = cls.__qualname__
        return made

    def _getstate(self: Any) -> list[Any]:
        return [getattr(self, name) for name in getattr(type(self), _FIELDS)]

    def _setstate(self: Any, state: list[Any]) -> None:
        for name, value in zip(getattr(type(self), _FIELDS), state, strict=True):
            object.__setattr__(self, name, value)

    def _init(cls: type, fields: dict[str, Field], frozen: bool) -> Any:
        """``__init__``, compiled: the one method made per class."""
        params = []
        lines = []
        scope: dict[str, Any] = {"_MISSING": _MISSING, "_set": object.__setattr__}
        for name, spec in fields.items():
            if not spec.init:  # set from its default, not a parameter
                if spec.default_factory is not _MISSING:
                    scope[f"_factory_{name}"] = spec.default_factory
                    value = f"_factory_{name}()"
                elif spec.default is not _MISSING:
                    scope[f"_default_{name}"] = spec.default
                    value = f"_default_{name}"
                else:
                    continue
            elif spec.default_factory is not _MISSING:
                scope[f"_factory_{name}"] = spec.default_factory
                params.append(f"{name}=_MISSING")
                value = f"_factory_{name}() if {name} is _MISSING else {name}"
            elif spec.default is not _MISSING:
                scope[f"_default_{name}"] = spec.default
                params.append(f"{name}=_default_{name}")
                value = name
            else:
                params.append(name)
                value = name
            if frozen:
                lines.append(f"    _set(self, {name!r}, {value})")
            else:
                lines.append(f"    self.{name} = {value}")
        source = f"def __init__(self, {', '.join(params)}):\n" + (
            "\n".join(lines) if lines else "    pass"
        )
        exec(source, scope)
        init = scope["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        return init

    def _key_of(names: tuple[str, ...]) -> Any:
        """The fields' values as a tuple (what ``dataclasses`` compares and hashes)."""
        if len(names) >= 2:
            return attrgetter(*names)
        if len(names) == 1:
            one = attrgetter(names[0])
            return lambda self: (one(self),)
        return lambda self: ()

    def _eq_of(key: Any) -> Any:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented

        return __eq__

    def _hash_of(key: Any) -> Any:
        def __hash__(self: Any) -> int:
            return hash(key(self))

        return __hash__

    def _compare(test: Any) -> Any:
        def of(key: Any) -> Any:
            def method(self: Any, other: Any) -> Any:
                if other.__class__ is self.__class__:
                    return test(key(self), key(other))
                return NotImplemented

            return method

        return of

    _ORDER = {
        "__lt__": _compare(lambda a, b: a < b),
        "__le__": _compare(lambda a, b: a <= b),
        "__gt__": _compare(lambda a, b: a > b),
        "__ge__": _compare(lambda a, b: a >= b),
    }

    _REPR_RUNNING: set[tuple[int, int]] = set()

    def _repr_of(names: tuple[str, ...]) -> Any:
        def __repr__(self: Any) -> str:
            import threading

            key = (id(self), threading.get_ident())
            if key in _REPR_RUNNING:
                return "..."
            _REPR_RUNNING.add(key)
            try:
                shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
            finally:
                _REPR_RUNNING.discard(key)
            return f"{self.__class__.__qualname__}({shown})"

        return __repr__

    def _frozen_setattr(self: Any, name: str, value: Any) -> None:
        # as dataclasses: nothing on an instance of the frozen class itself, and no field
        # on an instance of a subclass; the error is dataclasses' own (a bug's path: its
        # import costs nothing that matters there)
        kind = type(self)
        if _FROZEN in kind.__dict__ or name in getattr(kind, _FIELDS):
            from dataclasses import FrozenInstanceError

            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def _frozen_delattr(self: Any, name: str) -> None:
        kind = type(self)
        if _FROZEN in kind.__dict__ or name in getattr(kind, _FIELDS):
            from dataclasses import FrozenInstanceError

            raise FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)
