"""Stage 4: write a rendered package to disk, or check that what is there is current."""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType

from aurorakit.runtime.errors import FileError

from .build import build_module
from .errors import IdlError
from .idl import load_idl
from .render import HEADER_START, render_package

_PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # used with fullmatch: "$" also matches before "\n"
_MARK = HEADER_START.encode("utf-8")


Stage = Callable[[str], None]  # told the name of each stage as it starts ("parse", "model", "render", "write")
STAGES = ("parse", "model", "render", "write")


def render_idl(idl: str | os.PathLike[str], package: str,
               include_dirs: Sequence[str | os.PathLike[str]] = (), stage: Stage | None = None) -> dict[str, str]:
    """``{relative path: text}`` of the package generated from ``idl``."""
    tell = stage or (lambda name: None)
    if not _PACKAGE_NAME.fullmatch(package):
        raise IdlError(f"package name {package!r} is not a Python identifier", os.fspath(idl))
    tell("parse")
    loaded = load_idl(idl, include_dirs)
    tell("model")
    module = build_module(loaded)
    tell("render")
    return render_package(module, package)


def generate_package(idl: str | os.PathLike[str], package: str, out: str | os.PathLike[str],
                     include_dirs: Sequence[str | os.PathLike[str]] = (), stage: Stage | None = None) -> list[str]:
    """Generate ``out/package`` from ``idl``; the paths written or removed ([] when it was current).

    The whole package is written to a temporary folder beside it and swapped
    in by renaming, so a failed or interrupted run leaves the old package as it
    was. Files an earlier run generated (they begin with the generator's
    header) and this one does not make are left out of the new package;
    other files in the package folder are kept.
    """
    files = {rel: text.encode("utf-8") for rel, text in render_idl(idl, package, include_dirs, stage).items()}
    if stage is not None:
        stage("write")
    out_dir = os.fspath(out)
    root = os.path.join(out_dir, package)
    kept, removed = _old_files(root, files)
    changed = [os.path.join(root, rel) for rel, data in files.items() if _read(os.path.join(root, rel)) != data]
    if not changed and not removed:
        return []
    try:
        os.makedirs(out_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{package}.", dir=out_dir)
    except OSError as err:
        raise FileError.from_os_error(out_dir, err, "cannot write the generated package here") from None
    try:
        os.chmod(staging, 0o777 & ~_umask())
        for rel, data in files.items():
            _write(os.path.join(staging, rel), data)
        for rel in kept:
            _write(os.path.join(staging, rel), _read(os.path.join(root, rel)) or b"")
        _swap(staging, root)
    except OSError as err:
        raise FileError.from_os_error(root, err, "cannot write the generated package") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(changed + removed)


def _old_files(root: str, files: dict[str, bytes]) -> tuple[list[str], list[str]]:
    """Files of an existing package that regenerating keeps (not ours) and removes (ours, no longer made)."""
    kept, removed = [], []
    for rel in _files_under(root):
        if rel in files:
            continue
        if _is_generated(os.path.join(root, rel)):
            removed.append(os.path.join(root, rel))
        else:
            kept.append(rel)
    return kept, removed


def _files_under(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith(".pyc"):
                found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
    return found


def _is_generated(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_MARK)) == _MARK
    except OSError:
        return False


def _write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def _swap(staging: str, root: str) -> None:
    """Put ``staging`` where ``root`` is, by two renames that Ctrl-C cannot come between."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        if os.path.isdir(root):
            old = staging + ".old"
            os.rename(root, old)
            try:
                os.rename(staging, root)
            except OSError:
                os.rename(old, root)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, root)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@dataclass
class CheckResult:
    """What differs between a generated package on disk and a fresh generation."""

    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # generated earlier, no longer made: regenerating removes them

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.extra)


def check_package(idl: str | os.PathLike[str], package: str, out: str | os.PathLike[str],
                  include_dirs: Sequence[str | os.PathLike[str]] = (), stage: Stage | None = None) -> CheckResult:
    """Compare ``out/package`` with what ``idl`` generates, byte for byte: what regenerating would change."""
    files = {rel: text.encode("utf-8") for rel, text in render_idl(idl, package, include_dirs, stage).items()}
    root = os.path.join(os.fspath(out), package)
    result = CheckResult()
    for rel, data in files.items():
        on_disk = _read(os.path.join(root, rel))
        if on_disk is None:
            result.missing.append(os.path.join(root, rel))
        elif on_disk != data:
            result.stale.append(os.path.join(root, rel))
    result.extra = _old_files(root, files)[1]
    return result


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
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
