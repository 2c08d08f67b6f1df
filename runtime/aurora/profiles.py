"""What each Aurora release did with its webhook, as data.

Sections 1 and 5 of the payload format note: which events were posted, how
``oldState`` was written, how the JSON string became bytes, the timestamp
header's name and what ``timeoutMsec`` bounded. Each fact follows from the
release's group (``aurorakit.runtime.aurora.releases`` holds the table of releases,
their groups and their models).
"""

from __future__ import annotations

import codecs
import functools
import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol

from .java_charsets import java_charset
from .releases import VERSIONS, ProfileError, Release, ReleaseError, release

__all__ = ["VERSIONS", "PostingRules", "Profile", "ProfileError", "ReleaseError", "charset_of", "java_charset",
           "profile_for", "release_posts"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@functools.cache
def _schedule_statuses(models_package: str) -> tuple[str, ...]:
    return tuple(importlib.import_module(models_package).ScheduleStatus.__members__)


@dataclass(frozen=True)
class Profile:
    """The webhook behaviour of one Aurora release line (``version`` is ``"0.14"`` .. ``"0.27"``).

    ``models_package`` is the release's own generated package unless other
    models (generated from a user's IDL) were given.
    """

    version: str
    models_package: str | None = None
    release: Release = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = release(self.version)
        object.__setattr__(self, "version", found.version)
        object.__setattr__(self, "release", found)
        if self.models_package is None:
            object.__setattr__(self, "models_package", found.models_package)

    @property
    def group(self) -> str:
        """``A`` .. ``E`` or ``fork``, as the behaviour note groups the releases."""
        return self.release.group

    @property
    def minor(self) -> int:
        return self.release.minor

    @property
    def optional_style(self) -> str:
        """``guava`` (``{"reference":..}``) up to 0.19, ``java`` (``{"value":..}``) from 0.20."""
        return self.release.optional_style

    @property
    def posts_initial_events(self) -> bool:
        """Group A (0.14, 0.15) posted every event, also those without oldState at startup."""
        return self.group == "A"

    @property
    def statuses_filter(self) -> bool:
        """From 0.19 (groups D, E, fork) the config's ``statuses`` list says which new statuses are posted."""
        return self.group in ("D", "E", "fork")

    @property
    def timestamp_header(self) -> str:
        return "TimeStamp" if self.group == "A" else "Timestamp"

    @property
    def http_client(self) -> str:
        """The HTTP client group of section 2 of the behaviour note.

        ``A`` 0.14-0.15 (HttpURLConnection), ``B`` 0.16 (Apache HttpClient,
        response never closed), ``C`` 0.17-0.18 (Apache HttpClient), ``D`` 0.19
        and ``E`` 0.20 on, the fork's releases included (AsyncHttpClient 2.0).
        What each client did is in ``runtime/webhook/aurora_clients.py``.
        """
        return "E" if self.group == "fork" else self.group

    @property
    def schedule_statuses(self) -> tuple[str, ...]:
        """The ScheduleStatus names of this release's api.thrift, in IDL order (PARTITIONED came in 0.20).

        Read from the release's own generated enum (not ``models_package``: a
        user's IDL may lack the enum), imported on first use.
        """
        return _schedule_statuses(self.release.models_package)

    @property
    def wire(self) -> str:
        """``low8`` (group A), ``latin1`` (B, C) or ``charset`` (D, E, fork)."""
        if self.group == "A":
            return "low8"
        return "latin1" if self.group in ("B", "C") else "charset"

    def models(self) -> ModuleType:
        """The generated package this profile reads and writes payloads with."""
        assert self.models_package is not None  # set by __post_init__
        return importlib.import_module(self.models_package)

    def posts(self, new_status: str, old_status: str | None, statuses: Iterable[str] | None = None) -> bool:
        """Whether this release posted the event (statuses: the config's list, None for all)."""
        return release_posts(self, new_status, old_status, statuses)

    def wire_bytes(self, text: str, content_type: str | None = None, encoding: str | None = None) -> bytes:
        """The bytes this release put on the wire for the JSON ``text``.

        ``encoding`` (e.g. ``"utf-8"``) overrides the release's rule, for
        receivers that want the payload unmangled.
        """
        if encoding is not None:
            return _encode(text, encoding)
        if self.wire == "low8":
            # DataOutputStream.writeBytes: each UTF-16 code unit cut to its low 8 bits.
            return text.encode("utf-16-le", "surrogatepass")[::2]
        return _encode(text, self.wire_charset(content_type))

    def wire_charset(self, content_type: str | None = None) -> str:
        """The charset the body's bytes are in: what reads :meth:`wire_bytes` back.

        For group A this is ISO-8859-1, which reads the low 8 bits back as the
        characters U+0000 to U+00FF (anything above was already lost).
        """
        if self.wire == "charset":
            return java_charset(charset_of(content_type)) or "iso-8859-1"  # unknown: ISO-8859-1
        return "iso-8859-1"


class PostingRules(Protocol):
    """What decides which events a release posts (a :class:`Profile` has it)."""

    @property
    def posts_initial_events(self) -> bool: ...
    @property
    def statuses_filter(self) -> bool: ...


def release_posts(rules: PostingRules, new_status: str, old_status: str | None,
                  statuses: Iterable[str] | None) -> bool:
    """Whether a release with these rules posted an event (``statuses``: the config's list, None or "*" for all).

    Events without an old state (a scheduler starting up) only up to 0.15;
    the ``statuses`` list only counts from 0.19.
    """
    if old_status is None and not rules.posts_initial_events:
        return False
    if rules.statuses_filter and statuses is not None:
        allowed = statuses if isinstance(statuses, (set, frozenset)) else set(statuses)
        return "*" in allowed or new_status in allowed
    return True


def charset_of(content_type: str | None) -> str | None:
    """The charset 0.19 on read from a Content-Type value, if any (section 2.2 of the behaviour note).

    Only a lower-case ``charset=`` with no space before ``=`` counts, in any
    ``;``-separated part, the first included; quotes around the name are
    dropped. ``"application/json; Charset=UTF-8"`` names none.
    """
    for part in (content_type or "").split(";"):
        part = part.strip()
        if part.startswith("charset="):
            return part[len("charset="):].strip().replace('"', "").replace("'", "") or None
    return None


def _encode(text: str, charset: str) -> bytes:
    """Java's String.getBytes(charset): each character it cannot hold becomes '?'."""
    if not text.isascii():
        # A Java string is UTF-16: join surrogate pairs into characters first,
        # so a pair the charset cannot hold becomes one '?', as in Java.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise ProfileError(f"unknown charset {charset!r}") from None
    if codec.startswith(("utf-16", "utf-32")):  # Java writes U+FFFD for a lone surrogate here, not '?'
        text = _LONE_SURROGATE.sub("\ufffd", text)
    if codec == "utf-16":  # Java: big-endian with the byte order mark FE FF (Python: native order)
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be", "replace")
    if codec == "utf-32":  # Java: big-endian, no byte order mark
        return text.encode("utf-32-be", "replace")
    try:
        return text.encode(codec, "replace")
    except LookupError:  # rot13, base64, zlib: Python codecs that are not text encodings
        raise ProfileError(f"{charset!r} is not a charset") from None


def profile_for(version: str, models: str | ModuleType | None = None) -> Profile:
    """The profile of an Aurora release, with its own models or the ``models`` given."""
    if isinstance(models, ModuleType):
        return Profile(version, models.__name__)
    return Profile(version, models)
