"""Identity hashes of enum constants: the part of a payload's hashes Java picks at random.

A Java enum constant (``ScheduleStatus.RUNNING``, and the ``_Fields`` constant
naming each union arm, ``Resource._Fields.NUM_CPUS``) hashes by identity: a
number the JVM picks the first time it is asked, fixed for the life of that
scheduler process. An :class:`IdentityTable` maps each constant, keyed
``EnumName.CONSTANT`` or ``UnionName._Fields.ARM`` as in the vectors'
``identity`` object, to that number.

Keys missing from a table get a default: the first four bytes of the SHA-256
of the key (UTF-8), read big-endian, with the top bit cleared; 0 becomes 1.
So defaults are deterministic, positive 31-bit and never 0, like HotSpot's.
A ``strict`` table raises :class:`UnknownIdentity` instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .errors import AurorakitError, FieldError, FileError
from .scalars import I32


class UnknownIdentity(AurorakitError, KeyError):
    """A strict table was asked for a constant it does not hold."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"no identity hash known for {self.key}"


def default_identity(key: str) -> int:
    """The documented default identity hash of ``key``."""
    value = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") & 0x7FFFFFFF
    return value or 1


def arm_constant(arm: str) -> str:
    """A union arm's name as Java's ``_Fields`` constant and Gson's ``setField``.

    ``_`` before each capital letter (but the first), upper-cased:
    ``numCpus`` -> ``NUM_CPUS``, ``namedPort`` -> ``NAMED_PORT``, ``mesos`` -> ``MESOS``.
    """
    return (arm[:1] + re.sub(r"([A-Z])", r"_\1", arm[1:])).upper()


def enum_key(enum_name: str, constant: str) -> str:
    """Key of an enum constant: ``ScheduleStatus.RUNNING``."""
    return f"{enum_name}.{constant}"


def arm_key(union_name: str, set_field: str) -> str:
    """Key of a union arm; ``set_field`` is the upper snake case arm name (``NUM_CPUS``)."""
    return f"{union_name}._Fields.{set_field}"


class IdentityFileError(AurorakitError, ValueError):
    """An identity file that cannot be read as a table; the message starts with the file."""


class IdentityTable(dict[str, int]):
    """Identity hash by constant key; missing keys get the documented default.

    It is a ``dict``, so generated hash code reads it at dict speed. Keys
    filled in by the default are remembered in :attr:`defaulted` and left out
    of :meth:`save`.
    """

    __slots__ = ("defaulted", "strict")

    def __init__(self, entries: Mapping[str, int] | None = None, *, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.defaulted: set[str] = set()
        for key, value in (entries or {}).items():
            self.set(key, value)

    def set(self, key: str, value: int) -> None:
        """Record ``key``'s identity hash, checking it is a 32-bit int."""
        if not isinstance(key, str) or "." not in key:
            raise FieldError("IdentityTable", f"identity key must look like Enum.CONSTANT or Union._Fields.ARM, got {key!r}")
        if isinstance(value, bool) or not isinstance(value, int) or not I32.low <= value <= I32.high:
            raise FieldError(f"IdentityTable[{key!r}]", f"identity hash must be a 32-bit int, got {value!r}")
        self[key] = value
        self.defaulted.discard(key)

    def __missing__(self, key: str) -> int:
        if self.strict:
            raise UnknownIdentity(key)
        value = default_identity(key)
        self[key] = value
        self.defaulted.add(key)
        return value

    def known(self) -> dict[str, int]:
        """The entries that were given or calibrated, not defaulted, sorted by key."""
        return {k: self[k] for k in sorted(self) if k not in self.defaulted}

    def copy(self) -> IdentityTable:  # type: ignore[override,unused-ignore]
        made = IdentityTable(self.known(), strict=self.strict)
        return made

    # -- files: the vectors' "identity" object --------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str], *, strict: bool = False) -> IdentityTable:
        """Read a table from a JSON file: a vector file or ``{"identity": {...}}``, or a bare object."""
        source = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as err:
            raise IdentityFileError(f"{source}: cannot read: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise IdentityFileError(f"{source}: not UTF-8 text (byte {err.start})") from None
        except json.JSONDecodeError as err:
            raise IdentityFileError(f"{source}:{err.lineno}: not JSON: {err.msg}") from None
        except RecursionError:
            raise IdentityFileError(f"{source}: nested too deeply to be an identity table") from None
        return cls.from_json(data, strict=strict, source=source)

    @classmethod
    def from_json(cls, data: Any, *, strict: bool = False, source: str = "identity") -> IdentityTable:
        if isinstance(data, dict) and isinstance(data.get("identity"), dict):
            data = data["identity"]
        if not isinstance(data, dict):
            raise IdentityFileError(f"{source}: expected a JSON object of identity hashes")
        try:
            return cls(data, strict=strict)
        except ValueError as err:
            raise IdentityFileError(f"{source}: {err}") from None

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"identity": self.known()}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the known entries as ``{"identity": {...}}``, keys sorted, one per line."""
        try:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, indent=1, sort_keys=True)
                fh.write("\n")
        except OSError as err:
            raise FileError.from_os_error(path, err, "cannot write the identity table") from None


_DEFAULT_TABLE = IdentityTable()
_CURRENT: ContextVar[IdentityTable | None] = ContextVar("aurorakit_identity", default=None)


def current_identity() -> IdentityTable:
    """The table hashing uses when none is passed: set by :func:`use_identity`, else the default."""
    table = _CURRENT.get()
    return _DEFAULT_TABLE if table is None else table


@contextmanager
def use_identity(table: IdentityTable) -> Iterator[IdentityTable]:
    """Within the block (and this thread or task), hash with ``table``."""
    token = _CURRENT.set(table)
    try:
        yield table
    finally:
        _CURRENT.reset(token)
