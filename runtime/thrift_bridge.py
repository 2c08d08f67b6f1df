"""To and from thriftpy2 objects, so thriftpy2's protocols can carry aurorakit values.

``to_thrift(obj)`` builds the matching thriftpy2 object: of a module the
caller loaded with ``thriftpy2.load`` from the same IDL, or of thriftpy2
classes aurorakit builds from the generated field descriptions (no IDL file
needed). Sets become lists so their order survives the wire.
"""

from __future__ import annotations

import os
import sys
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

from thriftpy2.thrift import TException, TPayload, TType

from .errors import FieldError
from .fields import FieldSpec, field_values
from .scalars import I32, SCALARS
from .typespec import EnumType, ListOf, MapOf, SetOf, StructType, TypeSpec

if TYPE_CHECKING:  # struct.py reaches this module lazily (to_thrift, from_thrift)
    from .struct import S, ThriftStruct

# An enum travels as its i32 value.
_TTYPES = {**{kind: s.ttype for kind, s in SCALARS.items()}, "enum": I32.ttype,
           "struct": TType.STRUCT, "list": TType.LIST, "set": TType.SET, "map": TType.MAP}
_BUILT: dict[type, type] = {}
_LOCK = threading.Lock()


def to_thrift(obj: ThriftStruct, thrift_module: ModuleType | None = None) -> Any:
    """The thriftpy2 object holding the same value as ``obj``."""
    target = _target_class(type(obj), thrift_module)
    made = target()
    for spec, value in field_values(obj):
        setattr(made, spec.name, None if value is None else _to(value, spec.type, thrift_module))
    return made


def from_thrift(cls: type[S], obj: Any) -> S:
    """An object of ``cls`` holding the value of the thriftpy2 object ``obj``."""
    kwargs: dict[str, Any] = {}
    for spec in cls._fields:
        value = getattr(obj, spec.name, None)
        if value is None:
            if spec.type.kind in ("string", "binary", "enum", "struct") and cls._kind != "union":
                kwargs[spec.attr] = None  # unset, not the IDL default
            continue
        kwargs[spec.attr] = _from(value, spec.type)
    return cls(**kwargs)


def _to(value: Any, spec: TypeSpec, module: ModuleType | None) -> Any:
    if isinstance(spec, StructType):
        return to_thrift(value, module)
    if isinstance(spec, EnumType):
        return int(value)
    if isinstance(spec, (ListOf, SetOf)):
        return [_to(v, spec.elem, module) for v in value]
    if isinstance(spec, MapOf):
        return {_to(k, spec.key, module): _to(v, spec.value, module) for k, v in value.items()}
    return value


def _from(value: Any, spec: TypeSpec) -> Any:
    if isinstance(spec, StructType):
        return from_thrift(spec.cls, value)
    if isinstance(spec, EnumType):
        return spec.cls(value)
    if isinstance(spec, (ListOf, SetOf)):
        return [_from(v, spec.elem) for v in value]
    if isinstance(spec, MapOf):
        return {_from(k, spec.key): _from(v, spec.value) for k, v in value.items()}
    if spec.kind == "string" and isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _target_class(cls: type[ThriftStruct], module: ModuleType | None) -> type:
    if module is not None:
        target = getattr(_declaring_module(cls, module), cls.__name__, None)
        if target is None:
            raise FieldError("to_thrift", f"{module.__name__} has no type {cls.__name__}")
        return target  # type: ignore[no-any-return]
    with _LOCK:
        return _thrift_class(cls)


def _declaring_module(cls: type[ThriftStruct], module: ModuleType) -> ModuleType:
    """The module, among ``module`` and those it includes, loaded from the IDL file that declares ``cls``.

    A type of an included file lives in that include's thriftpy2 module, not
    in the one the caller loaded; the generated (sub)package of ``cls`` names
    its IDL file.
    """
    package = sys.modules.get(cls.__module__.rpartition(".")[0])
    idl_file = getattr(package, "IDL_FILE", None)
    pending = [module]
    seen: set[int] = set()
    while pending:
        candidate = pending.pop(0)
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if os.path.basename(getattr(candidate, "__thrift_file__", None) or "") == idl_file:
            return candidate
        pending.extend(getattr(candidate, "__thrift_meta__", {}).get("includes", []))
    return module


def thrift_class(cls: type[ThriftStruct]) -> type:
    """The thriftpy2 class aurorakit builds for a generated class (for deserializing)."""
    with _LOCK:
        return _thrift_class(cls)


def _thrift_class(cls: type[ThriftStruct]) -> type:
    built = _BUILT.get(cls)
    if built is not None:
        return built
    base = TException if cls._kind == "exception" else TPayload
    made: type = type(cls.__name__, (base,), {"__module__": f"{cls.__module__}_thrift", "__init__": _init})
    _BUILT[cls] = made  # before filling the spec: types may refer to themselves
    made.thrift_spec = {spec.id: _field_spec(spec) for spec in cls._fields}  # type: ignore[attr-defined]
    made.default_spec = [(spec.name, None) for spec in cls._fields]  # type: ignore[attr-defined]
    sys.modules.setdefault(made.__module__, ModuleType(made.__module__))
    return made


def _init(self: Any, **kwargs: Any) -> None:
    for name, _ in self.default_spec:
        setattr(self, name, kwargs.pop(name, None))
    if kwargs:
        raise FieldError(type(self).__name__, f"unknown fields: {', '.join(sorted(kwargs))}")


def _field_spec(spec: FieldSpec) -> tuple[Any, ...]:
    required = spec.requiredness == "required"
    inner = _inner_spec(spec.type)
    if inner is None:
        return (_TTYPES[spec.type.kind], spec.name, required)
    return (_TTYPES[spec.type.kind], spec.name, inner, required)


def _inner_spec(spec: TypeSpec) -> Any:
    """thriftpy2's spec of a type: a class for structs, element/key/value specs for containers."""
    if isinstance(spec, StructType):
        return _thrift_class(spec.cls)
    if isinstance(spec, EnumType):
        return _enum_class(spec.cls)
    if isinstance(spec, (ListOf, SetOf)):
        return _element(spec.elem)
    if isinstance(spec, MapOf):
        return (_element(spec.key), _element(spec.value))
    return None


def _element(spec: TypeSpec) -> Any:
    inner = _inner_spec(spec)
    return _TTYPES[spec.kind] if inner is None else (_TTYPES[spec.kind], inner)


_ENUMS: dict[type, type] = {}


def _enum_class(enum_cls: Any) -> type:
    made = _ENUMS.get(enum_cls)
    if made is None:
        names = {member.value: member.name for member in enum_cls}
        made = type(enum_cls.__name__, (), {"_VALUES_TO_NAMES": names,
                                            "_NAMES_TO_VALUES": {v: k for k, v in names.items()}})
        _ENUMS[enum_cls] = made
    return made
