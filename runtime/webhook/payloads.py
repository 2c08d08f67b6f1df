"""Between the payload layer and the delivery engine.

The payload layer knows events (``TaskStateChange``) and what each Aurora
release did with them (``Profile``); the delivery engine only moves bodies
(``OutgoingEvent``). This module turns one into the other both ways:

- :func:`outgoing_from_event` / :func:`outgoing_from_text`: the body bytes a
  release put on the wire, from an event or from a captured payload's text;
- :func:`request_decoder`: for a receiver, the wire bytes back into text
  (the inverse of the release's rule), then into a typed event, then into
  the :func:`summary` it stores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..aurora.event import OPTIONAL_KEYS, TaskStateChange, decode_event
from ..aurora.profiles import Profile
from ..aurora.verify import walk
from ..codec import parse_json
from ..errors import AurorakitError, PayloadError
from .outgoing import OutgoingEvent, webhook_message_id

if TYPE_CHECKING:  # the receiver (and h11 with it) is not loaded to read payloads
    from .receiver import RequestDecoder

# A JSON string literal, or a run of the whitespace JSON allows between tokens.
_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\r\n]+', re.DOTALL)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, its name matched without regard to case."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def compact(text: str) -> str:
    """``text`` without the whitespace between JSON tokens: what Gson wrote for a pretty-printed copy.

    String contents, escapes included, are kept exactly.
    """
    return _STRING_OR_SPACE.sub(lambda found: found.group(1) or "", text)


def outgoing_from_event(event: TaskStateChange, profile: Profile, content_type: str | None,
                        event_id: str | None = None, encoding: str | None = None) -> OutgoingEvent:
    """The delivery of ``event`` with the body ``profile``'s release put on the wire
    (``encoding``, e.g. from ``AuroraSender.body_encoding``, overrides the release's rule)."""
    body = event.wire(profile, content_type, encoding)
    return OutgoingEvent(
        event_id=event_id or webhook_message_id(profile.version, body),
        task_id=event.task.assignedTask.taskId if event.task.assignedTask is not None else "",
        new_status=event.new_state.name,
        old_status=None if event.old_state is None else event.old_state.name,
        body=body)


def outgoing_from_text(text: str, profile: Profile, content_type: str | None,
                       event_id: str | None = None, models: ModuleType | None = None,
                       encoding: str | None = None) -> OutgoingEvent:
    """The delivery of a captured payload: its Java string, compacted, put on the wire as ``profile`` did.

    The text is kept as captured (its ``oldState`` form included); only the
    statuses and task id are read from it, to label and filter the delivery.
    PayloadError (with the JSON path) if those cannot be found. With
    ``models``, the payload must also be one that ``profile``'s release
    wrote: those models decode it, and its ``oldState`` has the release's
    Optional form.
    """
    java_string = compact(text)
    tree = parse_json(java_string)
    if not isinstance(tree, dict):
        raise PayloadError("expected the event object")
    task = tree.get("task")
    if not isinstance(task, dict):
        raise PayloadError("missing or not an object", "task")
    status = task.get("status")
    if not isinstance(status, str):
        raise PayloadError("missing or not a status name", "task.status")
    assigned = task.get("assignedTask")
    task_id = assigned.get("taskId") if isinstance(assigned, dict) else None
    if not isinstance(task_id, str):
        raise PayloadError("missing or not a string", "task.assignedTask.taskId")
    old = tree.get("oldState")
    if old is None:
        old = {}
    if not isinstance(old, dict) or len(old) > 1 or (old and next(iter(old)) not in ("reference", "value")):
        raise PayloadError("expected {} or one of reference, value", "oldState")
    old_status = next(iter(old.values())) if old else None
    if old_status is not None and not isinstance(old_status, str):
        raise PayloadError("expected a status name", f"oldState.{next(iter(old))}")
    if models is not None:  # after the checks above, whose errors name what send itself needs
        check_release(java_string, profile, models)
    body = profile.wire_bytes(java_string, content_type, encoding)
    return OutgoingEvent(event_id=event_id or webhook_message_id(profile.version, body), task_id=task_id,
                         new_status=status, old_status=old_status, body=body)


def check_release(text: str, profile: Profile, models: ModuleType) -> None:
    """PayloadError unless ``text`` is a payload ``profile``'s release could have written.

    Decoding with the release's models names a field the release does not
    have (a 0.22 ``timesPartitioned`` sent as 0.19); the ``oldState`` form
    must be the release's (``reference`` up to 0.19, ``value`` from 0.20).
    """
    event = decode_event(text, models)
    if event.optional_style is not None and event.optional_style != profile.optional_style:
        found, wanted = (OPTIONAL_KEYS[style] for style in (event.optional_style, profile.optional_style))
        raise PayloadError(f"Aurora {profile.version} wrote oldState as {{\"{wanted}\":..}}, "
                           f"this payload has {{\"{found}\":..}}", f"oldState.{found}")


def body_text(body: bytes, profile: Profile, content_type: str | None) -> str:
    """The Java string behind wire bytes, read the way ``profile``'s release wrote them.

    0.14 to 0.18 wrote one byte per character whatever the Content-Type said,
    so ISO-8859-1 reads them back (characters above U+00FF were already lost
    on the sender's side); 0.19 on used the Content-Type's charset as it read
    it (``charset_of``), else ISO-8859-1, as for a charset name it did not know.
    """
    charset = profile.wire_charset(content_type)
    try:
        return body.decode(charset)
    except LookupError:
        raise PayloadError(f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as err:
        raise PayloadError(f"body is not valid {charset} at byte {err.start}") from None


def hashed_level(event: TaskStateChange) -> str:
    """Which of the event's objects the scheduler had hashed, as a hash policy name."""
    task = event.task
    assigned = task.assignedTask
    config = assigned.task if assigned is not None else None
    if task._jhash:
        return "all"
    if assigned is not None and assigned._jhash:
        return "assigned"
    if config is not None and config._jhash:
        return "taskconfig"
    return "none"


def summary(event: TaskStateChange) -> dict[str, Any]:
    """What a receiver shows of an event: who, which transition, when, and which hashes it carries."""
    task = event.task
    assigned = task.assignedTask
    config = assigned.task if assigned is not None else None
    job = config.job if config is not None else None
    events = task.taskEvents
    return {
        "taskId": assigned.taskId if assigned is not None else None,
        "job": f"{job.role}/{job.environment}/{job.name}" if job is not None else None,
        "instance": assigned.instanceId if assigned is not None else None,
        "oldState": None if event.old_state is None else event.old_state.name,
        "status": None if event.new_state is None else event.new_state.name,
        "lastEventTimestamp": events[-1].timestamp if events else None,
        "hashed": hashed_level(event),
        "hashedObjects": sum(1 for _, obj in walk(task, "task") if obj._jhash),
    }


def request_decoder(profile: Profile, models: ModuleType) -> RequestDecoder:
    """A receiver decoder: wire bytes -> typed event (PayloadError with its path) -> summary."""
    def decode(body: bytes, headers: Mapping[str, str]) -> Mapping[str, Any]:
        text = body_text(body, profile, header(headers, "Content-Type"))
        try:
            event = decode_event(text, models)
        except PayloadError:
            raise
        except AurorakitError as err:  # anything else the payload layer refuses: still the sender's fault
            raise PayloadError(str(err)) from None
        return summary(event)
    return decode
