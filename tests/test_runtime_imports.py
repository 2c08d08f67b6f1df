"""What generated code stands on imports no cycle, counting imports inside functions too.

An import inside a function (done to dodge a cycle at import time) still
makes a cycle of dependencies: the modules cannot be understood, or moved,
one without the other. Imports under ``if TYPE_CHECKING:`` are for the type
checker only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
PACKAGE = "aurorakit.runtime"
# What the generated modules import (codegen/templates/*.j2).
GENERATED_IMPORTS = ("containers", "encoding", "errors", "gson", "hash_values", "hashing", "interning", "java", "map_keys",
                     "member_shapes", "read_containers", "read_values", "struct", "typespec")


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path) -> set[str]:
    """The runtime modules ``path`` imports, by name relative to the runtime package."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module
            elif node.level == 0 and node.module and node.module.startswith(PACKAGE + "."):
                base = node.module[len(PACKAGE) + 1:]
            else:
                base = None  # outside the top of the runtime package: not followed here
            if base is not None:
                found.add(base.split(".")[0])
            elif node.level == 1:  # from . import x
                found.update(alias.name for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return {name for name in found if (RUNTIME / f"{name}.py").exists()}


def test_the_modules_generated_code_imports_form_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    pending = list(GENERATED_IMPORTS)
    while pending:
        name = pending.pop()
        if name not in graph:
            graph[name] = _imports(RUNTIME / f"{name}.py") - {name}
            pending.extend(graph[name])
    assert {"struct", "typespec", "hashing", "fields"} <= set(graph)  # the walk found the core

    cycles = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        path.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        path.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_the_cycle_finder_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from .struct import x\n\nif TYPE_CHECKING:\n    from .java import y\n",
                      encoding="utf-8")
    assert _imports(module) == {"struct"}
