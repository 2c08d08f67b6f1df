"""Rewrite the golden snapshots in tests/golden/ from the edge-case IDLs in tests/idl/.

    .venv/bin/python tests/golden/regenerate.py

Run it after changing a template or the decide stage, and review the diff
(``git diff tests/golden``): it shows what the change does to generated code.
``tests/test_golden.py`` fails until the snapshots match the generator.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IDL = HERE.parent / "idl"
# snapshot package -> (IDL, include dirs)
SNAPSHOTS = {
    "kitchen": (IDL / "kitchen" / "kitchen.thrift", [IDL / "shared"]),
    "upstream_style": (IDL / "upstream_style" / "api.thrift", []),
    "edges": (IDL / "edges" / "edges.thrift", []),
}


def main() -> int:
    from aurorakit.codegen import generate_package

    for package, (idl, include_dirs) in SNAPSHOTS.items():
        changed = generate_package(idl, package, HERE, include_dirs)
        print(f"{package}: {len(changed)} file(s) changed" if changed else f"{package}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
