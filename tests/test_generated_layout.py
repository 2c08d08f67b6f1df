"""How generated classes are laid out, written out by hand (issue 11: code that reads as hand-written).

The golden snapshots show every layout change as a diff; these say which
layout is the rule: undocumented fields sit together, a documented field
is set off by blank lines with its docstring below it, and a class whose
IDL has no doc gets no docstring.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from aurorakit.codegen import render_idl

IDL = """\
struct S {
  1: i32 a
  2: i32 b
  /** The third. */
  3: i32 c
  4: i32 d
}
"""

FIELDS = '''\
class S(_st.ThriftStruct):
    __slots__ = ("_jhash", "_json", "_pyhash", "a", "b", "c", "d")

    a: int
    b: int

    c: int
    """The third."""

    d: int

    def __init__(
'''


def test_only_a_documented_field_is_set_off_by_blank_lines(tmp_path: Path) -> None:
    idl = tmp_path / "layout.thrift"
    idl.write_text(IDL, encoding="utf-8")
    types = render_idl(idl, "layout")["types.py"]
    start = types.index("class S(")
    assert types[start:start + len(FIELDS)] == FIELDS, textwrap.indent(types[start:start + 400], "| ")
