"""Which optional dependencies (``pip install 'aurorakit[EXTRA]'``) a feature needs, and the
one-line error naming what to install when they are missing (pyproject.toml lists the extras)."""

from __future__ import annotations

import importlib

from .errors import UsageError

# The importable modules of each extra (pyproject.toml's [project.optional-dependencies]).
EXTRAS = {
    "thrift": ("thriftpy2",),  # to_thrift/from_thrift, reading IDLs (aurorakit diff)
    "codegen": ("thriftpy2", "jinja2", "ruff"),  # aurorakit codegen, --idl
}


class MissingExtraError(UsageError):
    """A feature was used without the optional dependencies it needs."""


def require(extra: str, feature: str) -> None:
    """MissingExtraError naming the extra to install unless every module of ``extra`` imports."""
    missing = []
    for name in EXTRAS[extra]:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(f"{feature} needs {', '.join(missing)}, which is not installed: "
                                f"pip install 'aurorakit[{extra}]'")
