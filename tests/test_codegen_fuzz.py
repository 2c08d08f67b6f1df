"""Random IDLs full of awkward names, from one fixed seed: each one either generates
a package that imports and round-trips (encode, decode, Java hash), or is refused
with an IdlError naming the file and line. Never a crash, never broken code.

``AURORAKIT_FUZZ_SEED`` / ``AURORAKIT_CODEGEN_FUZZ_CASES`` make a longer run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from aurorakit.codegen import IdlError, render_idl
from aurorakit.runtime.codec import decode, encode
from aurorakit.runtime.hashing import java_hash
from conftest import ImportGenerated

SEED = int(os.environ.get("AURORAKIT_FUZZ_SEED", "20261201"))
CASES = int(os.environ.get("AURORAKIT_CODEGEN_FUZZ_CASES", "40"))
# Keywords, builtins, standard library and package modules, generated members and
# locals, names that collide once escaped or upper-snake-cased.
NAMES = ["from", "class", "None", "True", "def", "lambda", "import", "self", "str", "int", "list", "type", "id", "object", "len", "json", "os", "sys", "typing", "enum", "types", "gson", "enums", "set_field", "field_value", "replace", "to_thrift", "from_thrift", "_jhash", "_x", "__x__", "o", "d", "v", "get", "h", "ids", "field", "err", "key", "found", "text", "cached", "epoch", "value", "member", "jhash", "arm", "annotations", "IDL_FILE", "list_i32", "name", "real", "fooBar", "foo_bar", "FooBar", "Foo", "a", "b", "c", "x", "data", "items", "keys", "copy", "hash", "cachedHashCode", "setField", "v_x", "e", "k", "t", "s", "cls", "kwargs", "result", "check"]
PRIMITIVES = ("bool", "byte", "i16", "i32", "i64", "double", "string")


def _type(rng: random.Random, defined: list[str], enums: list[str], depth: int = 0) -> str:
    if rng.random() < 0.5 or depth > 2:
        return rng.choice(PRIMITIVES + tuple(defined))
    kind = rng.choice(("list", "set", "map"))
    inner = _type(rng, defined, enums, depth + 1)
    if kind == "map":
        return f"map<{rng.choice(('string', 'i32', 'i64', 'bool') + tuple(enums))},{inner}>"
    return f"{kind}<{inner}>"


def random_idl(rng: random.Random) -> str:
    parts: list[str] = []
    defined: list[str] = []
    enums: list[str] = []
    used: set[str] = set()

    def fresh(prefix: str) -> str:
        while True:
            name = rng.choice(NAMES) if rng.random() < 0.6 else prefix + rng.choice(NAMES).strip("_").capitalize()
            if name not in used:
                used.add(name)
                return name

    for _ in range(rng.randrange(1, 3)):
        name = fresh("E")
        members = list(dict.fromkeys(rng.choice(NAMES) for _ in range(rng.randrange(1, 4))))
        parts.append(f"enum {name} {{\n" + ",\n".join(f"  {m} = {i}" for i, m in enumerate(members)) + "\n}")
        defined.append(name)
        enums.append(name)
    for _ in range(rng.randrange(1, 5)):
        kind = rng.choice(("struct", "struct", "union", "exception"))
        name = fresh("S")
        fields = list(dict.fromkeys(rng.choice(NAMES) for _ in range(rng.randrange(1, 5))))
        parts.append(f"{kind} {name} {{\n" + "\n".join(
            f"  {i + 1}: {_type(rng, defined, enums)} {f}" for i, f in enumerate(fields)) + "\n}")
        defined.append(name)
    return "\n".join(parts) + "\n"


def test_random_idls_generate_working_code_or_are_refused(tmp_path: Path, import_generated: ImportGenerated) -> None:
    rng = random.Random(SEED)
    generated = refused = 0
    for case in range(CASES):
        text = random_idl(rng)
        idl = tmp_path / f"case{case}.thrift"
        idl.write_text(text, encoding="utf-8")
        where = f"seed {SEED}, case {case}:\n{text}"
        try:
            render_idl(idl, "fuzzed")
        except IdlError as err:
            assert err.path == str(idl) and err.line is not None, f"{where}\n{err}"
            refused += 1
            continue
        package = import_generated(idl, f"fuzzed_{SEED}_{case}")
        for name in package.types.__all__:
            cls = getattr(package.types, name)
            if cls._kind == "union":
                continue  # no arm value to make without knowing its type; the struct holding it is checked
            obj = cls()
            text_out = encode(obj)
            assert decode(cls, text_out) == obj, where
            java_hash(obj, {})
            assert encode(decode(cls, text_out)) == text_out, where
        generated += 1
    assert generated >= CASES // 10 and refused >= CASES // 10, (generated, refused)  # both kinds tried
