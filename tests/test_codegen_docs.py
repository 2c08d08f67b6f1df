"""``/** */`` doc comments of the IDL become docstrings of what they document.

Expectations are copied from thrift/aurora/0.22/api.thrift by hand. Class,
enum, union arm and method docstrings are read at run time; docstrings of
fields, enum members and constants (string literals after an assignment, as
Sphinx and IDEs read them) are read from the generated source with ``ast``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from aurorakit.codegen import render_idl

REPO = Path(__file__).resolve().parent.parent
AURORA_0_22 = REPO / "thrift" / "aurora" / "0.22" / "api.thrift"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render_idl(AURORA_0_22, "aurora_0_22")


def attribute_docs(source: str, scope: str | None = None) -> dict[str, str]:
    """``{name: docstring}`` of the assignments in class ``scope`` (or the module) followed by a string."""
    tree = ast.parse(source)
    body = tree.body
    if scope is not None:
        body = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == scope).body
    docs = {}
    for node, following in zip(body, body[1:]):
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) else None)
        if (isinstance(target, ast.Name) and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str)):
            docs[target.id] = inspect.cleandoc(following.value.value)
    return docs


def class_doc(source: str, name: str) -> str | None:
    tree = ast.parse(source)
    node = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name)
    return ast.get_docstring(node)


def method_doc(source: str, service: str, method: str) -> str | None:
    tree = ast.parse(source)
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == service)
    func = next(node for node in cls.body if isinstance(node, ast.FunctionDef) and node.name == method)
    return ast.get_docstring(func)


def test_struct_union_and_enum_docstrings(files: dict[str, str]) -> None:
    types, enums = files["types.py"], files["enums.py"]
    assert class_doc(types, "Identity") == "Identity of an owner. Field id 1 is not used."
    assert class_doc(types, "TaskConstraint") == "A task constraint is either a ValueConstraint or a LimitConstraint."
    assert class_doc(types, "LimitConstraint") is None  # undocumented in the IDL: no filler docstring
    assert class_doc(enums, "ResponseCode") == "Type of Response.responseCode."
    assert class_doc(enums, "MaintenanceMode") == "Maintenance mode of a host, as used by HostAttributes and HostStatus."


def test_multi_line_doc_keeps_its_lines(files: dict[str, str]) -> None:
    assert class_doc(files["types.py"], "TaskConfig") == (
        "Configuration of a task. Field ids are not in declaration order.\n"
        "Ids 8, 9, 10 and 21, used up to release 0.19, are not used.")


def test_field_docstrings_are_the_idl_doc_alone(files: dict[str, str]) -> None:
    host = attribute_docs(files["types.py"], "HostAttributes")
    assert host["mode"] == "Optional maintenance mode of the host."
    assert "host" not in host  # undocumented in the IDL: no docstring
    lock = attribute_docs(files["types.py"], "Lock")
    assert lock["timestampMs"].endswith("Timestamp in milliseconds.")


def test_enum_member_docstrings(files: dict[str, str]) -> None:
    codes = attribute_docs(files["enums.py"], "ResponseCode")
    assert codes["JOB_UPDATING_ERROR"] == "Value 5, which releases 0.14 to 0.18 named LOCK_ERROR."
    assert "OK" not in codes  # no doc comment, no docstring
    assert attribute_docs(files["enums.py"], "MaintenanceMode")["NONE"] == "Value 1; this enum has no value 0."


def test_method_and_service_docstrings(files: dict[str, str]) -> None:
    services = files["services.py"]
    assert class_doc(services, "ReadOnlyScheduler") == "Read-only scheduler methods. Every method returns a Response."
    assert method_doc(services, "ReadOnlyScheduler", "getJobUpdateDetails") == "Takes a JobUpdateKey and a JobUpdateQuery."
    assert method_doc(services, "AuroraAdmin", "setQuota") == "Takes an owner role and a ResourceAggregate quota."
    assert method_doc(services, "AuroraSchedulerManager", "rollbackJobUpdate") == "Added in release 0.16."


def test_constant_docstrings(files: dict[str, str]) -> None:
    consts = attribute_docs(files["constants.py"])
    assert consts["AURORA_EXECUTOR_NAME"] == "Executor name string."
    assert consts["AWAITNG_PULSE_JOB_UPDATE_STATES"] == (
        "ROLL_FORWARD_AWAITING_PULSE and ROLL_BACK_AWAITING_PULSE.\nThe name is spelled AWAITNG, as in the schema.")
    assert "SLAVE_ASSIGNED_STATES" not in consts


def test_docstrings_survive_quotes_and_backslashes(tmp_path: Path) -> None:
    idl = tmp_path / "quoted.thrift"
    idl.write_text('/** Says """hi""" and C:\\path\\n, literally. */\nstruct Q {\n  1: i32 x\n}\n', encoding="utf-8")
    source = render_idl(idl, "quoted")["types.py"]
    assert class_doc(source, "Q") == 'Says """hi""" and C:\\path\\n, literally.'
