"""The package layering (no package imports one above it) and no import cycles.

Every module under codegen/, runtime/ and generated/ is parsed with ``ast``; its
imports (relative ones resolved) become edges of a graph over aurorakit modules.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"codegen": "aurorakit.codegen", "runtime": "aurorakit.runtime", "generated": "aurorakit.generated"}

# Which layers each layer may import. Read bottom up: the runtime core is what generated
# code stands on; the Aurora application sits on it; webhook and simulate on that; relay
# on webhook; the CLI on everything. codegen stands on the runtime core only; the Aurora
# application reads its shipped IDLs through codegen (aurora/release_schemas.py, for diff).
MAY_IMPORT = {
    "core": {"core"},
    "generated": {"core", "generated"},
    "aurora": {"core", "generated", "aurora", "codegen"},  # release_schemas reads the shipped IDLs
    "webhook": {"core", "generated", "aurora", "webhook"},
    "simulate": {"core", "generated", "aurora", "simulate"},
    "relay": {"core", "generated", "aurora", "webhook", "relay"},
    "cli": {"core", "generated", "aurora", "webhook", "simulate", "relay", "cli", "codegen"},
    "codegen": {"core", "codegen"},
}

# Upward imports allowed for now, each with its reason; delete a line when its cause is fixed.
KNOWN_UPWARD: set[tuple[str, str]] = set()

# Import cycles allowed: none. A cycle closed by an import inside a function is still a cycle;
# an import under `if TYPE_CHECKING:` is not (it never runs).
KNOWN_CYCLES: set[frozenset[str]] = set()


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[1] in ("codegen", "generated"):
        return parts[1]
    if len(parts) > 2 and parts[2] in ("aurora", "webhook", "simulate", "relay", "cli"):
        return parts[2]
    return "core"


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


# A line starting a module's first class or function; in generated modules every import comes before it.
_BODY = re.compile(r"^(?:class |def |async def |@)", re.MULTILINE)
_IMPORT_WORD = re.compile(r"\bimport\b")


def _import_part(path: Path) -> ast.Module:
    """The tree of the part of ``path`` that holds every import statement. Parsing all of generated/ costs
    seconds, so only the text before the first class or function is parsed when no word ``import`` comes
    after it (every import statement has that word) and it parses alone (a cut inside a string or a
    bracket does not); otherwise the whole module."""
    text = path.read_text()
    body = _BODY.search(text)
    if body is not None and not _IMPORT_WORD.search(text, body.start()):
        try:
            return ast.parse(text[:body.start()], str(path))
        except SyntaxError:
            pass
    return ast.parse(text, str(path))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported aurorakit module, imported at module level) for each import in path."""
    tree = _import_part(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    # `if TYPE_CHECKING:` imports never run, so they close no cycle at import time.
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for stmt in node.body for inner in ast.walk(stmt)}
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # from PKG import name: name is a module when PKG.name is one, else PKG is imported
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # aurorakit.runtime.aurora.event.X -> the module part
                target = target.rpartition(".")[0]
            if target and target != module:
                found.append((target, id(node) in top_level))
    return found


@functools.cache  # once per run
def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import, module-level imports only) as module -> imported modules."""
    known = modules()
    every: dict[str, set[str]] = {m: set() for m in known}
    eager: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        for target, at_top in imports_of(module, path, known):
            every[module].add(target)
            if at_top:
                eager[module].add(target)
    return every, eager


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found




def test_layering_table_names_every_layer() -> None:
    assert {layer_of(m) for m in modules()} == set(MAY_IMPORT)


def test_no_package_imports_one_above_it() -> None:
    every, _ = graph()
    upward = sorted((module, target) for module, targets in every.items() for target in targets
                    if layer_of(target) not in MAY_IMPORT[layer_of(module)]
                    and (module, target) not in KNOWN_UPWARD)
    assert upward == [], "upward imports (module, imported): " + ", ".join(f"{a} -> {b}" for a, b in upward)


def test_known_upward_imports_still_exist() -> None:
    every, _ = graph()
    assert {(a, b) for a, b in KNOWN_UPWARD if b not in every[a]} == set(), "delete the fixed KNOWN_UPWARD entry"


def test_no_import_cycle() -> None:
    every, _ = graph()
    found = set(cycles(every))
    assert found - KNOWN_CYCLES == set()
    assert KNOWN_CYCLES - found == set(), "a known cycle is gone: delete it from KNOWN_CYCLES"


def test_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [frozenset({"a", "b", "c"})]


def test_relative_imports_resolve(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text("from ..errors import E\nfrom . import sibling\n\ndef f():\n    from .. import codec\n")
    known = {"aurorakit.runtime.errors": source, "aurorakit.runtime.aurora.sibling": source,
             "aurorakit.runtime.codec": source, "aurorakit.runtime.aurora.x": source}
    assert imports_of("aurorakit.runtime.aurora.x", source, known) == [
        ("aurorakit.runtime.errors", True), ("aurorakit.runtime.aurora.sibling", True),
        ("aurorakit.runtime.codec", False)]


def test_a_class_line_inside_a_string_is_not_where_the_imports_end(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text('from . import sibling\nx = """\nclass NotOne:\n"""\nclass Real:\n    pass\n')
    known = {"aurorakit.runtime.sibling": source, "aurorakit.runtime.x": source}
    assert imports_of("aurorakit.runtime.x", source, known) == [("aurorakit.runtime.sibling", True)]


def test_type_checking_imports_are_not_edges(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from aurorakit.x import y\n"
                      "def f():\n    from aurorakit.z import w\n")
    known = {"aurorakit.m": module, "aurorakit.x": module, "aurorakit.z": module}
    assert imports_of("aurorakit.m", module, known) == [("aurorakit.z", False)]
