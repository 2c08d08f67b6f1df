"""Public calls given bad arguments raise the project's errors (one base, AurorakitError), naming the place.

Each stays a ValueError/TypeError as well, so callers catching the usual Python errors still catch it.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from aurorakit.codegen.errors import GeneratedCodeError
from aurorakit.codegen.style import _ruff
from aurorakit.generated import aurora_0_22 as m22
from aurorakit.runtime.aurora.event import TaskStateChange
from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.codec import encode
from aurorakit.runtime.errors import AurorakitError
from aurorakit.runtime.identity import IdentityTable
from aurorakit.runtime.thrift_bridge import thrift_class, to_thrift
from aurorakit.runtime.webhook.config import WebhookConfig
from aurorakit.runtime.webhook.delivery_run import open_delivery
from aurorakit.runtime.webhook.receiver import WebhookReceiver


def _task():
    return m22.ScheduledTask(assignedTask=m22.AssignedTask(taskId="t-1"), status=m22.ScheduleStatus.RUNNING)


def test_identity_table_keys_and_values() -> None:
    with pytest.raises(ValueError, match=r"^IdentityTable: identity key must look like .*got 'nodot'$") as err:
        IdentityTable({"nodot": 1})
    assert isinstance(err.value, AurorakitError)
    with pytest.raises(ValueError, match=r"^IdentityTable\['E.A'\]: identity hash must be a 32-bit int, got 2147483648$") as err:
        IdentityTable().set("E.A", 2**31)
    assert isinstance(err.value, AurorakitError)


def test_task_state_change_arguments() -> None:
    with pytest.raises(TypeError, match=r"^TaskStateChange.task: must be a generated ScheduledTask, got AssignedTask$") as err:
        TaskStateChange(m22.AssignedTask(taskId="t"))  # type: ignore[arg-type]
    assert isinstance(err.value, AurorakitError)
    with pytest.raises(ValueError, match=r"^TaskStateChange.optional_style: must be 'guava' or 'java', got 'x'$") as err:
        TaskStateChange(_task(), optional_style="x")
    assert isinstance(err.value, AurorakitError)
    with pytest.raises(ValueError, match=r"^hashed: unknown hash policy 'some'") as err:
        TaskStateChange(_task(), hashed="some")  # type: ignore[arg-type]
    assert isinstance(err.value, AurorakitError)


def test_encoding_something_not_generated() -> None:
    with pytest.raises(TypeError, match=r"^encode: cannot encode dict: not a generated struct or union$") as err:
        encode({})
    assert isinstance(err.value, AurorakitError)


def test_thrift_bridge_module_without_the_type_and_unknown_keywords() -> None:
    empty = ModuleType("empty_thrift")
    with pytest.raises(TypeError, match=r"^to_thrift: empty_thrift has no type AssignedTask$") as err:
        to_thrift(m22.AssignedTask(taskId="t"), empty)
    assert isinstance(err.value, AurorakitError)
    with pytest.raises(TypeError, match=r"^AssignedTask: unknown fields: bogus$") as err:
        thrift_class(m22.AssignedTask)(bogus=1)
    assert isinstance(err.value, AurorakitError)


def test_ruff_rejecting_generated_code(tmp_path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n", encoding="utf-8")
    with pytest.raises(GeneratedCodeError, match=r"^ruff format failed on generated code: .*broken\.py") as err:
        _ruff(["format", "--no-cache", str(broken)])
    assert isinstance(err.value, AurorakitError) and isinstance(err.value, RuntimeError)


def test_delivery_and_receiver_arguments() -> None:
    config = WebhookConfig(target_url="http://127.0.0.1:9/", timeout_msec=1000)  # delivery "reliable"
    with pytest.raises(ValueError, match=r"^disabled_quirks: .*only with delivery 'aurora', not 'reliable'$") as err:
        open_delivery(config, profile_for("0.22"), disabled_quirks=("any",))
    assert isinstance(err.value, AurorakitError)
    # The arguments are checked before the store is touched: no store is needed to see the error.
    with pytest.raises(ValueError, match=r"^WebhookReceiver: give decode or decode_request, not both$") as err:
        WebhookReceiver(None, decode=lambda body: body, decode_request=lambda request: request)  # type: ignore[arg-type]
    assert isinstance(err.value, AurorakitError)
