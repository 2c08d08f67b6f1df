"""Each generated class reaches its own Gson codec: ``obj.to_gson()`` and ``Cls.from_gson(text)``.

Expected JSON is written by hand from the IDL (field order, Gson's forms);
the gson.py legend and the names a field may not take are checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest
from aurorakit.codegen import render_idl
from aurorakit.codegen.imports import ALIASES, GSON_LOCALS
from aurorakit.generated import aurora_0_22 as api
from aurorakit.runtime.errors import PayloadError
from conftest import ImportGenerated

REPO = Path(__file__).resolve().parent.parent


def test_struct_to_gson_and_back() -> None:
    key = api.JobKey(role="www-data", environment="prod", name="hello")
    text = '{"cachedHashCode":0,"role":"www-data","environment":"prod","name":"hello"}'
    assert key.to_gson() == text
    again = api.JobKey.from_gson(text)
    assert again == key and type(again) is api.JobKey
    assert api.JobKey.from_gson(text.encode("utf-8")) == key  # bytes, as read off the wire


def test_union_to_gson_and_back() -> None:
    ram = api.Resource(ramMb=256)
    text = '{"cachedHashCode":0,"setField":"RAM_MB","value":256}'
    assert ram.to_gson() == text
    assert api.Resource.from_gson(text) == ram and api.Resource.from_gson(text).ramMb == 256


def test_exception_to_gson(kitchen: ModuleType) -> None:
    oops = kitchen.Oops(message="no", code=7)
    assert oops.to_gson() == '{"cachedHashCode":0,"message":"no","code":7}'
    assert kitchen.Oops.from_gson(oops.to_gson()) == oops


def test_from_gson_reports_bad_input_by_path_and_honours_strict() -> None:
    with pytest.raises(PayloadError, match="environment"):
        api.JobKey.from_gson('{"cachedHashCode":0,"role":"r","environment":5,"name":"n"}')
    shuffled = '{"cachedHashCode":0,"name":"n","role":"r","environment":"e"}'
    with pytest.raises(PayloadError):
        api.JobKey.from_gson(shuffled)  # Gson's member order is required by default
    assert api.JobKey.from_gson(shuffled, strict=False) == api.JobKey(role="r", environment="e", name="n")


def test_each_class_names_its_own_codec() -> None:
    # The methods name the type's own functions in gson.py (types.py cannot import gson.py, which
    # imports it), and those are the functions they run.
    assert "gson._enc_TaskConfig" in (api.TaskConfig.to_gson.__doc__ or "")
    assert "gson._dec_TaskConfig" in (api.TaskConfig.from_gson.__doc__ or "")
    installs = Path(api.gson.__file__).read_text()  # (the accelerator may replace them later, per package)
    assert "TaskConfig._gson_encode = staticmethod(_enc_TaskConfig)" in installs
    assert "TaskConfig._gson_decode = staticmethod(_dec_TaskConfig)" in installs


def test_a_field_named_like_a_codec_method_is_escaped(tmp_path: Path, import_generated: ImportGenerated) -> None:
    idl = tmp_path / "clash.thrift"
    idl.write_text("struct Clash {\n  1: i32 to_gson\n  2: string from_gson\n}\n", encoding="utf-8")
    clash = import_generated(idl, "clash_codec_names").Clash(to_gson_=1, from_gson_="x")
    assert clash.to_gson() == '{"cachedHashCode":0,"to_gson":1,"from_gson":"x"}'
    assert type(clash).from_gson(clash.to_gson()) == clash


def test_gson_legend_explains_every_short_name_it_imports() -> None:
    source = render_idl(REPO / "thrift" / "aurora" / "0.22" / "api.thrift", "aurora_0_22")["gson.py"]
    imported = {alias.asname or alias.name for node in ast.parse(source).body
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    legend = source.split("# Short names in this module:\n", 1)[1].split("\n\n", 1)[0]
    explained = {line.split(":", 1)[0].strip("# ") for line in legend.splitlines()}
    private = {name for name in imported if name.startswith("_") and not name.startswith("_gson_")}
    assert private and private <= explained, private - explained
    assert {name for name, _ in GSON_LOCALS} <= explained
    assert all(ALIASES[name].meaning for name in private)
