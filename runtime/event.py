"""The webhook event: ``TaskStateChange(task, old_state)`` and its Gson form.

Aurora posts ``new Gson().toJson(event)`` where the event holds the task (a
``ScheduledTask``) and ``oldState`` (an Optional ``ScheduleStatus``) in that
order. Which objects carry a cachedHashCode depends on what the scheduler
had hashed before writing: a :data:`HashPolicy` says so when the event is made.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, Union

from .codec import decode_tree, encode, exact_doubles, parse_json
from .codec_support import NeedsExactText, member_order
from .errors import PayloadError, describe
from .hashing import java_hash
from .identity import IdentityTable, current_identity
from .profiles import Profile, profile_for

HashPolicy = Union[str, Callable[[Any, IdentityTable], None]]
"""``"none"``, ``"taskconfig"`` (default), ``"assigned"``, ``"all"``, or a function(task, identity table)."""

HASH_POLICIES = ("none", "taskconfig", "assigned", "all")
OPTIONAL_KEYS = {"guava": "reference", "java": "value"}


def apply_hash_policy(task: Any, policy: HashPolicy, identity: IdentityTable | None = None) -> None:
    """Hash what the scheduler had hashed before writing the event (see HashPolicy)."""
    table = current_identity() if identity is None else identity
    if callable(policy):
        policy(task, table)
        return
    if policy == "none":
        return
    assigned = task.assignedTask
    if policy == "taskconfig":
        if assigned is not None and assigned.task is not None:
            java_hash(assigned.task, table)
    elif policy == "assigned":
        if assigned is not None:
            java_hash(assigned, table)
    elif policy == "all":
        java_hash(task, table)
    else:
        raise ValueError(f"unknown hash policy {policy!r}; use one of {', '.join(HASH_POLICIES)} or a function")


def models_of(obj: Any) -> ModuleType:
    """The generated package a model object's class belongs to."""
    module = type(obj).__module__.rsplit(".", 1)[0]
    return sys.modules[module]


class TaskStateChange:
    """A task state change as Aurora's webhook posts it.

    ``task`` is a generated ``ScheduledTask``; ``old_state`` a
    ``ScheduleStatus`` of the same models, or None (the startup events of
    0.14 and 0.15). Making the event applies ``hashed`` (see HashPolicy)
    with ``identity`` (default: the current identity table).
    """

    __slots__ = ("task", "old_state", "optional_style")

    def __init__(self, task: Any, old_state: Any = None, *, hashed: HashPolicy = "taskconfig",
                 identity: IdentityTable | None = None, optional_style: str | None = None) -> None:
        models = models_of(task)
        if type(task) is not getattr(models, "ScheduledTask", None):
            raise TypeError(f"task must be a generated ScheduledTask, got {type(task).__name__}")
        if old_state is not None:
            old_state = _status(models, old_state)
        if optional_style is not None and optional_style not in OPTIONAL_KEYS:
            raise ValueError(f"optional_style must be 'guava' or 'java', got {optional_style!r}")
        self.task = task
        self.old_state = old_state
        self.optional_style = optional_style
        apply_hash_policy(task, hashed, identity)

    @property
    def new_state(self) -> Any:
        return self.task.status

    def encode(self, optional_style: str | None = None) -> str:
        """The Java string Gson writes for this event.

        ``optional_style`` (``guava`` or ``java``) overrides the event's own,
        which defaults to what the models' Aurora release used.
        """
        style = optional_style or self.optional_style or _default_style(models_of(self.task))
        if self.old_state is None:
            old = "{}"
        else:
            old = '{"' + OPTIONAL_KEYS[style] + '":"' + self.old_state.name + '"}'
        try:
            task = encode(self.task)
        except PayloadError as err:
            raise err.within("task") from None
        return '{"task":' + task + ',"oldState":' + old + "}"

    def wire(self, profile: Profile | str | None = None, content_type: str | None = None,
             encoding: str | None = None) -> bytes:
        """The body bytes as ``profile``'s Aurora release put them on the wire.

        ``encoding="utf-8"`` chooses UTF-8 instead of the release's rule.
        """
        if profile is None:
            profile = _default_profile(models_of(self.task))
        elif isinstance(profile, str):
            profile = profile_for(profile)
        style = self.optional_style or profile.optional_style
        return profile.wire_bytes(self.encode(style), content_type, encoding)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskStateChange):
            return NotImplemented
        return bool(self.task == other.task and self.old_state == other.old_state)

    def __hash__(self) -> int:
        return hash((self.task, self.old_state))

    def __repr__(self) -> str:
        old = "None" if self.old_state is None else self.old_state.name
        new = "None" if self.new_state is None else self.new_state.name
        task_id = None if self.task.assignedTask is None else self.task.assignedTask.taskId
        return f"TaskStateChange(task={task_id!r}, {old} -> {new})"


def decode_event(data: bytes | str | Any, models: ModuleType | Profile | str | None = None, *,
                 strict: bool = True) -> TaskStateChange:
    """A TaskStateChange read from a webhook body (Gson JSON, compact or pretty).

    ``models`` is the generated package (or a profile or release) to read it
    with; default Aurora 0.22's. Hashes are kept as found; the ``oldState``
    form found (``reference`` or ``value``) is kept for encoding.
    ``strict=False`` accepts members in any order (hand-edited input).
    """
    package = _models(models)
    text = isinstance(data, (bytes, bytearray, memoryview, str))
    with member_order(strict):
        try:
            return _decode_event_tree(parse_json(data) if text else data, package, strict)
        except NeedsExactText:
            # A double above 2^63 whose text the fast parser dropped: read it again.
            return _decode_event_tree(parse_json(data, exact=True) if text else exact_doubles(data), package, strict)


def _decode_event_tree(tree: Any, package: ModuleType, strict: bool = True) -> TaskStateChange:
    if tree.__class__ is not dict:
        raise PayloadError(f"expected the event object, got {describe(tree)}")
    unknown = [k for k in tree if k not in ("task", "oldState")]
    if unknown:
        raise PayloadError("unknown field of the event", unknown[0])
    for member in ("task", "oldState"):  # Gson writes both: oldState is an Optional object, never null
        if tree.get(member) is None:
            raise PayloadError(f"missing field of the event (Gson always writes it)" if member not in tree
                               else "null field of the event (Gson always writes an object)", member)
    if strict and next(iter(tree)) != "task":
        raise PayloadError("event members out of Gson's order (task comes first; "
                           "strict=False or --any-order accepts any order)", "oldState")
    task = decode_tree(package.ScheduledTask, tree["task"], path="task")
    old_state, style = _decode_optional(package, tree.get("oldState"))
    event = TaskStateChange.__new__(TaskStateChange)
    event.task = task
    event.old_state = old_state
    event.optional_style = style
    return event


def _decode_optional(package: ModuleType, value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if value.__class__ is not dict:
        raise PayloadError(f"expected an Optional object, got {describe(value)}", "oldState")
    if not value:
        return None, None
    if len(value) != 1 or next(iter(value)) not in ("reference", "value"):
        raise PayloadError("expected {} or one of reference, value", "oldState." + next(iter(value)))
    key, name = next(iter(value.items()))
    member = package.ScheduleStatus.__members__.get(name) if name.__class__ is str else None
    if member is None:
        raise PayloadError(f"{describe(name)} is not a ScheduleStatus", f"oldState.{key}")
    return member, "guava" if key == "reference" else "java"


def _status(models: ModuleType, state: Any) -> Any:
    enum = models.ScheduleStatus
    if isinstance(state, str):
        try:
            return enum[state]
        except KeyError:
            raise ValueError(f"{state!r} is not a ScheduleStatus") from None
    return enum(state)


def _models(models: ModuleType | Profile | str | None) -> ModuleType:
    if isinstance(models, ModuleType):
        return models
    if isinstance(models, Profile):
        return models.models()
    return profile_for(models or "0.22").models()


def _default_profile(models: ModuleType) -> Profile:
    for version in ("0.22", "0.14"):
        profile = profile_for(version)
        if profile.models_package == models.__name__:
            return profile
    return profile_for("0.22", models)


def _default_style(models: ModuleType) -> str:
    return _default_profile(models).optional_style
