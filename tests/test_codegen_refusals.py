"""The generator refuses or succeeds: an IDL thriftpy2 loads either generates code
that imports and round-trips, or gives one IdlError naming the file and line.
Lines and messages are written by hand."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from aurorakit.codegen import IdlError, render_idl
from aurorakit.runtime.codec import decode, encode
from aurorakit.runtime.errors import AurorakitError
from aurorakit.runtime.hashing import java_hash
from conftest import ImportGenerated


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def nested_type(depth: int) -> str:
    text = "i32"
    for _ in range(depth):
        text = f"list<{text}>"
    return text


# (IDL text, the line the error must name, words the message must contain)
REFUSED = {
    "dunder struct name": ("""
        struct Fine {
          1: i32 x
        }
        struct __x__ {
          1: i32 y
        }
        """, 4, "struct name __x__: names starting with '_' are reserved"),
    "dunder field name": ("""
        struct A {
          1: i32 x
          2: i32 __x__
        }
        """, 3, "field A.__x__: dunder names like __x__ are Python's own"),
    "dunder enum member": ("""
        enum E {
          A = 1,
          __B__ = 2
        }
        """, 3, "enum E member __B__: names starting with '_'"),
    "sunder enum member": ("""
        enum E {
          _missing_ = 1
        }
        """, 2, "enum E member _missing_"),
    "dunder method": ("""
        service S {
          void ok(),
          i32 __init__(1: i32 a)
        }
        """, 3, "method S.__init__: dunder names"),
    "dunder argument": ("""
        service S {
          void f(1: i32 __a__)
        }
        """, 2, "argument __a__ of S.f: dunder names"),
    "name reserved for generated code": ("""
        struct _cs {
          1: i32 x
        }
        """, 1, "struct name _cs: names starting with '_' are reserved for generated code"),
    "struct named like a builtin": ("""
        struct Fine {
          1: i32 x
        }

        struct str {
          1: i32 y
        }
        """, 5, "struct name str would shadow Python's builtin str"),
    "enum named like a builtin": ("""
        enum Exception {
          A = 1
        }
        """, 1, "enum name Exception would shadow Python's builtin"),
    "struct named like the package's types module": ("""
        struct types {
          1: i32 x
        }
        """, 1, "struct name types is taken by the generated package's own types"),
    "union named like the package's gson module": ("""
        union gson {
          1: i32 x
        }
        """, 1, "union name gson is taken by the generated package's own gson"),
    "enum named like the package's enums module": ("""
        enum enums {
          A = 1
        }
        """, 1, "enum name enums is taken by the generated package's own enums"),
    "struct named like the package's constants module": ("""
        struct constants {
          1: i32 x
        }
        """, 1, "struct name constants is taken by the generated package's own constants"),
    "exception named like the package's services module": ("""
        exception services {
          1: i32 x
        }
        """, 1, "exception name services is taken by the generated package's own services"),
    "constant named like the package's IDL_FILE": ("""
        const string IDL_FILE = "x"
        """, 1, "constant name IDL_FILE is taken by the generated package's own IDL_FILE"),
    "exception named like a standard library module": ("""
        exception json {
          1: string message
        }
        """, 1, "exception name json would shadow the standard library module json"),
    "service named like a standard library module": ("""
        service typing {
          void f()
        }
        """, 1, "service name typing would shadow the standard library module typing"),
    "enum member hiding an int attribute": ("""
        enum E {
          A = 1,
          real = 2
        }
        """, 3, "enum E member real would hide the attribute real"),
    "two definitions with one Python name": ("""
        struct class_ {
          1: i32 x
        }
        struct class {
          1: i32 y
        }
        """, 4, "struct class would be the Python name class_, as struct class_ is (line 1)"),
    "two enum members with one Python name": ("""
        enum E {
          None_ = 1,
          None = 2
        }
        """, 3, "enum E members None_ and None would both be the Python name None_"),
    "field name reserved for generated code": ("""
        struct A {
          1: i32 x
          2: i32 _ts
        }
        """, 3, "field A._ts: names starting with '_' are reserved for generated code"),
    "a struct and a container with one helper name": ("""
        struct list_i32 {
          1: i32 x
        }
        struct B {
          1: list_i32 fine
          2: list<i32> clash
        }
        """, 6, "types list_i32 and list<i32> would share the generated name list_i32"),
    "two maps with one helper name": ("""
        enum a {
          X = 1
        }
        enum a_b {
          Y = 1
        }
        struct c {
          1: i32 x
        }
        struct b_c {
          1: i32 x
        }
        struct M {
          1: map<a_b, c> first
          2: map<a, b_c> second
        }
        """, 15, "types map<a_b,c> and map<a,b_c> would share the generated name map_a_b_c"),
    "two defaults with one factory name": ("""
        struct P {
          1: i32 x
        }
        struct A_b {
          1: P c = {"x": 1}
        }
        struct A {
          1: P b_c = {"x": 2}
        }
        """, 8, "the defaults of A_b.c and A.b_c would share the generated name _default_A_b_c"),
    "union arms with one setField": ("""
        union U {
          1: i32 fooBar
          2: string foo_bar
        }
        """, 3, "union U arms fooBar and foo_bar would both be written with setField FOO_BAR"),
    "duplicate enum value": ("""
        enum Colour {
          RED = 1,
          GREEN = 2,
          CRIMSON = 1
        }
        """, 4, "enum Colour gives CRIMSON the value 1 of RED"),
    "enum value above i32": ("""
        enum E {
          A = 2147483647,
          B = 2147483648
        }
        """, 3, "enum E member B = 2147483648 is out of range for i32"),
    "enum value below i32": ("""
        enum E {
          A = -2147483649
        }
        """, 2, "enum E member A = -2147483649 is out of range for i32"),
    "field id above i16": ("""
        struct A {
          32767: i32 x
          32768: i32 y
        }
        """, 3, "field id 32768 of A.y is out of range for i16"),
    "field id below i16": ("""
        struct A {
          -32769: i32 x
        }
        """, 2, "field id -32769 of A.x is out of range for i16"),
    "argument id above i16": ("""
        service S {
          void f(1: i32 a, 70000: i32 b)
        }
        """, 2, "field id 70000 of S.f.b is out of range for i16"),
    "type nested 65 levels": (f"""
        struct A {{
          1: i32 x
          2: {nested_type(65)} deep
        }}
        """, 3, "the type of field A.deep nests 65 levels deep; generated code can hold at most 64"),
    "constant type nested 200 levels": (f"""
        const {nested_type(200)} C = []
        """, 1, "the type of constant C nests 200 levels deep"),
    "brackets nested 1,000 levels": (f"""
        struct A {{
          1: i32 x
        }}
        const {nested_type(1000)} C = []
        """, 4, "brackets nest more than 200 levels deep here"),
}
AT_THE_LIMIT = f"const list<i32> FLAT = [1]\nconst {nested_type(64)} C = []\n"


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_idl_names_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, words = REFUSED[case]
    idl = write(tmp_path, "refused.thrift", text)
    with pytest.raises(IdlError) as caught:
        render_idl(idl, "refused")
    err = caught.value
    assert (err.path, err.line) == (str(idl), line), str(err)
    assert words in err.message, err.message
    assert str(err) == f"{idl}:{line}: {err.message}"
    assert isinstance(err, AurorakitError)


def test_struct_constant_nested_past_the_limit_is_refused(tmp_path: Path) -> None:
    chain = "".join(f"struct S{i} {{\n  1: S{i + 1} x\n}}\n" for i in range(70)) + "struct S70 {\n  1: i32 y\n}\n"
    value = '{"y": 1}'
    for _ in range(70):
        value = '{"x": ' + value + "}"
    idl = write(tmp_path, "chain.thrift", chain + "const S0 K = " + value + "\n")
    with pytest.raises(IdlError) as caught:
        render_idl(idl, "chain")
    assert (caught.value.path, caught.value.line) == (str(idl), 214)
    assert caught.value.message == "the value of constant K nests 71 levels deep; generated code can hold at most 64"


def test_include_outside_the_allowed_folders_is_refused(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere", "other.thrift", "struct O {\n  1: i32 a\n}\n")
    relative = write(tmp_path / "api", "up.thrift", '// first line\ninclude "../elsewhere/other.thrift"\n')
    absolute = write(tmp_path / "api", "abs.thrift", f'include "{tmp_path / "elsewhere" / "other.thrift"}"\n')
    os.symlink(tmp_path / "elsewhere" / "other.thrift", tmp_path / "api" / "link.thrift")
    linked = write(tmp_path / "api", "linked.thrift", '// a link\n// to a file\n// elsewhere\ninclude "link.thrift"\n')
    for idl, line in ((relative, 2), (absolute, 1), (linked, 4)):
        with pytest.raises(IdlError) as caught:
            render_idl(idl, "outside")
        assert (caught.value.path, caught.value.line) == (str(idl), line), str(caught.value)
        assert caught.value.message.startswith("include '")
        assert f"resolves to {tmp_path / 'elsewhere' / 'other.thrift'}, outside the IDL's folder" in caught.value.message
    # Named as an include folder, the same file is allowed.
    assert "other/types.py" in render_idl(relative, "outside", include_dirs=[tmp_path / "elsewhere"])


def test_what_is_at_the_limits_generates_and_round_trips(tmp_path: Path, import_generated: ImportGenerated) -> None:
    idl = write(tmp_path, "limits.thrift", f"""
        enum E {{
          LOWEST = -2147483648,
          HIGHEST = 2147483647
        }}
        union U {{
          1: i32 fooBar
          2: string foo
        }}
        exception Oops {{
          1: string message
          2: i32 code
        }}
        struct Wide {{
          -32768: i32 low
          32767: E high
          3: {nested_type(64)} deep
          4: U u
          5: i32 from
          6: string Str
        }}
        """)
    limits = import_generated(idl, "limits_pkg")
    deep: object = 5
    for _ in range(64):
        deep = [deep]
    wide = limits.Wide(low=-1, high=limits.E.HIGHEST, deep=deep, u=limits.U(fooBar=3), from_=7, Str="s")
    text = encode(wide)
    assert text.startswith('{"cachedHashCode":0,"low":-1,"high":"HIGHEST","deep":' + "[" * 64 + "5" + "]" * 64)
    assert text.endswith(',"u":{"cachedHashCode":0,"setField":"FOO_BAR","value":3},"from":7,"Str":"s"}')
    assert decode(limits.Wide, text) == wide
    oops = limits.Oops(message="bad", code=3)
    text = encode(oops)
    assert text == '{"cachedHashCode":0,"message":"bad","code":3}'
    again = decode(limits.Oops, text)
    assert again == oops and isinstance(again, Exception)
    # Objects.hash("bad", 3) = 31 * (31 * 1 + "bad".hashCode()) + 3, "bad".hashCode() = 98*31^2 + 97*31 + 100 = 97285
    assert java_hash(again, {}) == 31 * (31 + 97285) + 3 == 3016799
    with pytest.raises(limits.Oops):
        raise again


def test_a_constant_at_the_depth_limit_generates(tmp_path: Path, import_generated: ImportGenerated) -> None:
    value = "[" * 64 + "1" + "]" * 64
    idl = write(tmp_path, "deepconst.thrift", AT_THE_LIMIT.replace("C = []", f"C = {value}"))
    deep = import_generated(idl, "deepconst_pkg")
    item = deep.C
    for _ in range(64):
        assert type(item) is tuple and len(item) == 1
        item = item[0]
    assert item == 1


@pytest.mark.parametrize("name", ["__x__", "a-b", "1x", "_y"])
def test_included_file_names_that_cannot_name_a_module_are_refused(tmp_path: Path, name: str) -> None:
    write(tmp_path, f"{name}.thrift", "struct I {\n  1: i32 a\n}\n")
    top = write(tmp_path, "top.thrift", f'// first\ninclude "{name}.thrift"\nstruct T {{\n  1: i32 b\n}}\n')
    with pytest.raises(IdlError) as caught:
        render_idl(top, "top")
    assert (caught.value.path, caught.value.line) == (str(top), 2)
    assert caught.value.message == (f"included file {name}.thrift: generated packages name an included module by "
                                    "its file name, which must be a Python identifier not starting with '_'")


def test_names_that_met_generated_code_generate_and_round_trip(tmp_path: Path,
                                                              import_generated: ImportGenerated) -> None:
    # Found by generating random IDLs: a struct named like a keyword (its helpers
    # were named two ways), types named like a decoder's locals, a union arm named
    # like its union, an enum named v, and a field named self (thriftpy2 silently
    # dropped every definition after it).
    idl = write(tmp_path, "clash.thrift", """
        enum v {
          A = 1
        }
        struct class {
          1: i32 x
        }
        struct o {
          1: class c
          2: v e
        }
        struct err {
          1: list<o> items
          2: map<string, class> by_name
        }
        union Choice {
          1: i32 Choice
          2: err other
        }
        struct Last {
          1: i32 self
          2: Choice choice
        }
        """)
    clash = import_generated(idl, "clash_pkg")
    inner = clash.o(c=clash.class_(x=4), e=clash.v.A)
    outer = clash.Last(self_=9, choice=clash.Choice(other=clash.err(items=[inner], by_name={"k": clash.class_(x=5)})))
    text = encode(outer)
    assert text == ('{"cachedHashCode":0,"self":9,"choice":{"cachedHashCode":0,"setField":"OTHER","value":'
                    '{"cachedHashCode":0,"items":[{"cachedHashCode":0,"c":{"cachedHashCode":0,"x":4},"e":"A"}],'
                    '"by_name":{"k":{"cachedHashCode":0,"x":5}}}}}')
    assert decode(clash.Last, text) == outer
    assert decode(clash.Choice, '{"cachedHashCode":0,"setField":"CHOICE","value":3}') == clash.Choice(Choice=3)
    java_hash(outer, {"v.A": 77, "Choice._Fields.OTHER": 5})
    assert decode(clash.Last, encode(outer)) == outer


def test_a_field_named_cached_hash_code_is_refused(tmp_path: Path) -> None:
    idl = write(tmp_path, "hash.thrift", "struct A {\n  1: i32 x\n  2: i32 cachedHashCode\n}\n")
    with pytest.raises(IdlError) as caught:
        render_idl(idl, "hash")
    assert (caught.value.line, caught.value.message) == (
        3, "field A.cachedHashCode: Gson writes every object's cached hash under that name")


def test_fields_named_like_public_members_and_includes_named_like_modules_are_renamed(
        tmp_path: Path, import_generated: ImportGenerated) -> None:
    write(tmp_path, "constants.thrift", "struct I {\n  1: i32 a\n}\n")
    members = ["self", "set_field", "field_value", "replace", "to_thrift", "from_thrift", "to_gson", "from_gson"]
    fields = "".join(f"  {n}: string {name}\n" for n, name in enumerate(members, 1))
    idl = write(tmp_path, "top.thrift", f'include "constants.thrift"\nstruct R {{\n{fields}  9: constants.I inc\n}}\n')
    top = import_generated(idl, "public_members_pkg")
    assert [spec.attr for spec in top.R._fields] == [name + "_" for name in members] + ["inc"]
    r = top.R(to_gson_="g", inc=top.constants_thrift.I(a=1))
    assert r.to_gson() == '{"cachedHashCode":0,"to_gson":"g","inc":{"cachedHashCode":0,"a":1}}'
    assert top.R.from_gson(r.to_gson()) == r and r.replace(self_="s").self_ == "s"
