"""aurorakit.codegen: Thrift IDL -> typed Python models with Gson-exact codecs.

The pipeline, one module per stage::

    idl.py      IDL file      -> thriftpy2 module     (load_idl)
    build.py    thriftpy2     -> model.py dataclasses (build_module)
    views.py    model         -> typed views          (and gsoncode.py for gson.py: the decide stage)
    render.py   views         -> {path: text}         (render_package, jinja2 templates/, ruff via style.py)
    generate.py {path: text}  -> files on disk, or a staleness check

``generate_package`` runs them all.
"""

from .errors import IdlError
from .generate import CheckResult, check_package, generate_package, render_idl
from .version import GENERATOR_VERSION

__all__ = ["GENERATOR_VERSION", "CheckResult", "IdlError", "check_package", "generate_package", "render_idl"]
