"""A broken IDL gives one clear error naming the file and line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from aurorakit.codegen import IdlError, render_idl
from aurorakit.runtime.cli.main import main as cli_main


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# (IDL text, the line the error must name, words the message must contain)
BROKEN = {
    "grammar error": ("""
        struct A {
          1: i32 x
          2: map<i32> y
        }
        """, 3, "unexpected '>'"),
    "unclosed brace": ("""
        struct A {
          1: i32 x

        """, 3, "end of the file"),
    "unknown type": ("""
        struct A {
          1: i32 x
          2: Missing y
        }
        """, 3, "Missing"),
    "duplicate field id": ("""
        struct A {
          1: i32 x
        }

        struct B {
          1: i32 x
          2: i32 y
          2: string z
        }
        """, 8, "2:z"),
    "duplicate field id after an annotated field": ("""
        struct A {
          1: i32 x (note = "n")
          1: i32 y
        }
        """, 3, "1:y"),
    "duplicate field name": ("""
        struct A {
          1: i32 x
          2: list<i32> x
        }
        """, 3, "2:x"),
    "duplicate argument id": ("""
        service S {
          void f(1: i32 a,
                 1: i32 b)
        }
        """, 3, "1:b"),
    "duplicate method": ("""
        service S {
          void f()
          i32 g(1: i32 f)
          void f(1: i32 a)
        }
        """, 4, "f"),
    "duplicate type": ("""
        struct A {
          1: i32 x
        }
        union A {
          1: i32 y
        }
        """, 4, "A"),
    "duplicate struct": ("""
        struct B {
          1: i32 x
        }
        struct A {
          1: i32 x
        }
        struct A {
          1: i32 y
        }
        """, 7, "A"),
    "missing include": ("""
        // A comment first, so the include is not on line 1.
        include "nowhere.thrift"

        struct A {
          1: i32 x
        }
        """, 2, "nowhere.thrift"),
    "bad const type": ("""
        const i32 GOOD = 1
        const i32 BAD = "text"
        """, 2, "BAD"),
    "bad default type": ("""
        struct A {
          1: string s = "ok"
          2: i32 x = "text"
        }
        """, 3, "x"),
    "const out of range": ("""
        const i16 SMALL = 32767
        const byte TOO_BIG = 128
        """, 2, "128 is out of range for byte"),
    "default out of range": ("""
        struct A {
          1: list<i32> xs = [1, 2147483648]
        }
        """, 2, "2147483648 is out of range for i32"),
    "value not in enum": ("""
        enum E {
          A = 1
        }
        const E X = 5
        """, 4, "enum E"),
    "unknown field in struct const": ("""
        struct P {
          1: i32 x
        }
        const P ORIGIN = {"x": 0,
                          "y": 0}
        """, 5, "'y'"),
    "type defined twice": ("""
        struct A {
          1: i32 x
        }
        enum A {
          X = 1
        }
        """, 4, "A is defined twice"),
    "enum member repeated": ("""
        enum Colour {
          RED = 1,
          /** A doc comment between members. */
          GREEN = 2,
          RED = 3
        }
        """, 5, "two members named RED"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_idl_error_names_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, words = BROKEN[case]
    idl = write(tmp_path, "broken.thrift", text)
    with pytest.raises(IdlError) as caught:
        render_idl(idl, "broken")
    err = caught.value
    assert (err.path, err.line) == (str(idl), line), str(err)
    assert words in err.message
    assert str(err) == f"{idl}:{line}: {err.message}"


def test_error_inside_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "inner.thrift", """
        struct Inner {
          1: i32 x

          2: list<i32 y
        }
        """)
    outer = write(tmp_path, "outer.thrift", """
        include "inner.thrift"

        struct Outer {
          1: inner.Inner inner
        }
        """)
    with pytest.raises(IdlError) as caught:
        render_idl(outer, "outer")
    assert caught.value.path == str(tmp_path / "inner.thrift")
    assert caught.value.line == 4


def test_error_two_includes_deep_names_the_deepest_file(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib", "deepest.thrift", """
        enum Colour {
          RED = 1
          RED = 2
        }
        """)
    write(tmp_path, "middle.thrift", 'include "deepest.thrift"\n')
    top = write(tmp_path, "top.thrift", 'include "middle.thrift"\n')
    with pytest.raises(IdlError) as caught:
        render_idl(top, "top", include_dirs=[tmp_path / "lib"])
    assert (caught.value.path, caught.value.line) == (str(tmp_path / "lib" / "deepest.thrift"), 3)


def test_unusable_arguments_are_idl_errors(tmp_path: Path) -> None:
    good = write(tmp_path, "ok.thrift", "struct A {\n  1: i32 x\n}\n")
    with pytest.raises(IdlError, match="no such IDL file"):
        render_idl(tmp_path / "absent.thrift", "p")
    with pytest.raises(IdlError, match="must end with .thrift"):
        render_idl(write(tmp_path, "api.txt", "struct A {}\n"), "p")
    with pytest.raises(IdlError, match="does not exist"):
        render_idl(good, "p", include_dirs=[tmp_path / "absent"])


def test_package_name_must_be_an_identifier(tmp_path: Path) -> None:
    idl = write(tmp_path, "ok.thrift", "struct A {\n  1: i32 x\n}\n")
    with pytest.raises(IdlError, match="not a Python identifier"):
        render_idl(idl, "not-a-name")
    for name in ("pkg\n", "pkg\r", " pkg", ""):  # "$" alone matched before a trailing newline
        with pytest.raises(IdlError, match="not a Python identifier"):
            render_idl(idl, name)
    assert "types.py" in render_idl(idl, "_p2")  # a good name is accepted


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    idl = write(tmp_path, "broken.thrift", BROKEN["unknown type"][0])
    status = cli_main(["codegen", str(idl), "--package", "broken", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == f"aurorakit: {idl}:3: No type found: 'Missing'\n"
    assert not (tmp_path / "out").exists()


def test_cli_subprocess_shows_no_traceback(tmp_path: Path) -> None:
    """The installed command, end to end: exit status 2 and a single line on stderr."""
    write(tmp_path, "inner.thrift", "struct Inner {\n  1: i32 x\n  1: i32 y\n}\n")
    outer = write(tmp_path, "outer.thrift", 'include "inner.thrift"\n')
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from aurorakit.runtime.cli.main import main; sys.exit(main())",
         "codegen", str(outer), "--package", "outer", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"aurorakit: {tmp_path / 'inner.thrift'}:3: '1:y' field identifier/name has already been used"]
    assert "Traceback" not in proc.stderr
