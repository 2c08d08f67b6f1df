"""Without an extra installed, the feature that needs it says in one line what to install.

Each case runs in a fresh interpreter in which the extra's modules cannot be imported
(``sys.modules[name] = None`` makes ``import name`` fail as if it were not installed).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
for name in {absent!r}:
    sys.modules[name] = None
from aurorakit.runtime.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_without(absent: tuple[str, ...], *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE.format(absent=absent), *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


IDL = str(ROOT / "thrift" / "aurora" / "0.22" / "api.thrift")


@pytest.mark.parametrize("absent, argv, message", [
    (("jinja2",), ["codegen", IDL, "--package", "p", "--out", "out"],
     "aurorakit: aurorakit codegen needs jinja2, which is not installed: pip install 'aurorakit[codegen]'"),
    (("thriftpy2",), ["diff", "0.21", "0.22"],
     "aurorakit: aurorakit diff needs thriftpy2, which is not installed: pip install 'aurorakit[thrift]'"),
])
def test_a_missing_extra_is_one_line_naming_it(tmp_path: Path, absent: tuple[str, ...], argv: list[str],
                                               message: str) -> None:
    done = run_without(absent, *argv, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.splitlines() == [message], done.stderr
    assert not (tmp_path / "out").exists()


def test_to_thrift_without_thriftpy2_names_the_extra(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['thriftpy2'] = None\n"
            "from aurorakit.generated import aurora_0_22 as api\n"
            "from aurorakit.runtime.errors import UsageError\n"
            "try:\n    api.JobKey(role='r', environment='e', name='n').to_thrift()\n"
            "except UsageError as err:\n    print(err)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout == "to_thrift needs thriftpy2, which is not installed: pip install 'aurorakit[thrift]'\n"


def test_every_module_an_extra_names_is_in_that_extra() -> None:
    """runtime/extras.py's table against pyproject.toml's extras (distribution names, written by hand)."""
    import tomllib
    from aurorakit.runtime.extras import EXTRAS
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    distribution = {"thriftpy2": "thriftpy2", "jinja2": "jinja2", "ruff": "ruff"}

    def names(extra: str) -> set[str]:
        out = set()
        for requirement in extras[extra]:
            if requirement.startswith("aurorakit["):
                for inner in requirement[len("aurorakit["):-1].split(","):
                    out |= names(inner)
            else:
                out.add(requirement.split(">")[0].split("[")[0].split("=")[0].strip().lower())
        return out
    for extra, modules in EXTRAS.items():
        assert {distribution[m] for m in modules} <= names(extra), extra
    assert "numpy" in names("fast") and {"numpy", "thriftpy2", "jinja2", "ruff"} <= names("test")
