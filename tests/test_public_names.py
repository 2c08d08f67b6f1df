"""Every name a module lists in ``__all__`` exists: ``from module import *`` works for each."""

from __future__ import annotations

from types import ModuleType

import aurorakit.codegen
import aurorakit.runtime.accel
import aurorakit.runtime.aurora.profiles
import aurorakit.runtime.doubles
import aurorakit.runtime.gson
import aurorakit.runtime.java
import pytest

MODULES = (aurorakit.codegen, aurorakit.runtime.accel, aurorakit.runtime.aurora.profiles,
           aurorakit.runtime.doubles, aurorakit.runtime.gson, aurorakit.runtime.java)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_listed_name_is_defined(module: ModuleType) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    namespace: dict[str, object] = {}
    exec(f"from {module.__name__} import *", namespace)  # noqa: S102 (a fixed module name)
    assert set(module.__all__) <= set(namespace)
