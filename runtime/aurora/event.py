"""The webhook event: ``TaskStateChange(task, old_state)`` and its Gson form.

Aurora posts ``new Gson().toJson(event)`` where the event holds the task (a
``ScheduledTask``) and ``oldState`` (an Optional ``ScheduleStatus``) in that
order. Which objects carry a cachedHashCode depends on what the scheduler
had hashed before writing: a :data:`HashPolicy` says so when the event is made.
"""

from __future__ import annotations

import codecs
import functools
import sys
from collections.abc import Callable
from enum import IntEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, Union, overload

from typing_extensions import TypeVar

from ..accel import accelerate, parse_event
from ..codec import decode_tree, read_json
from ..errors import FieldError, PayloadError, describe
from ..hashing import EPOCH, java_hash
from ..identity import IdentityTable, current_identity
from . import event_text
from .event_text import OPTIONAL_KEYS as OPTIONAL_KEYS  # webhook/payloads.py reads it here
from .profiles import Profile, profile_for
from .releases import DEFAULT_RELEASE, Release, ReleaseError, release, release_of_models

if TYPE_CHECKING:  # the typed overloads of decode_event name each release's ScheduledTask
    from aurorakit.generated import (
        aurora_0_14,
        aurora_0_15,
        aurora_0_16,
        aurora_0_17,
        aurora_0_18,
        aurora_0_19,
        aurora_0_20,
        aurora_0_21,
        aurora_0_22,
        aurora_0_27,
    )

HashPolicy = Union[str, Callable[[Any, IdentityTable], None]]
"""``"none"``, ``"taskconfig"`` (default), ``"assigned"``, ``"all"``, or a function(task, identity table)."""

ReleaseLike = Union[str, Release, Profile]
"""A release string (``"0.19"``, ``"0.19.1"``), a :class:`Release`, or a :class:`Profile`."""

HASH_POLICIES = ("none", "taskconfig", "assigned", "all")


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
        raise FieldError("hashed", f"unknown hash policy {policy!r}; use one of {', '.join(HASH_POLICIES)} or a function")


class ScheduledTaskLike(Protocol):
    """What the event needs of a generated ``ScheduledTask`` (every release's has these)."""

    @property
    def assignedTask(self) -> Any: ...
    @property
    def status(self) -> IntEnum | None: ...


TaskT = TypeVar("TaskT", bound=ScheduledTaskLike, default=Any)
"""The event's ScheduledTask class; a bare ``TaskStateChange`` is ``TaskStateChange[Any]``."""


_PACKAGES: dict[type, ModuleType] = {}  # model class -> its package, looked up once per class


def models_of(obj: Any) -> ModuleType:
    """The generated package a model object (or model class) belongs to."""
    cls = obj if isinstance(obj, type) else type(obj)
    found = _PACKAGES.get(cls)
    if found is None:
        found = _PACKAGES[cls] = sys.modules[cls.__module__.rsplit(".", 1)[0]]
    return found


# Profiles are immutable: the ones every event of a models package would look up
# again (a scan of the release table and a Profile built, ~11 us) are kept per package.
@functools.cache
def _own_release(models: ModuleType) -> Profile | None:
    """The profile of the release whose shipped models ``models`` are (None: a user's IDL)."""
    accelerate(models)  # the first event of a package: install the compiled walker where there is one
    own = release_of_models(models)
    return None if own is None else profile_for(own.version, models)


@functools.cache
def _default_profile(models: ModuleType) -> Profile:
    """The default release's profile with ``models``: what an event of no release is written as."""
    return profile_for(DEFAULT_RELEASE, models)


@functools.lru_cache(maxsize=256)  # spellings of known releases only: few
def _profile_named(wanted: str) -> Profile:
    return profile_for(release(wanted).version)


def _named_profile(wanted: str | Release | Profile) -> Profile:
    """The profile a release string (or Release) names; ReleaseError for an unknown one."""
    if isinstance(wanted, Profile):
        return wanted
    if isinstance(wanted, str):
        return _profile_named(wanted)
    return profile_for(release(wanted).version)


def _release_for(models: ModuleType, wanted: ReleaseLike | None) -> Profile | None:
    """The profile of ``wanted`` for a task of ``models``; ReleaseError if they do not belong together.

    Without ``wanted``, the release whose shipped models ``models`` are
    (None for models generated from a user's IDL).
    """
    if wanted is None:
        return _own_release(models)
    profile = _named_profile(wanted)
    wanted_package = profile.models_package or ""
    if wanted_package != models.__name__ and _own_release(models) is not None:
        raise ReleaseError(f"the task is made with {models.__name__.rsplit('.', 1)[-1]}, not with Aurora "
                           f"{profile.version}'s models ({wanted_package.rsplit('.', 1)[-1]}): "
                           f"make it with those, or name the release its models are")
    return profile_for(profile.version, models)


class TaskStateChange(Generic[TaskT]):
    """A task state change as Aurora's webhook posts it.

    ``task`` is a generated ``ScheduledTask``; ``old_state`` a
    ``ScheduleStatus`` of the same models (or its name or value), or None
    (the startup events of 0.14 and 0.15). ``release`` is the Aurora release
    the event is of: by default the one whose models ``task`` is made with;
    a release whose models are others is a ReleaseError. It decides the
    ``oldState`` form and the wire bytes. Making the event applies ``hashed``
    (see HashPolicy) with ``identity`` (default: the current identity table).
    """

    __slots__ = ("_read", "old_state", "optional_style", "profile", "task")

    task: TaskT
    old_state: Any
    """The ``ScheduleStatus`` (of the task's models) the task left, or None."""
    optional_style: str | None
    profile: Profile | None
    """The release the event is of (None for models of a user's IDL with no release named)."""

    def __init__(self, task: TaskT, old_state: IntEnum | str | int | None = None, *,
                 hashed: HashPolicy = "taskconfig", identity: IdentityTable | None = None,
                 optional_style: str | None = None, release: ReleaseLike | None = None) -> None:
        models = models_of(task)
        if type(task) is not getattr(models, "ScheduledTask", None):
            raise FieldError("TaskStateChange.task", f"must be a generated ScheduledTask, got {type(task).__name__}")
        if optional_style is not None and optional_style not in OPTIONAL_KEYS:
            raise FieldError("TaskStateChange.optional_style", f"must be 'guava' or 'java', got {optional_style!r}")
        self.profile = _release_for(models, release)
        self.task = task
        self.old_state = None if old_state is None else _status(models, old_state)
        self.optional_style = optional_style
        self._read: event_text.AsRead = None
        apply_hash_policy(task, hashed, identity)

    @property
    def release(self) -> str | None:
        """The release line of the event (``"0.19"``), None if unknown."""
        return None if self.profile is None else self.profile.version

    @property
    def new_state(self) -> Any:
        """The task's ``status``: the ``ScheduleStatus`` it entered."""
        return self.task.status

    def encode(self, optional_style: str | None = None) -> str:
        """The Java string Gson writes for this event.

        ``optional_style`` (``guava`` or ``java``) overrides the event's own,
        which defaults to what the event's Aurora release used.
        """
        style = optional_style or self.optional_style or self._own_profile().optional_style
        return event_text.text(self.task, event_text.tail(self.old_state, style), self._read)

    def wire(self, release: ReleaseLike | None = None, content_type: str | None = None,
             encoding: str | None = None) -> bytes:
        """The body bytes as the event's Aurora release (or ``release``) put them on the wire.

        ``release`` must be one whose models the task is made with.
        ``encoding="utf-8"`` chooses UTF-8 instead of the release's rule;
        :func:`decode_event` with the same arguments reads the bytes back.
        """
        profile = (self.profile or self._own_profile()) if release is None else _release_for(models_of(self.task),
                                                                                             release)
        assert profile is not None
        style = self.optional_style or profile.optional_style
        return event_text.wire(self.task, event_text.tail(self.old_state, style), profile, content_type, encoding,
                               self._read)

    def _own_profile(self) -> Profile:
        return self.profile or _default_profile(models_of(self.task))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskStateChange):
            return NotImplemented
        return bool(self.task == other.task and self.old_state == other.old_state)

    def __hash__(self) -> int:
        return hash((self.task, self.old_state))

    def __repr__(self) -> str:
        old = "None" if self.old_state is None else self.old_state.name
        new = "None" if self.new_state is None else self.new_state.name
        assigned = self.task.assignedTask
        task_id = None if assigned is None else assigned.taskId
        return f"TaskStateChange(task={task_id!r}, {old} -> {new})"


Data = Union[bytes, bytearray, memoryview, str, Any]


@overload
def decode_event(data: Data, release: type[TaskT], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[TaskT]: ...
@overload
def decode_event(data: Data, release: Literal["0.14", "0.14.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_14.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.15", "0.15.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_15.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.16", "0.16.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_16.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.17", "0.17.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_17.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.18", "0.18.0", "0.18.1"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_18.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.19", "0.19.0", "0.19.1"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_19.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.20", "0.20.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_20.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.21", "0.21.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_21.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.22", "0.22.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_22.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: Literal["0.23", "0.23.0", "0.24", "0.24.0", "0.25", "0.25.0", "0.26",
                                              "0.26.0", "0.27", "0.27.0"], *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[aurora_0_27.ScheduledTask]: ...
@overload
def decode_event(data: Data, release: ModuleType | ReleaseLike | None = ..., *, content_type: str | None = ...,
                 encoding: str | None = ..., strict: bool = ...) -> TaskStateChange[Any]: ...


def decode_event(data: Data, release: ModuleType | ReleaseLike | type[Any] | None = None, *,
                 content_type: str | None = None, encoding: str | None = None,
                 strict: bool = True) -> TaskStateChange[Any]:
    """A TaskStateChange read from a webhook body (Gson JSON, compact or pretty).

    ``release`` says what to read it as: a release string (``"0.19.1"``), a
    Profile, a generated ``ScheduledTask`` class, or a generated package
    (its release when it is a shipped one); default Aurora 0.22. Bytes are
    read back with that release's wire rule (``content_type``'s charset
    from 0.19, ISO-8859-1 before), or in ``encoding`` when given: the
    inverse of :meth:`TaskStateChange.wire`. A field the release's models
    do not have is a PayloadError naming it. Hashes are kept as found; the
    ``oldState`` form found (``reference`` or ``value``) is kept for encoding.
    ``strict=False`` accepts members in any order (hand-edited input).
    """
    package, profile = _resolve(release)
    event = None
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        charset = encoding or (profile or _default_profile(package)).wire_charset(content_type)
        if strict:
            event = _parsed_event(package, data, _ASCII_SUPERSETS.get(charset.lower()))
        if event is None:
            data = _wire_text(data, charset)
    elif strict and data.__class__ is str:
        event = _parsed_event(package, data, "utf-8")
    if event is None:
        event = read_json(lambda tree: _decode_event_tree(tree, package, strict), data, strict=strict)
    event.profile = profile
    return event


_STATUSES: dict[str, dict[str, Any]] = {}

# Charsets whose bytes the compiled parser reads as they are: UTF-8, and ISO-8859-1 while the
# bytes are ASCII (it declines text with others, which _wire_text then decodes).
_ASCII_SUPERSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "ascii", "latin-1": "ascii",
                    "latin1": "ascii", "us-ascii": "ascii", "ascii": "ascii"}


def _parsed_event(package: ModuleType, text: str | bytes, charset: str | None) -> TaskStateChange[Any] | None:
    """The event read by the compiled parser straight from its text (str, or bytes in ``charset``);
    None where it declines or cannot read the charset."""
    if charset is None:
        return None
    parsed = parse_event(package.ScheduledTask, text, charset == "ascii")
    if parsed is None:
        return None
    task, form, name, canonical = parsed
    old_state = None
    if form is not None:
        statuses = _STATUSES.get(package.__name__)
        if statuses is None:  # Enum.__members__ builds a mapping proxy each time (~1 us): kept per package
            statuses = _STATUSES[package.__name__] = dict(package.ScheduleStatus.__members__)
        old_state = statuses.get(name or "")  # a name whenever a form
        if old_state is None:  # not a status: the usual decoding says so
            return None
    event: TaskStateChange[Any] = TaskStateChange.__new__(TaskStateChange)
    event.task = task
    event.old_state = old_state
    event.optional_style = style = None if form is None else "guava" if form == "reference" else "java"
    event.profile = None
    event._read = None
    if canonical and (old_state is None or old_state._name_ == name):  # not an alias's name
        # the text as read is the event's text (the parser proved it): wire() and encode() give it back
        event._read = (task, event_text.tail(old_state, style or "guava"), text, None if canonical == 2 else EPOCH[0])
    return event


def _resolve(given: ModuleType | ReleaseLike | type[Any] | None) -> tuple[ModuleType, Profile | None]:
    """The models and the release (None: models of a user's IDL) that ``given`` names."""
    if given is None:
        given = DEFAULT_RELEASE
    if isinstance(given, type):
        given = models_of(given)
    if isinstance(given, ModuleType):
        return given, _own_release(given)
    profile = _named_profile(given)
    models = _RELEASE_PACKAGES.get(profile.models_package or "")
    if models is None:  # import_module costs ~1.6 us an event even when imported: kept once imported
        models = _RELEASE_PACKAGES[profile.models_package or ""] = profile.models()
    _own_release(models)
    return models, profile


_RELEASE_PACKAGES: dict[str, ModuleType] = {}  # a profile's models_package -> the package


def _wire_text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except LookupError:
        raise PayloadError(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as err:
        if codecs.lookup(charset).name == "utf-8":
            raise PayloadError(f"malformed JSON: not UTF-8 at byte {err.start}") from None
        raise PayloadError(f"body is not valid {charset} at byte {err.start}") from None


def _decode_event_tree(tree: Any, package: ModuleType, strict: bool = True) -> TaskStateChange[Any]:
    if tree.__class__ is not dict:
        raise PayloadError(f"expected the event object, got {describe(tree)}")
    unknown = [k for k in tree if k not in ("task", "oldState")]
    if unknown:
        raise PayloadError("unknown field of the event", unknown[0])
    for member in ("task", "oldState"):  # Gson writes both: oldState is an Optional object, never null
        if tree.get(member) is None:
            raise PayloadError("missing field of the event (Gson always writes it)" if member not in tree
                               else "null field of the event (Gson always writes an object)", member)
    if strict and next(iter(tree)) != "task":
        raise PayloadError("event members out of Gson's order (task comes first; "
                           "strict=False or --any-order accepts any order)", "oldState")
    task = decode_tree(package.ScheduledTask, tree["task"], path="task")
    old_state, style = _decode_optional(package, tree.get("oldState"))
    event: TaskStateChange[Any] = TaskStateChange.__new__(TaskStateChange)
    event.task = task
    event.old_state = old_state
    event.optional_style = style
    event.profile = None
    event._read = None
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


def _status(models: ModuleType, state: IntEnum | str | int) -> IntEnum:
    enum: type[IntEnum] = models.ScheduleStatus
    if state.__class__ is enum:  # the usual case, without the enum's call
        return state
    if isinstance(state, str):
        try:
            return enum[state]
        except KeyError:
            raise ValueError(f"{state!r} is not a ScheduleStatus") from None
    return enum(state)
