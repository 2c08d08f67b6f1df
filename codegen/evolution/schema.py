"""One side of a diff: an IDL's intermediate model, where its parts are declared, and its name."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from .. import model as m
from ..build import build_module
from ..idl import load_idl
from .locate import LineIndex


class Place(NamedTuple):
    """A declaration's file and line; ``old`` marks a place in OLD (a removal)."""

    file: str
    line: int | None
    old: bool

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class Schema:
    """An IDL loaded for comparison; ``label`` names it in reports (a path as given, or a release)."""

    def __init__(self, module: m.Module, label: str, file_names: dict[str, str], *, old: bool = False) -> None:
        self.module = module
        self.label = label
        self.old = old
        self._files = file_names  # Thrift module name -> the file name shown in locations
        self._index = {mod.name: LineIndex(Path(mod.path).read_text(encoding="utf-8"))
                       for mod in module.all_modules()}

    def as_old(self) -> Schema:
        twin = Schema.__new__(Schema)
        twin.__dict__.update(self.__dict__, old=True)
        return twin

    def definitions(self) -> dict[str, m.Struct | m.Enum]:
        """Every struct, union, exception and enum; those of included files as ``module.Name``."""
        found: dict[str, m.Struct | m.Enum] = {}
        for mod in self.module.all_modules():
            prefix = "" if mod is self.module else f"{mod.name}."
            for enum in mod.enums:
                found[prefix + enum.name] = enum
            for struct in mod.structs:
                found[prefix + struct.name] = struct
        return found

    def typedefs(self) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        for mod in self.module.all_modules():
            prefix = "" if mod is self.module else f"{mod.name}."
            found.update({prefix + name: value for name, value in self._index[mod.name].typedefs.items()})
        return found

    def where(self, symbol: str, fallback: str | None = None) -> Place:
        """The place ``symbol`` is declared (``Struct``, ``Struct.<id>``, ``Enum.VALUE``, ...)."""
        module, key = self.module.name, symbol
        first = symbol.split(".", 1)[0]
        if first in self._index and first != self.module.name and "." in symbol:
            module, key = first, symbol.split(".", 1)[1]
        line = self._index[module].line(key)
        if line is None and fallback is not None:
            line = self._index[module].line(fallback)
        return Place(self._files[module], line, self.old)


def load_schema(path: str | os.PathLike[str], *, label: str | None = None,
                include_dirs: Sequence[str | os.PathLike[str]] = (), shown_as: str | None = None) -> Schema:
    """Load the IDL at ``path``; locations name it ``shown_as`` (default: the path as given)."""
    module = build_module(load_idl(path, include_dirs))
    root_shown = shown_as if shown_as is not None else os.fspath(path)
    base = os.path.dirname(root_shown)
    files = {mod.name: (root_shown if mod is module else _shown(mod.path, module.path, base))
             for mod in module.all_modules()}
    return Schema(module, label or root_shown, files)


def _shown(path: str, root: str, base: str) -> str:
    """An included file's name relative to the root IDL's folder, joined to how the root was named."""
    rel = os.path.relpath(path, os.path.dirname(root))
    return os.path.join(base, rel) if base else rel
