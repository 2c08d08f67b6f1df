"""The imports of one generated module: only the names its code uses.

As mypy-protobuf's ``Imports`` does, the decide stage asks an
:class:`Imports` for every name it writes (``imports.alias("_ct")`` returns
``"_ct"`` and remembers that the module needs it); the template prints
:meth:`Imports.block` at the top. Every short module-level name that
generated code imports is in :data:`ALIASES`, with what it means: gson.py's
legend comment is printed from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alias:
    """A short name generated code imports, the statement that binds it, and what it is."""

    name: str
    statement: str
    meaning: str


def _alias(name: str, what: str, meaning: str) -> Alias:
    source, _, original = what.rpartition(".")
    if what.startswith("import "):
        return Alias(name, f"{what} as {name}", meaning)
    return Alias(name, f"from {source} import {original} as {name}", meaning)


ALIASES = {a.name: a for a in (
    _alias("_abc", "import collections.abc", "collections.abc"),
    _alias("_builtins", "import builtins", "builtins, for classes whose own fields shadow a builtin's name"),
    _alias("_enum", "import enum", "enum"),
    _alias("_typing", "import typing", "typing"),
    _alias("_codec", "aurorakit.runtime.codec", "aurorakit.runtime.codec: JSON text to objects and back"),
    _alias("_en", "aurorakit.runtime.encoding", "what encoders share: frozen (may a text be kept), encode_error"),
    _alias("_hv", "aurorakit.runtime.hash_values", "Java hashCode of scalars as (value, identity table) functions"),
    _alias("_Interned", "aurorakit.runtime.interning.Interned", "a table of decoded objects shared between payloads"),
    _alias("_mk", "aurorakit.runtime.map_keys", "map keys written and read in Gson's string form"),
    _alias("_ms", "aurorakit.runtime.member_shapes", "the members Gson writes (Shape, unions) and why they are wrong"),
    _alias("_rc", "aurorakit.runtime.read_containers", "JSON arrays and objects read as lists, sets and maps"),
    _alias("_rv", "aurorakit.runtime.read_values", "JSON scalars read as values (the slow path), expected(...)"),
    _alias("_ct", "aurorakit.runtime.containers", "OrderedSet and FrozenMap, the immutable set and map"),
    _alias("_st", "aurorakit.runtime.struct", "the base classes and field descriptions of generated classes"),
    _alias("_ts", "aurorakit.runtime.typespec", "run-time type descriptions and constructor checks"),
    _alias("_PayloadError", "aurorakit.runtime.errors.PayloadError", "bad input, located by its JSON path"),
    _alias("_gd", "aurorakit.runtime.gson.gson_double", "a double as Gson writes it (Java's Double.toString)"),
    _alias("_gs", "aurorakit.runtime.gson.gson_string", "a string as Gson writes it, quoted and escaped"),
    _alias("_EPOCH", "aurorakit.runtime.hashing.EPOCH",
           "[n], counts hashes computed: JSON cached while n is unchanged is still current"),
    _alias("_WRITTEN", "aurorakit.runtime.hashing.WRITTEN", "the _json of an object written once, its text not kept"),
    _alias("_dh", "aurorakit.runtime.java.double_hash", "Java's Double.hashCode"),
    _alias("_lh", "aurorakit.runtime.java.long_hash", "Java's Long.hashCode"),
    _alias("_sh", "aurorakit.runtime.java.string_hash", "Java's String.hashCode"),
)}
# Names gson.py defines for itself, explained in the same legend.
GSON_LOCALS = (
    ("_M", "0xFFFFFFFF: Java's int arithmetic is done modulo 2**32 with this mask"),
    ("_set", "object.__setattr__, which writes the slots of immutable objects"),
    ("_new", "object.__new__, which makes an object without running __init__"),
    ("_Ids", "the identity table's type: enum member -> its Java identity hash"),
    ("_Arm", "a union arm: its setField text, identity key, encoder and hash"),
    ("_B_X / _C_X", "the mutable twin decoders fill, and the class X itself (X may be a local's name)"),
    ("_N_/_Q_/_K_/_E_X", "enum X: member -> name, quoted name, identity key; name -> member"),
    ("_enc_/_dec_/_hash_X", "type X's encoder, decoder and Java hashCode"),
    ("_SHAPE_/_INTERNED_/_ARMS_/_SETFIELDS_X", "tables of type X, each explained where it is defined"),
)


class Imports:
    """The names one generated module uses, from the runtime, its own package and its includes."""

    def __init__(self, own: str, is_root: bool) -> None:
        self.own = own  # "types", "gson"...: names defined in this module need no import
        self.parent = "." if is_root else ".."  # where the package's includes are
        self._aliases: set[str] = set()
        self._local: dict[str, set[str]] = {}
        self._includes: set[tuple[str, str]] = set()

    def alias(self, name: str) -> str:
        """A runtime or standard-library alias of :data:`ALIASES`."""
        assert name in ALIASES, name
        self._aliases.add(name)
        return name

    def local(self, module: str, name: str) -> str:
        """``name`` from the sibling module ``module`` (``.enums``, ``.types``)."""
        if module != self.own:
            self._local.setdefault(module, set()).add(name)
        return name

    def include(self, package: str, module: str = "") -> str:
        """An included IDL's package (or one of its modules, such as ``gson``) under a private name."""
        self._includes.add((package, module))
        return f"_{module or 'inc'}_{package}"

    def used(self, name: str) -> bool:
        return name in self._aliases

    def block(self) -> str:
        """The import statements (ruff's isort rule then orders them: the generator runs it)."""
        lines = [ALIASES[name].statement for name in sorted(self._aliases)]
        for package, module in sorted(self._includes):
            if module:
                lines.append(f"from {self.parent}{package} import {module} as _{module}_{package}")
            else:
                lines.append(f"from {self.parent} import {package} as _inc_{package}")
        for module, names in sorted(self._local.items()):
            lines.append(f"from .{module} import {', '.join(sorted(names))}")
        return "\n".join(lines)
