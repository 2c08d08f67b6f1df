"""The optional C accelerator (runtime/_speedups.c); everything else is in pyproject.toml.

``optional=True``: where it cannot be compiled (no C compiler, other headers)
setuptools warns and installs the pure-Python package, which is the reference
and works the same (see README, "The optional accelerator").
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("aurorakit.runtime._speedups", ["runtime/_speedups.c"],
                               depends=["runtime/_decode.c"], optional=True)])
