"""The optional compiled accelerator: what installs it on a generated package.

``aurorakit.runtime._speedups`` (runtime/_speedups.c) is one generic walker
that hashes and writes any generated struct or union as its pure-Python
encoder and hash function do, driven by a table per class built here from
the class's field descriptions and its gson module's tables. Installing it
on a package replaces each class's ``_gson_encode`` and ``_java_hash``
(what ``codec.encode``, ``java_hash`` and events call); the generated
functions stay the reference, and the walker hands anything it does not
handle (and every error) back to them.

The same extension builds typed objects from the parsed tree (``build``):
installed as each class's ``_gson_decode``, it declines anything irregular
and the generated decoder then runs from the start, so errors are its own.

It also reads an event straight from its text (``parse_event``, runtime/_decode.c),
with no parsed tree in between, on the same tables; whatever it declines is
decoded the usual way from the start.

The accelerator is used when it was compiled (``pip install`` builds it
where a C compiler is found) unless ``AURORAKIT_PURE=1`` is set.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

from .containers import FrozenMap, OrderedSet
from .gson import gson_double
from .hashing import EPOCH, WRITTEN
from .interning import _FirstSight
from .read_values import ExactDouble, NeedsExactText, java_double
from .scalars import INTEGERS
from .struct import ThriftStruct

try:
    from . import _speedups
except ImportError:  # not compiled here: the pure-Python models do everything
    _speedups = None  # type: ignore[assignment]

PURE_REQUESTED = os.environ.get("AURORAKIT_PURE", "") not in ("", "0")
ACTIVE = _speedups is not None and not PURE_REQUESTED
"""True when generated packages get the compiled walker."""
DECODE = ACTIVE and os.environ.get("AURORAKIT_ACCEL_DECODE", "1") != "0"
"""True when the compiled builder also decodes (the default; AURORAKIT_ACCEL_DECODE=0 keeps decoding pure)."""

COMPILED_ENCODE = _speedups.encode if ACTIVE else None
"""The ``_gson_encode`` of every class the walker is installed on (None: pure Python)."""
write_event = _speedups.write_event if ACTIVE else None
"""``write_event(task, tail, form)``: ``'{"task":' + encode(task) + tail`` as a str (FORM_TEXT) or
the bytes of it (the other forms), straight from the walker's buffer; None where it leaves that to
Python (a character above U+00FF in a bytes form, or anything it hands back). Only for a task whose
``_gson_encode`` is COMPILED_ENCODE."""
FORM_TEXT, FORM_LATIN1, FORM_UTF8, FORM_LOW8 = range(4)  # write_event's forms (the enum in _speedups.c)

# Kind codes of the walker's type tables (the enum at the top of _speedups.c).
_KINDS = {"bool": 0, "byte": 1, "i16": 1, "i32": 1, "i64": 2, "double": 3, "string": 4, "enum": 5,
          "struct": 6, "list": 7, "set": 8, "map": 9}
_OTHER = 10  # binary: left to the pure-Python code
_NULLABLE = ("string", "binary", "enum", "struct")  # left out when unset, as Gson leaves out nulls

_installed: set[str] = set()


def status() -> str:
    """Which implementation writes and hashes the models, in words."""
    if ACTIVE:
        return "compiled accelerator (aurorakit.runtime._speedups)"
    if _speedups is not None:
        return "pure Python (AURORAKIT_PURE is set)"
    return "pure Python (the accelerator is not compiled in this installation)"


def accelerate(models: ModuleType) -> bool:
    """Install the compiled walker on a generated package (once); False when pure Python is used."""
    if not ACTIVE:
        return False
    name = models.__name__
    if name in _installed:
        return True
    _installed.add(name)
    _setup()
    gson = sys.modules.get(f"{name}.gson") or getattr(models, "gson", None)
    if gson is None:
        return False
    classes = [c for c in vars(gson).values()
               if isinstance(c, type) and issubclass(c, ThriftStruct) and c.__module__ == f"{name}.types"
               and "_gson_encode" in c.__dict__]
    for cls in classes:
        _register(cls, gson)
    for cls in classes:
        type.__setattr__(cls, "_gson_encode", staticmethod(_speedups.encode))
        type.__setattr__(cls, "_java_hash", staticmethod(_speedups.java_hash))
    if DECODE:
        accelerate_decoding(models)
    return True


def accelerate_decoding(models: ModuleType) -> bool:
    """Install the compiled builder as each class's ``_gson_decode`` (what ``accelerate`` does under DECODE)."""
    if not ACTIVE or not accelerate(models):
        return False
    gson = sys.modules.get(f"{models.__name__}.gson") or getattr(models, "gson", None)
    if gson is None:
        return False
    for cls in vars(gson).values():
        if (isinstance(cls, type) and issubclass(cls, ThriftStruct) and cls.__module__ == f"{models.__name__}.types"
                and "_gson_decode" in cls.__dict__ and cls not in _decoding):
            _decoding.add(cls)
            _install_decoder(cls, gson)
    return True


_decoding: set[type[Any]] = set()


PARSE = DECODE and os.environ.get("AURORAKIT_ACCEL_PARSE", "1") != "0"
"""True when events are read straight from their text (AURORAKIT_ACCEL_PARSE=0: parsed, then built)."""
_builders: dict[type[Any], Any] = {}  # class -> the builder installed as its _gson_decode


def parse_event(task_cls: type[Any], text: str | bytes, ascii_only: bool = False
                ) -> tuple[Any, str | None, str | None, int] | None:
    """(task, ``oldState``'s member or None, its status name or None, canonical) read straight from an
    event's text by the compiled parser, members in Gson's order; None when it declines (the usual decoding
    then reads it) or when ``task_cls`` does not decode with the builder. ``text``: a str, or UTF-8 bytes
    (``ascii_only``: bytes of a charset that agrees with UTF-8 only on ASCII; it declines any other).
    ``canonical``: 0, or 1 when ``text`` is exactly what encoding the event read gives while
    ``hashing.EPOCH`` stays where it is, 2 when it is for good (see parse_event in runtime/_decode.c)."""
    if not PARSE or task_cls.__dict__.get("_gson_decode") is not _builders.get(task_cls):
        return None
    return _speedups.parse_event(task_cls, text, ascii_only)


def _install_decoder(cls: type[Any], gson: ModuleType) -> None:
    """Decode ``cls`` with the compiled builder, the generated decoder running whenever it declines."""
    name = cls.__name__
    py_decode = getattr(gson, f"_dec_{name}", None)
    if py_decode is None or cls not in _registered:
        return
    if cls._kind == "union":
        setfields = getattr(gson, f"_SETFIELDS_{name}", None)
        if setfields is None or getattr(gson, f"_ARMS_{name}", None) is None:
            return
        index = {spec.name: i for i, spec in enumerate(cls._fields)}
        arms = {json_name: (arm[0], index[arm[0]]) for json_name, arm in setfields.items()}
        _speedups.register_decoder(cls, None, None, None, arms)
        _speedups.enable_parse(cls, None, 0)
    else:
        shape = getattr(gson, f"_SHAPE_{name}", None)
        if shape is None:
            return
        names = tuple(spec.name for spec in cls._fields)
        interned = getattr(gson, f"_INTERNED_{name}", None)
        _speedups.register_decoder(cls, names, shape, interned, None)
        if interned is None:
            _speedups.enable_parse(cls, None, 0)
        else:
            _speedups.enable_parse(cls, interned._first, interned.size)
    build = _speedups.build

    def decode(tree: Any) -> Any:
        made = build(cls, tree)
        return py_decode(tree) if made is None else made

    decode.__qualname__ = decode.__name__ = f"_dec_{name}"
    builder = _builders[cls] = staticmethod(decode)
    type.__setattr__(cls, "_gson_decode", builder)


_ready = False


def _setup() -> None:
    global _ready
    if not _ready:
        _speedups.setup(EPOCH, gson_double, OrderedSet, FrozenMap, ExactDouble, NeedsExactText)
        _speedups.setup_parse(java_double, _FirstSight, OrderedSet, FrozenMap)
        _speedups.set_written(WRITTEN)
        _ready = True


_registered: set[type[Any]] = set()


def _register(cls: type[Any], gson: ModuleType) -> None:
    """Hand the walker the table of one class, and its pure-Python functions to fall back on."""
    py_encode = cls.__dict__["_gson_encode"].__func__
    py_hash = cls.__dict__["_java_hash"].__func__
    if cls._kind == "union":
        arms = getattr(gson, f"_ARMS_{cls.__name__}", None)
        if arms is None:  # a class whose IDL name differs from its Python name: leave it pure
            return
        fields = tuple((arms[spec.name][0], spec.name, arms[spec.name][1], False, _type_table(spec.type, gson))
                       for spec in cls._fields)
        _speedups.register(cls, True, False, fields, py_encode, py_hash)
        _registered.add(cls)
        return
    fields = tuple((f',"{spec.name}":', spec.attr, None, spec.type.kind in _NULLABLE, _type_table(spec.type, gson))
                   for spec in cls._fields)
    holds_structs = any(_holds_struct(spec.type) for spec in cls._fields)
    _speedups.register(cls, False, holds_structs, fields, py_encode, py_hash)
    _registered.add(cls)


def _type_table(spec: Any, gson: ModuleType) -> tuple[Any, ...]:
    kind = spec.kind
    if kind == "enum":
        name = spec.cls.__name__
        quoted, keys = getattr(gson, f"_Q_{name}", None), getattr(gson, f"_K_{name}", None)
        if quoted is None or keys is None:
            return (_OTHER,)
        return (_KINDS[kind], quoted, keys, getattr(gson, f"_E_{name}", None))
    if kind == "struct":
        return (_KINDS[kind], spec.cls)
    if kind in ("list", "set"):
        return (_KINDS[kind], _type_table(spec.elem, gson))
    if kind == "map":
        return (_KINDS[kind], _type_table(spec.key, gson), _type_table(spec.value, gson))
    if kind in ("byte", "i16", "i32"):
        return (_KINDS[kind], INTEGERS[kind].low, INTEGERS[kind].high)
    return (_KINDS.get(kind, _OTHER),)


def _holds_struct(spec: Any) -> bool:
    if spec.kind == "struct":
        return True
    return any(_holds_struct(part) for part in (getattr(spec, "elem", None), getattr(spec, "key", None),
                                                getattr(spec, "value", None)) if part is not None)


__all__ = ["ACTIVE", "COMPILED_ENCODE", "DECODE", "FORM_LATIN1", "FORM_LOW8", "FORM_TEXT", "FORM_UTF8", "PARSE",
           "accelerate", "accelerate_decoding", "parse_event", "status", "write_event"]
