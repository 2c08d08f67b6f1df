"""generated/ holds exactly what the generator makes from the checked-in Aurora IDLs."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from aurorakit.codegen import generate_package

REPO = Path(__file__).resolve().parent.parent
RELEASES = ("0.14", "0.15", "0.16", "0.17", "0.18", "0.19", "0.20", "0.21", "0.22", "0.27")
PACKAGES = {f"aurora_{release.replace('.', '_')}": f"thrift/aurora/{release}/api.thrift" for release in RELEASES}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_checked_in_package_is_current(tmp_path: Path, package: str) -> None:
    idl = PACKAGES[package]
    generate_package(REPO / idl, package, tmp_path)
    fresh, checked_in = tmp_path / package, REPO / "generated" / package
    how = f"regenerate with: aurorakit codegen {idl} --package {package} --out generated"
    assert files_under(checked_in) == files_under(fresh), f"generated/{package} has other files; {how}"
    stale = [rel for rel in sorted(files_under(fresh))
             if not filecmp.cmp(fresh / rel, checked_in / rel, shallow=False)]
    assert not stale, f"generated/{package}: {', '.join(stale)} out of date; {how}"


def test_every_generated_package_is_checked() -> None:
    found = {p.name for p in (REPO / "generated").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert found == set(PACKAGES)
