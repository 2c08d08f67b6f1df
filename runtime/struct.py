"""Base classes of the generated structs, unions and exceptions.

Generated classes are immutable value objects with ``__slots__``. Besides
their fields each has three private slots: ``_jhash`` (the Java
cachedHashCode, 0 until computed), ``_json`` (its cached Gson JSON, see
``hashing.py``) and ``_pyhash`` (its Python hash, computed on first use).
Per-type code (constructor checks, Gson encoder and decoder, Java hash) is
generated; what is the same for every type lives here and reads the field
descriptions in ``_fields`` (through ``fields.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, ClassVar, TypeVar, cast

from typing_extensions import Self

from .errors import FieldError
from .fields import FieldSpec as FieldSpec  # generated modules name it _st.FieldSpec
from .fields import arm_spec, field_values, spec_by_attr

S = TypeVar("S", bound="ThriftStruct")

_set = object.__setattr__


class ThriftStruct:
    """An immutable Thrift struct; value equality, hashable, readable repr."""

    __slots__ = ()

    _kind: ClassVar[str] = "struct"
    _fields: ClassVar[tuple[FieldSpec, ...]] = ()
    # Called as self._values(obj): a staticmethod or an attrgetter, never bound.
    _values: ClassVar[Callable[..., tuple[Any, ...]]]
    # The private slots every generated class declares (see the module docstring).
    _jhash: int
    _json: Any  # None, hashing.WRITTEN (written once), the JSON text, or (text, hashing epoch)
    _pyhash: int | None
    # Installed by the generated gson module of the package:
    _gson_encode: ClassVar[Callable[[Any], str]]
    _gson_decode: ClassVar[Callable[[Any], Any]]
    _java_hash: ClassVar[Callable[[Any, Mapping[str, int]], int]]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: use .replace({name}=...) for a changed copy")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self) == self._values(other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        value = self._pyhash
        if value is None:
            value = hash((self.__class__.__name__, self._values(self)))
            _set(self, "_pyhash", value)
        return value

    def __repr__(self) -> str:
        shown = []
        for spec, value in field_values(self):
            if value is None or (spec.type.kind in ("list", "set", "map") and not value):
                continue
            shown.append(f"{spec.attr}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (keyword names as in the constructor)."""
        unknown = set(changes) - {spec.attr for spec in self._fields}
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        values = {spec.attr: getattr(self, spec.attr) for spec in self._fields}
        values.update(changes)
        return type(self)(**values)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), {spec.attr: getattr(self, spec.attr) for spec in self._fields}))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    # -- thriftpy2 ------------------------------------------------------------
    def to_thrift(self, thrift_module: Any = None) -> Any:
        """This value as a thriftpy2 object, for thriftpy2's protocols.

        ``thrift_module`` is a module loaded with ``thriftpy2.load`` from the
        same IDL; by default aurorakit builds matching thriftpy2 classes itself.
        """
        from .extras import require
        require("thrift", "to_thrift")
        from .thrift_bridge import to_thrift
        return to_thrift(self, thrift_module)

    @classmethod
    def from_thrift(cls, obj: Any) -> Self:
        """A value of this class from a thriftpy2 object of the same IDL type."""
        from .extras import require
        require("thrift", "from_thrift")
        from .thrift_bridge import from_thrift
        return from_thrift(cls, obj)


def _rebuild(cls: type[S], values: dict[str, Any]) -> S:
    return cls(**values)


class ThriftUnion(ThriftStruct):
    """A Thrift union: exactly one arm is set.

    ``set_field`` names the arm (its IDL name) and ``field_value`` holds its
    value; each arm is also readable by name (``None`` unless it is the set one).
    """

    __slots__ = ()
    _kind: ClassVar[str] = "union"

    set_field: str
    field_value: Any

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # mypy >= 2 narrows `other` by the __class__ test above, older releases do not.
        return bool(self.set_field == other.set_field  # type: ignore[attr-defined,unused-ignore]
                    and self.field_value == other.field_value)  # type: ignore[attr-defined,unused-ignore]

    def __hash__(self) -> int:
        value = self._pyhash
        if value is None:
            value = hash((self.__class__.__name__, self.set_field, self.field_value))
            _set(self, "_pyhash", value)
        return value

    def __repr__(self) -> str:
        attr = arm_spec(type(self), self.set_field).attr
        return f"{type(self).__name__}({attr}={self.field_value!r})"

    def replace(self, **changes: Any) -> Self:
        """Another value of this union: give exactly one arm."""
        return type(self)(**changes)

    def __reduce__(self) -> tuple[Any, ...]:
        attr = arm_spec(type(self), self.set_field).attr
        return (_rebuild, (type(self), {attr: self.field_value}))


class ThriftException(ThriftStruct, Exception):
    """A Thrift exception: a struct that can be raised."""

    __slots__ = ()
    _kind: ClassVar[str] = "exception"

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("__"):  # Python's own exception machinery (__notes__, ...)
            _set(self, name, value)
        else:
            super().__setattr__(name, value)

    def __str__(self) -> str:
        return repr(self)

    __hash__ = ThriftStruct.__hash__


def describe(cls: type[ThriftStruct], fields: tuple[FieldSpec, ...]) -> None:
    """Attach the field descriptions to a generated class (done once, at import)."""
    cls._fields = fields
    getter = attrgetter(*[spec.attr for spec in fields]) if fields else None
    if getter is None:
        cls._values = staticmethod(lambda obj: ())
    elif len(fields) == 1:
        cls._values = staticmethod(lambda obj: (getter(obj),))
    else:
        cls._values = getter  # attrgetter is not a descriptor: no binding


class IdlDefault:
    """The marker a constructor parameter defaults to when the IDL gives a struct default.

    Such defaults are built fresh for every object, as each object caches its
    own hash; passing ``None`` instead leaves the field unset.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "IDL_DEFAULT"


IDL_DEFAULT = IdlDefault()


def choose_arm(cls: type[ThriftUnion], given: tuple[tuple[str, Any], ...]) -> tuple[str, Any]:
    """The (IDL arm name, checked value) of the one arm given to a union constructor."""
    chosen = [(attr, value) for attr, value in given if value is not None]
    if len(chosen) != 1:
        got = "none" if not chosen else ", ".join(attr for attr, _ in chosen)
        raise FieldError(cls.__name__, f"a union holds exactly one arm; got {got}")
    attr, value = chosen[0]
    spec = spec_by_attr(cls, attr)
    return spec.name, spec.type.check(value, f"{cls.__name__}.{spec.name}")


def mutable_twin(cls: type[S]) -> type[S]:
    """A subclass of ``cls`` whose attributes can be set: how decoders build objects fast.

    Setting slots through ``object.__setattr__`` (needed past the immutability
    guard) costs several times a plain attribute store. Decoders make the
    object as this twin, store its fields plainly, then set ``__class__`` back
    to ``cls`` (same slots, so the switch is allowed and cheap).
    """
    twin = cls.__dict__.get("_mutable_twin")
    if twin is None:
        # Both halves of the attribute slot must be object's for CPython to
        # take its fast path on plain stores.
        twin = type(f"{cls.__name__}Builder", (cls,), {"__slots__": (), "__setattr__": object.__setattr__,
                                                      "__delattr__": object.__delattr__,
                                                      "__module__": cls.__module__})
        type.__setattr__(cls, "_mutable_twin", twin)
    return cast("type[S]", twin)
