"""Stage 4: write a rendered package to disk, or check that what is there is current."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType

from .build import build_module
from .errors import IdlError
from .idl import load_idl
from .render import render_package

_PACKAGE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render_idl(idl: str | os.PathLike[str], package: str,
               include_dirs: Sequence[str | os.PathLike[str]] = ()) -> dict[str, str]:
    """``{relative path: text}`` of the package generated from ``idl``."""
    if not _PACKAGE_NAME.match(package):
        raise IdlError(f"package name {package!r} is not a Python identifier", os.fspath(idl))
    return render_package(build_module(load_idl(idl, include_dirs)), package)


def generate_package(idl: str | os.PathLike[str], package: str, out: str | os.PathLike[str],
                     include_dirs: Sequence[str | os.PathLike[str]] = ()) -> list[str]:
    """Generate ``out/package`` from ``idl``; returns the paths written (only changed files are rewritten)."""
    files = render_idl(idl, package, include_dirs)
    root = os.path.join(os.fspath(out), package)
    written = []
    for rel, text in files.items():
        path = os.path.join(root, rel)
        data = text.encode("utf-8")
        if _read(path) == data:
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        written.append(path)
    return written


@dataclass
class CheckResult:
    """What differs between a generated package on disk and a fresh generation."""

    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.extra)


def check_package(idl: str | os.PathLike[str], package: str, out: str | os.PathLike[str],
                  include_dirs: Sequence[str | os.PathLike[str]] = ()) -> CheckResult:
    """Compare ``out/package`` with what ``idl`` generates, byte for byte."""
    files = render_idl(idl, package, include_dirs)
    root = os.path.join(os.fspath(out), package)
    result = CheckResult()
    for rel, text in files.items():
        on_disk = _read(os.path.join(root, rel))
        if on_disk is None:
            result.missing.append(os.path.join(root, rel))
        elif on_disk != text.encode("utf-8"):
            result.stale.append(os.path.join(root, rel))
    if os.path.isdir(root):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                if rel not in files and not name.endswith(".pyc"):
                    result.extra.append(os.path.join(root, rel))
    return result


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def import_models(idl: str | os.PathLike[str], include_dirs: Sequence[str | os.PathLike[str]] = ()) -> ModuleType:
    """Generate models from ``idl`` into a private temporary folder and import them."""
    files = render_idl(idl, "_placeholder", include_dirs)
    digest = hashlib.sha256("".join(files.values()).encode("utf-8")).hexdigest()[:12]
    package = f"aurorakit_models_{digest}"
    if package in sys.modules:
        return sys.modules[package]
    root = tempfile.mkdtemp(prefix="aurorakit-models-")
    generate_package(idl, package, root, include_dirs)
    sys.path.insert(0, root)
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(root)
