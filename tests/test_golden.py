"""Golden snapshots: what the edge-case IDLs of tests/idl/ generate is checked in under tests/golden/.

A change to a template or to the decide stage shows as a reviewable diff of
these files; regenerate them with ``python tests/golden/regenerate.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from aurorakit.codegen import render_idl

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("regenerate_golden", GOLDEN / "regenerate.py")
assert _spec is not None and _spec.loader is not None
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)
HOW = "regenerate with: python tests/golden/regenerate.py (and review git diff tests/golden)"


@pytest.mark.parametrize("package", sorted(regenerate.SNAPSHOTS))
def test_snapshot_matches_the_generator_byte_for_byte(package: str) -> None:
    idl, include_dirs = regenerate.SNAPSHOTS[package]
    fresh = render_idl(idl, package, include_dirs)
    root = GOLDEN / package
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert on_disk == set(fresh), f"tests/golden/{package} has other files; {HOW}"
    stale = [rel for rel, text in sorted(fresh.items()) if (root / rel).read_bytes() != text.encode("utf-8")]
    assert not stale, f"tests/golden/{package}: {', '.join(stale)} differ; {HOW}"


def test_every_edge_case_idl_has_a_snapshot() -> None:
    snapshotted = {idl for idl, _ in regenerate.SNAPSHOTS.values()}
    roots = {p for p in (GOLDEN.parent / "idl").rglob("*.thrift") if p.parent.name != "shared" and p.name != "common.thrift"}
    assert roots == snapshotted  # shared/ and common.thrift are included by kitchen.thrift: inside its snapshot
