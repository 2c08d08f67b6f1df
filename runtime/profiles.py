"""What each Aurora release did with its webhook, as data.

Sections 1 and 5 of the payload format note: which events were posted, how
``oldState`` was written, how the JSON string became bytes, the timestamp
header's name and what ``timeoutMsec`` bounded. Models (the generated types
of that release's api.thrift) ship for 0.14 and 0.22; other releases take
models generated from their own IDL.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

from .errors import AurorakitError

VERSIONS = tuple(f"0.{minor}" for minor in range(14, 23))
SHIPPED_MODELS = {"0.14": "aurorakit.generated.aurora_0_14", "0.22": "aurorakit.generated.aurora_0_22"}
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


# (last minor of the group, group name) in the behaviour doc's table; later minors are the fork.
_GROUPS = ((15, "A"), (16, "B"), (18, "C"), (19, "D"), (22, "E"))
_STATUSES = ("PENDING", "STARTING", "RUNNING", "FINISHED", "FAILED", "KILLED", "KILLING", "LOST",
             "ASSIGNED", "INIT", "RESTARTING", "PREEMPTING", "THROTTLED", "DRAINING")


@dataclass(frozen=True)
class ClientFacts:
    """The HTTP client of a release group, as a receiver saw it.

    ``added``: headers the client put on every POST; ``default_content_type``:
    sent only when no Content-Type is configured; ``timestamp_clash``: what
    happened to a configured header with the timestamp header's name
    (``replaced`` by the generated value, the ``configured`` value wins, or
    ``both`` sent); ``timeout_bounds``: what ``timeoutMsec`` limited;
    ``zero_timeout``/``negative_timeout``: what ``timeoutMsec`` 0 or below
    meant (None where the doc does not say).
    """

    name: str
    added: tuple[tuple[str, str], ...]
    default_content_type: tuple[str, str] | None
    timestamp_clash: str
    timeout_bounds: str
    zero_timeout: str | None = None
    negative_timeout: str | None = None


_APACHE = ClientFacts(
    "Apache HttpClient 4.5",
    (("User-Agent", "Apache-HttpClient/4.5.2 (Java/<version>)"), ("Accept-Encoding", "gzip,deflate"),
     ("Connection", "Keep-Alive")),
    ("Content-Type", "text/plain; charset=ISO-8859-1"), "configured",
    "connecting, taking a pooled connection, and each read (idle time)")
_AHC = ClientFacts(
    "AsyncHttpClient 2.0", (("User-Agent", "AHC/2.0"), ("Accept", "*/*")), None, "both",
    "connecting, the TLS handshake, each read, and the whole request",
    zero_timeout="every request times out at once")
_CLIENTS = {
    "A": ClientFacts(
        "the JDK's HttpURLConnection",
        (("User-Agent", "Java/<version>"), ("Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"),
         ("Connection", "keep-alive")),
        ("Content-type", "application/x-www-form-urlencoded"), "replaced",
        "connecting only (a failed connect is tried a second time); reads are unbounded",
        zero_timeout="no limit", negative_timeout="every event fails"),
    "B": _APACHE, "C": _APACHE, "D": _AHC, "E": _AHC, "fork": _AHC,
}


class ProfileError(AurorakitError, ValueError):
    """An unknown Aurora release, or models that are not there."""


@dataclass(frozen=True)
class Profile:
    """The webhook behaviour of one Aurora release (``version`` is ``"0.14"`` .. ``"0.22"``)."""

    version: str
    models_package: str | None = None

    @property
    def minor(self) -> int:
        return int(self.version.split(".")[1])

    @property
    def optional_style(self) -> str:
        """``guava`` (``{"reference":..}``) up to 0.19, ``java`` (``{"value":..}``) from 0.20."""
        return "guava" if self.minor <= 19 else "java"

    @property
    def posts_initial_events(self) -> bool:
        """0.14 and 0.15 posted every event, also those without oldState at startup."""
        return self.minor <= 15

    @property
    def statuses_filter(self) -> bool:
        """From 0.19 the config's ``statuses`` list says which new statuses are posted."""
        return self.minor >= 19

    @property
    def timestamp_header(self) -> str:
        return "TimeStamp" if self.minor <= 15 else "Timestamp"

    @property
    def timeout_scope(self) -> str:
        """``connect``: timeoutMsec bounds connecting only (0.14, 0.15); ``all``: connect, pool and read."""
        return "connect" if self.minor <= 15 else "all"

    @property
    def group(self) -> str:
        """The behaviour doc's release group: ``A`` (0.14, 0.15) .. ``E`` (0.20-0.22), ``fork`` (0.23 on)."""
        for last, name in _GROUPS:
            if self.minor <= last:
                return name
        return "fork"

    @property
    def client(self) -> ClientFacts:
        """What this release's HTTP client added to each POST (section 2.1 of the behaviour doc)."""
        return _CLIENTS[self.group]

    @property
    def schedule_statuses(self) -> tuple[str, ...]:
        """The ScheduleStatus names of this release's api.thrift; PARTITIONED came in 0.20."""
        return _STATUSES + (("PARTITIONED",) if self.minor >= 20 else ())

    @property
    def wire(self) -> str:
        """``low8`` (0.14, 0.15), ``latin1`` (0.16-0.18) or ``charset`` (0.19 on)."""
        if self.minor <= 15:
            return "low8"
        return "latin1" if self.minor <= 18 else "charset"

    def models(self) -> ModuleType:
        """The generated package of this release's api.thrift."""
        if self.models_package is None:
            raise ProfileError(
                f"aurorakit ships no models for Aurora {self.version}; generate them from that release's "
                f"api.thrift (aurorakit codegen API.thrift --package NAME --out DIR) and pass them as models")
        return importlib.import_module(self.models_package)

    def posts(self, new_status: str, old_status: str | None, statuses: Iterable[str] | None = None) -> bool:
        """Whether this release posted the event (statuses: the config's list, None for all)."""
        if old_status is None and not self.posts_initial_events:
            return False
        if self.statuses_filter and statuses is not None:
            allowed = set(statuses)
            return "*" in allowed or new_status in allowed
        return True

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
        if self.wire == "latin1":
            return _encode(text, "iso-8859-1")
        return _encode(text, charset_of(content_type) or "iso-8859-1")


def charset_of(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type value, if any."""
    if not content_type:
        return None
    found = _CHARSET.search(content_type)
    return found.group(1) if found else None


def _encode(text: str, charset: str) -> bytes:
    """Java's String.getBytes(charset): each character it cannot hold becomes '?'."""
    if not text.isascii():
        # A Java string is UTF-16: join surrogate pairs into characters first,
        # so a pair the charset cannot hold becomes one '?', as in Java.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    try:
        return text.encode(charset, "replace")
    except LookupError:
        raise ProfileError(f"unknown charset {charset!r}") from None


def normalize_version(version: str) -> str:
    """``"0.22.0"``, ``"0.22"`` or ``"22"`` -> ``"0.22"``; ProfileError if not a known release."""
    text = str(version).strip()
    match = re.fullmatch(r"(?:0\.)?(\d+)(?:\.\d+)*", text)
    if not match or f"0.{int(match.group(1))}" not in VERSIONS:
        raise ProfileError(f"unknown Aurora release {version!r}; known: {', '.join(VERSIONS)}")
    return f"0.{int(match.group(1))}"


def profile_for(version: str, models: str | ModuleType | None = None) -> Profile:
    """The profile of an Aurora release, with its shipped models or the ``models`` given."""
    key = normalize_version(version)
    if isinstance(models, ModuleType):
        package: str | None = models.__name__
    else:
        package = models or SHIPPED_MODELS.get(key)
    return Profile(key, package)
