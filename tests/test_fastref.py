"""codegen/fastref.py's parser reads every IDL exactly as thriftpy2's own parser does.

The fast rule only changes how a type reference is looked up, so the model
built from either parse must be equal, field by field, for the Aurora IDLs
(forward references, typedefs) and the edge-case IDLs (includes and dotted
references, constants referring to enums of included files).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from aurorakit.codegen import fastref
from aurorakit.codegen.build import build_module
from aurorakit.codegen.idl import load_idl

REPO = Path(__file__).resolve().parent.parent
IDLS = sorted(
    {
        *REPO.glob("thrift/aurora/0.1[48]/api.thrift"),
        *REPO.glob("thrift/aurora/0.2[27]/api.thrift"),
        *(REPO / "tests" / "idl").glob("*/*.thrift"),
    }
)


@pytest.mark.parametrize("idl", IDLS, ids=lambda p: str(p.relative_to(REPO)))
def test_fast_parser_builds_the_same_model_as_thriftpy2s(idl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = build_module(load_idl(idl, [REPO / "tests" / "idl" / "shared"]))
    monkeypatch.setattr(fastref, "usable", lambda: False)
    slow = build_module(load_idl(idl, [REPO / "tests" / "idl" / "shared"]))
    assert fast == slow


def test_the_fast_parser_is_the_one_used() -> None:
    assert fastref.usable(), "thriftpy2's ref_type rule changed: fastref no longer applies"
    calls = []
    original = fastref.p_ref_type

    @functools.wraps(original)  # ply reads the grammar rule from the docstring
    def counting(p: object) -> None:
        calls.append(1)
        original(p)

    fastref.p_ref_type = counting  # type: ignore[assignment]
    try:
        load_idl(REPO / "tests" / "idl" / "edges" / "edges.thrift")
    finally:
        fastref.p_ref_type = original
    assert calls, "load_idl did not parse with fastref's rule"


def test_a_forward_reference_is_resolved_like_thriftpy2_does(tmp_path: Path) -> None:
    idl = tmp_path / "fwd.thrift"
    idl.write_text("struct A { 1: B b, 2: list<B> bs }\nstruct B { 1: i32 x }\n", encoding="utf-8")
    module = load_idl(idl)
    spec = module.A.thrift_spec
    assert spec[1][2] is module.B and spec[2][2][1] is module.B
