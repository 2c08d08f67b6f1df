"""What ``OLD`` and ``NEW`` of ``aurorakit diff`` name: an IDL file, or an Aurora release.

The one place the Aurora application reads IDLs through codegen (imported by
``aurorakit diff`` only, so no other command loads thriftpy2).

A release (``0.19``, ``0.24.2``) stands for the ``api.thrift`` aurorakit ships
for it (``thrift/aurora/<schema>/api.thrift``), found through the release
registry; locations then name that file relative to the project.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from aurorakit.codegen.evolution.notes import Side
from aurorakit.codegen.evolution.schema import Schema, load_schema

from .releases import RELEASES, SCHEMAS, release


def _shipped_idl(schema: str) -> Path:
    """The IDL file shipped as package data of ``aurorakit.thrift`` (the project's thrift/ folder)."""
    return Path(str(files("aurorakit.thrift").joinpath("aurora", schema, "api.thrift")))


def release_side(name: str) -> Side:
    """The shipped IDL of the release ``name`` (ReleaseError when aurorakit does not know it)."""
    found = release(name)
    shown = f"thrift/aurora/{found.schema}/api.thrift"
    return Side(found.version, _shipped_idl(found.schema), shown)


def load_side(spec: str, include_dirs: Sequence[str] = ()) -> Schema:
    """``spec`` as a path when it looks like one (a file or a name ending .thrift), else a release."""
    if spec.endswith(".thrift") or os.sep in spec or os.path.exists(spec):
        return load_schema(spec, include_dirs=include_dirs)
    side = release_side(spec)
    return load_schema(side.idl, label=f"Aurora {side.label}", shown_as=side.shown_as)


def adjacent_releases() -> list[Side]:
    """One side per distinct api.thrift, oldest first, labelled with the releases it covers."""
    sides = []
    for schema in SCHEMAS:
        versions = [v for v, r in RELEASES.items() if r.schema == schema]
        label = versions[0] if len(versions) == 1 else f"{versions[0]}-{versions[-1]}"
        side = release_side(versions[0])
        sides.append(Side(label, side.idl, side.shown_as))
    return sides
