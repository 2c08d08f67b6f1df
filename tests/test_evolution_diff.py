"""aurorakit.codegen.evolution.diff: one small IDL pair per rule, with the exact changes expected.

Each case is (OLD body, NEW body, expected); expected lists every change as
(rule, symbol, line, side, breaks), written by hand from the rule's meaning:
``line`` is the declaration's line in NEW (or OLD, side "old", for a removal).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from aurorakit.codegen.evolution import Category, Change, diff, load_schema
from aurorakit.codegen.evolution.rules import RULES

W, G, P = "WIRE", "GSON_JSON", "PY_API"

CASES: dict[str, tuple[str, str, list[tuple[str, str, int, str, set[str]]]]] = {
    "field renamed": (
        "struct A {\n  1: i32 x\n  2: string y\n}\n",
        "struct A {\n  1: i32 x\n  2: string z\n}\n",
        [("FIELD_RENAMED", "A.z", 3, "new", {G, P})]),
    "field removed": (
        "struct A {\n  1: i32 x\n  2: string y\n}\n",
        "struct A {\n  1: i32 x\n}\n",
        [("FIELD_REMOVED", "A.y", 3, "old", {W, G, P})]),
    "field id reused with another type": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: string x\n}\n",
        [("FIELD_TYPE_CHANGED", "A.x", 2, "new", {W, G, P})]),
    "i32 widened to i64: same JSON, same annotation": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i64 x\n}\n",
        [("FIELD_TYPE_CHANGED", "A.x", 2, "new", {W})]),
    "list became set: same JSON array": (
        "struct A {\n  1: list<string> x\n}\n",
        "struct A {\n  1: set<string> x\n}\n",
        [("FIELD_TYPE_CHANGED", "A.x", 2, "new", {W, P})]),
    "enum field became i32: same on the wire": (
        "enum E {\n  A = 1\n}\nstruct S {\n  1: E e\n}\n",
        "enum E {\n  A = 1\n}\nstruct S {\n  1: i32 e\n}\n",
        [("FIELD_TYPE_CHANGED", "S.e", 5, "new", {G, P})]),
    "field id changed": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  2: i32 x\n}\n",
        [("FIELD_ID_CHANGED", "A.x", 2, "new", {W})]),
    "requiredness tightened": (
        "struct A {\n  1: optional string x\n}\n",
        "struct A {\n  1: required string x\n}\n",
        [("FIELD_REQUIREDNESS_TIGHTENED", "A.x", 2, "new", {W})]),
    "requiredness loosened": (
        "struct A {\n  1: required string x\n}\n",
        "struct A {\n  1: string x\n}\n",
        [("FIELD_REQUIREDNESS_LOOSENED", "A.x", 2, "new", {W})]),
    "default changed": (
        "struct A {\n  1: i32 x = 3\n}\n",
        "struct A {\n  1: i32 x = 4\n}\n",
        [("FIELD_DEFAULT_CHANGED", "A.x", 2, "new", {G, P})]),
    "a default where Java had 0": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i32 x = 7\n}\n",
        [("FIELD_DEFAULT_CHANGED", "A.x", 2, "new", {G, P})]),
    "an explicit default equal to Java's is no change": (
        "struct A {\n  1: bool x\n}\n",
        "struct A {\n  1: bool x = false\n}\n",
        []),
    "declaration order changed": (
        "struct A {\n  1: i32 x\n  2: i32 y\n}\n",
        "struct A {\n  2: i32 y\n  1: i32 x\n}\n",
        [("FIELD_ORDER_CHANGED", "A", 1, "new", {G})]),
    "optional struct field added: nothing breaks": (
        "struct B {}\nstruct A {\n  1: i32 x\n}\n",
        "struct B {}\nstruct A {\n  1: i32 x\n  2: optional B b\n}\n",
        [("FIELD_ADDED", "A.b", 4, "new", set())]),
    "primitive field added: every payload gains it": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i32 x\n  2: i32 y\n}\n",
        [("FIELD_ADDED", "A.y", 3, "new", {G})]),
    "list field added: Gson writes [] when unset": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i32 x\n  2: optional list<string> y\n}\n",
        [("FIELD_ADDED", "A.y", 3, "new", {G})]),
    "required string field added": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i32 x\n  2: required string y\n}\n",
        [("FIELD_ADDED", "A.y", 3, "new", {W})]),
    "union arm renamed": (
        "union U {\n  1: i64 ramMb\n  2: double numCpus\n}\n",
        "union U {\n  1: i64 ramMegabytes\n  2: double numCpus\n}\n",
        [("ARM_RENAMED", "U.ramMegabytes", 2, "new", {G, P})]),
    "union arm removed": (
        "union U {\n  1: i64 a\n  2: double b\n}\n",
        "union U {\n  1: i64 a\n}\n",
        [("ARM_REMOVED", "U.b", 3, "old", {W, G, P})]),
    "union arm added": (
        "union U {\n  1: i64 a\n}\n",
        "union U {\n  1: i64 a\n  2: i64 b\n}\n",
        [("ARM_ADDED", "U.b", 3, "new", set())]),
    "struct became a union": (
        "struct A {\n  1: i32 x\n}\n",
        "union A {\n  1: i32 x\n}\n",
        [("TYPE_KIND_CHANGED", "A", 1, "new", {W, G, P})]),
    "enum value removed": (
        "enum E {\n  A = 1\n  B = 2\n}\n",
        "enum E {\n  A = 1\n}\n",
        [("ENUM_VALUE_REMOVED", "E.B", 3, "old", {W, G, P})]),
    "enum value renumbered": (
        "enum E {\n  A = 1\n  B = 2\n}\n",
        "enum E {\n  A = 1\n  B = 3\n}\n",
        [("ENUM_VALUE_RENUMBERED", "E.B", 3, "new", {W, P})]),
    "enum constant renamed": (
        "enum E {\n  A = 1\n  LOCK_ERROR = 5\n}\n",
        "enum E {\n  A = 1\n  JOB_UPDATING_ERROR = 5\n}\n",
        [("ENUM_VALUE_RENAMED", "E.JOB_UPDATING_ERROR", 3, "new", {G, P})]),
    "enum value added": (
        "enum E {\n  A = 1\n}\n",
        "enum E {\n  A = 1\n  B = 2\n}\n",
        [("ENUM_VALUE_ADDED", "E.B", 3, "new", set())]),
    "struct renamed, and where it is used": (
        "struct Old {\n  1: i32 x\n}\nstruct A {\n  1: Old o\n}\n",
        "struct Fresh {\n  1: i32 x\n}\nstruct A {\n  1: Fresh o\n}\n",
        [("TYPE_RENAMED", "Fresh", 1, "new", {P}), ("FIELD_TYPE_CHANGED", "A.o", 5, "new", {P})]),
    "struct removed": (
        "struct A {\n  1: i32 x\n}\nstruct B {\n  1: string y\n}\n",
        "struct A {\n  1: i32 x\n}\n",
        [("TYPE_REMOVED", "B", 4, "old", {P})]),
    "struct added": (
        "struct A {\n  1: i32 x\n}\n",
        "struct A {\n  1: i32 x\n}\nstruct B {\n  1: string y\n}\n",
        [("TYPE_ADDED", "B", 4, "new", set())]),
    "constant changed, added, removed": (
        "const i32 A = 1\nconst i32 B = 2\n",
        "const i32 A = 3\nconst string C = \"c\"\n",
        [("CONST_VALUE_CHANGED", "A", 1, "new", {P}), ("CONST_ADDED", "C", 2, "new", set()),
         ("CONST_REMOVED", "B", 2, "old", {P})]),
    "typedef resolving to another type": (
        "typedef i32 Id\nstruct A {\n  1: Id id\n}\n",
        "typedef string Id\nstruct A {\n  1: Id id\n}\n",
        [("TYPEDEF_CHANGED", "Id", 1, "new", {W}), ("FIELD_TYPE_CHANGED", "A.id", 3, "new", {W, G, P})]),
    "service method removed and added": (
        "service S {\n  void a()\n}\n",
        "service S {\n  void b()\n}\n",
        [("METHOD_ADDED", "S.b", 2, "new", set()), ("METHOD_REMOVED", "S.a", 2, "old", {W, P})]),
    "service removed": (
        "service S {\n  void a()\n}\n",
        "",
        [("SERVICE_REMOVED", "S", 1, "old", {W, P})]),
    "method arguments changed": (
        "service S {\n  void a(1: i32 x, 2: string y, 3: i32 z)\n}\n",
        "service S {\n  void a(1: i64 x, 2: string why,\n         4: required i32 w)\n}\n",
        [("METHOD_ARG_TYPE_CHANGED", "S.a(x)", 2, "new", {W}),
         ("METHOD_ARG_RENAMED", "S.a(why)", 2, "new", {P}),
         ("METHOD_ARG_ADDED", "S.a(w)", 3, "new", {W}),
         ("METHOD_ARG_REMOVED", "S.a(z)", 2, "old", {W, P})]),
    "method exceptions, return and oneway changed": (
        "exception E {\n  1: string m\n}\nservice S {\n  i32 a() throws (1: E e)\n  void b()\n}\n",
        "exception E {\n  1: string m\n}\nservice S {\n  string a()\n  oneway void b()\n}\n",
        [("METHOD_RETURN_CHANGED", "S.a", 5, "new", {W, P}), ("METHOD_THROWS_CHANGED", "S.a", 5, "new", {W}),
         ("METHOD_ONEWAY_CHANGED", "S.b", 6, "new", {W})]),
    "service extends another": (
        "service Base {\n  void a()\n}\nservice S {\n  void b()\n}\n",
        "service Base {\n  void a()\n}\nservice S extends Base {\n  void b()\n}\n",
        [("SERVICE_EXTENDS_CHANGED", "S", 4, "new", {W, P})]),
    "union arm type and id changed": (
        "union U {\n  1: i64 a\n  2: double b\n}\n",
        "union U {\n  1: string a\n  3: double b\n}\n",
        [("ARM_TYPE_CHANGED", "U.a", 2, "new", {W, G, P}), ("ARM_ID_CHANGED", "U.b", 3, "new", {W})]),
    "method argument id changed, service added": (
        "service S {\n  void a(1: i32 x)\n}\n",
        "service S {\n  void a(2: i32 x)\n}\nservice T {\n  void t()\n}\n",
        [("METHOD_ARG_ID_CHANGED", "S.a(x)", 2, "new", {W}), ("SERVICE_ADDED", "T", 4, "new", set())]),
    "comments and blank lines move nothing": (
        "struct A {\n  1: i32 x\n}\n",
        "/** A doc. */\n\n// a comment\nstruct A {\n  /** x */\n  1: i32 x\n}\n",
        []),
}


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.thrift"
    path.write_text(body, encoding="utf-8")
    return path


@functools.cache
def _changes(case: str) -> list[Change]:
    """The changes between one case's pair, loaded and compared once per run (two tests read them)."""
    old_body, new_body, _ = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        old = load_schema(_write(Path(folder, "old"), "api", old_body), shown_as="old/api.thrift")
        new = load_schema(_write(Path(folder, "new"), "api", new_body), shown_as="new/api.thrift")
        return diff(old, new)


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule(case: str) -> None:
    _, _, expected = CASES[case]
    got = [(c.rule, c.symbol, c.location, {b.value for b in c.breaks}) for c in _changes(case)]
    want = [(rule, symbol, f"{side}/api.thrift:{line}", breaks) for rule, symbol, line, side, breaks in expected]
    assert got == want


def test_every_rule_has_a_case() -> None:
    covered = {rule for _, _, expected in CASES.values() for rule, *_ in expected}
    assert covered == set(RULES)


def test_categories_never_exceed_the_rule_table() -> None:
    for name in CASES:
        for change in _changes(name):
            assert change.breaks <= RULES[change.rule].can_break, (name, change)
            assert all(isinstance(c, Category) for c in change.breaks)


def test_included_files_are_compared_with_their_own_locations(tmp_path: Path) -> None:
    _write(tmp_path / "old", "shared", "struct Key {\n  1: string role\n}\n")
    _write(tmp_path / "new", "shared", "struct Key {\n  1: string owner\n}\n")
    body = 'include "shared.thrift"\nstruct A {\n  1: shared.Key key\n}\n'
    old = load_schema(_write(tmp_path / "old", "api", body), shown_as="old/api.thrift")
    new = load_schema(_write(tmp_path / "new", "api", body), shown_as="new/api.thrift")
    got = [(c.rule, c.symbol, c.location) for c in diff(old, new)]
    assert got == [("FIELD_RENAMED", "shared.Key.owner", "new/shared.thrift:2")]


def test_a_typedef_with_annotations_is_located_by_its_name() -> None:
    from aurorakit.codegen.evolution.locate import LineIndex
    index = LineIndex('typedef map<string, i32> (cpp.template = "x") Lookup\n'
                      'typedef i64 Stamp\nstruct A {\n  1: Lookup l\n  2: Stamp s\n}\n')
    assert (index.line("Lookup"), index.line("Stamp"), index.line("A"), index.line("A.2")) == (1, 2, 3, 5)
    assert set(index.typedefs) == {"Lookup", "Stamp"}
