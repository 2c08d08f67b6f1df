"""README's "The pieces" drawing lists exactly the package folders."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ("thrift", "codegen", "generated", "runtime", "benchmarks")


def drawn_folders(readme: str) -> set[str]:
    """Folder paths of the drawing: names ending in / before the description, nested by indent."""
    block = readme.split("## The pieces", 1)[1].split("```", 2)[1]
    folders: set[str] = set()
    parents: list[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        names = re.split(r"\s{2,}", line.strip())[0].split()
        assert all(name.endswith("/") for name in names), f"README The pieces: not a folder in {line!r}"
        del parents[depth:]
        for name in names:
            folders.add("/".join([*parents, name.rstrip("/")]))
        if len(names) == 1:
            parents.append(names[0].rstrip("/"))
    return folders


def package_folders() -> set[str]:
    found = {"tests"}
    for tree in TREES:
        found |= {str(p.parent.relative_to(ROOT)) for p in (ROOT / tree).rglob("__init__.py")}
    return found


def test_drawing_lists_every_package_folder_and_nothing_else() -> None:
    drawn = drawn_folders((ROOT / "README.md").read_text())
    assert drawn - package_folders() == set(), "drawn but not a package folder"
    assert package_folders() - drawn == set(), "package folders missing from the drawing"


def test_drawing_parser_nests_by_indent() -> None:
    text = "## The pieces\n\n```\na/     x\n  b/   y\n    c/  z\n  d/ e/\nf/     w\n```\n"
    assert drawn_folders(text) == {"a", "a/b", "a/b/c", "a/d", "a/e", "f"}
