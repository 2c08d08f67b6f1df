"""How an event's Gson text and wire bytes are put together, per event at the cost of a few lookups.

The text is ``'{"task":' + encode(task) + tail``, the tail holding ``oldState``;
where the compiled walker is installed it writes the whole text, or the wire
bytes straight from its buffer (no str of the event in between), and hands
back to the pure-Python path (``Profile.wire_bytes``, the generated encoders)
whatever it does not give.

An event decoded from text the compiled parser proved canonical (the very text
the encoder would write for what it read, runtime/_decode.c) keeps that text
(:data:`AsRead`), and gives it back instead of walking the task again.
"""

from __future__ import annotations

import codecs
from enum import IntEnum
from typing import Any, Optional, Union

from .. import accel
from ..codec import encode
from ..errors import PayloadError
from ..hashing import EPOCH
from .profiles import Profile

AsRead = Optional[tuple[Any, str, Union[str, bytes], Optional[int]]]
"""``(task, tail, body, epoch)`` of a decoded event, or None: ``body`` (the str or the UTF-8 or ASCII
bytes read) is ``'{"task":' + encode(task) + tail`` character for character while ``hashing.EPOCH[0]``
is ``epoch`` (for good when ``epoch`` is None: the task is hashed throughout)."""

OPTIONAL_KEYS = {"guava": "reference", "java": "value"}
NO_OLD_STATE = ',"oldState":{}}'

_TAILS: dict[tuple[str, str], str] = {}  # (style, status name) -> tail: a few dozen at most


def tail(old_state: IntEnum | None, style: str) -> str:
    """``,"oldState":{...}}``: the end of the event's text (KeyError for an unknown style)."""
    if old_state is None:
        return NO_OLD_STATE
    key = (style, old_state._name_)
    found = _TAILS.get(key)
    if found is None:
        found = ',"oldState":{"' + OPTIONAL_KEYS[style] + '":"' + old_state._name_ + '"}}'
        _TAILS[key] = found
    return found


def _as_read(read: AsRead, task: Any, end: str, form: int) -> Any:
    """The text (FORM_TEXT) or bytes of ``read`` in ``form``, when it is the event's text now; else None."""
    if read is None:
        return None
    read_task, read_end, body, epoch = read
    if read_task is not task or read_end != end or (epoch is not None and epoch != EPOCH[0]):
        return None  # another task, another oldState, or a hash cached since: its text may differ
    if form == accel.FORM_TEXT:
        return body if body.__class__ is str else body.decode("utf-8")  # type: ignore[union-attr]
    if body.__class__ is bytes:
        return body if form == accel.FORM_UTF8 or body.isascii() else None
    if form == accel.FORM_UTF8:
        return body.encode("utf-8")  # type: ignore[union-attr]
    return body.encode("ascii") if body.isascii() else None  # type: ignore[union-attr]


def text(task: Any, end: str, read: AsRead = None) -> str:
    """The event's Gson text; a PayloadError of the task's is named within ``task``."""
    if read is not None:
        made = _as_read(read, task, end, accel.FORM_TEXT)
        if made is not None:
            return made  # type: ignore[no-any-return]
    if task.__class__._gson_encode is accel.COMPILED_ENCODE and accel.write_event is not None:
        made = accel.write_event(task, end, accel.FORM_TEXT)
        if made is not None:
            return made  # type: ignore[no-any-return]
    try:
        return '{"task":' + encode(task) + end
    except PayloadError as err:
        raise err.within("task") from None


_CODEC_FORMS = {"iso8859-1": accel.FORM_LATIN1, "utf-8": accel.FORM_UTF8}
_WIRE_FORMS: dict[tuple[str, str | None, str | None], int | None] = {}
_UNKNOWN: Any = object()


def _wire_form(profile: Profile, content_type: str | None, encoding: str | None) -> int | None:
    """The walker's form of the bytes ``profile.wire_bytes`` gives for these arguments (None: none)."""
    form: int | None
    if encoding is None and profile.wire == "low8":
        form = accel.FORM_LOW8
    else:
        try:
            form = _CODEC_FORMS.get(codecs.lookup(profile.wire_charset(content_type) if encoding is None else encoding).name)
        except LookupError:
            form = None  # wire_bytes says what is wrong with it
    if len(_WIRE_FORMS) < 256:  # the few content types a sender uses
        _WIRE_FORMS[profile.version, content_type, encoding] = form
    return form


def wire(task: Any, end: str, profile: Profile, content_type: str | None, encoding: str | None,
         read: AsRead = None) -> bytes:
    """The event's body bytes as ``profile`` put them on the wire (see Profile.wire_bytes)."""
    if task.__class__._gson_encode is accel.COMPILED_ENCODE and accel.write_event is not None:
        form = _WIRE_FORMS.get((profile.version, content_type, encoding), _UNKNOWN)
        if form is _UNKNOWN:
            form = _wire_form(profile, content_type, encoding)
        if form is not None:
            made = _as_read(read, task, end, form)
            if made is None:
                made = accel.write_event(task, end, form)
            if made is not None:
                return made  # type: ignore[no-any-return]
    return profile.wire_bytes(text(task, end, read), content_type, encoding)
