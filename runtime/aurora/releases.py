"""Every Aurora release aurorakit knows, in one table: its models and its behaviour group.

A release string names a release line and, optionally, a patch release:
``"0.19"``, ``"0.19.1"``, ``"0.24.2"``. Patch releases of a line share its
``api.thrift`` and its webhook code (0.18.1 and 0.19.1 are the documented
ones), so the line decides everything. The lines, grouped as
``aurora-webhook-behaviour.md`` groups them by the HTTP client they used:

======  ==================  ==========================================
group   releases            models (the api.thrift they have)
======  ==================  ==========================================
A       0.14, 0.15          aurora_0_14, aurora_0_15
B       0.16                aurora_0_16
C       0.17, 0.18          aurora_0_17, aurora_0_18
D       0.19                aurora_0_19
E       0.20, 0.21, 0.22    aurora_0_20, aurora_0_21, aurora_0_22
fork    0.23 to 0.27        aurora_0_27 (one api.thrift for the five)
======  ==================  ==========================================

The fork is the aurora-scheduler project's continuation; its webhook is
group E's. ``oldState`` is a Guava Optional (``{"reference":..}``) up to
0.19 and a ``java.util.Optional`` (``{"value":..}``) from 0.20.

There is no nearest-release fallback: an unknown release is a
:class:`ReleaseError` listing the known ones.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ..errors import AurorakitError

_LINES = {
    "A": ("0.14", "0.15"),
    "B": ("0.16",),
    "C": ("0.17", "0.18"),
    "D": ("0.19",),
    "E": ("0.20", "0.21", "0.22"),
    "fork": ("0.23", "0.24", "0.25", "0.26", "0.27"),
}
_FORK_SCHEMA = "0.27"
_GENERATED = "aurorakit.generated"
# Exact forms only: "0.19" or "0.19.1", no spaces or leading zeros ("0.019" is not 0.19).
_RELEASE = re.compile(r"0\.([1-9][0-9]?)(?:\.(0|[1-9][0-9]{0,2}))?")

DEFAULT_RELEASE = "0.22"
"""What commands use when neither the command line nor the input names a release."""


class ProfileError(AurorakitError, ValueError):
    """A release or release setting aurorakit cannot use (an unknown release, an unknown charset)."""


class ReleaseError(ProfileError):
    """An Aurora release aurorakit does not know."""


@dataclass(frozen=True)
class Release:
    """One Aurora release line: ``version`` (``"0.19"``), its ``group``, its ``schema`` (api.thrift)."""

    version: str
    group: str
    schema: str

    @property
    def minor(self) -> int:
        """The line's number: 19 for 0.19."""
        minor = _line_number(self.version)
        assert minor is not None, self.version
        return minor

    @property
    def models_package(self) -> str:
        """The generated package of this release's api.thrift (``aurorakit.generated.aurora_0_19``)."""
        return f"{_GENERATED}.aurora_{self.schema.replace('.', '_')}"

    @property
    def optional_style(self) -> str:
        """``guava`` (``{"reference":..}``) up to 0.19, ``java`` (``{"value":..}``) from 0.20."""
        return "guava" if self.group in ("A", "B", "C", "D") else "java"

    def models(self) -> ModuleType:
        """The generated models of this release (imported on first use)."""
        return importlib.import_module(self.models_package)


RELEASES: dict[str, Release] = {
    version: Release(version, group, _FORK_SCHEMA if group == "fork" else version)
    for group, versions in _LINES.items() for version in versions
}
VERSIONS: tuple[str, ...] = tuple(RELEASES)
SCHEMAS: tuple[str, ...] = tuple(dict.fromkeys(release.schema for release in RELEASES.values()))


def known_releases() -> str:
    """The known release lines, for messages: ``0.14, 0.15, ..., 0.22, 0.23-0.27 (fork)``."""
    fork = _LINES["fork"]
    plain = [v for v in VERSIONS if v not in fork]
    return f"{', '.join(plain)}, {fork[0]}-{fork[-1]} (aurora-scheduler fork)"


def _line_number(text: object) -> int | None:
    """The release line's number in a release string (``"0.19.1"`` -> 19); None if it is not one."""
    match = _RELEASE.fullmatch(text) if isinstance(text, str) else None
    return int(match.group(1)) if match else None


def parse_release(text: object) -> str:
    """The release line of a release string: ``"0.19.1"`` -> ``"0.19"``; ReleaseError if unknown."""
    minor = _line_number(text)
    version = None if minor is None else f"0.{minor}"
    if version not in RELEASES:
        raise ReleaseError(f"unknown Aurora release {text!r}; known: {known_releases()} "
                           f"(a patch release such as 0.19.1 is its line's)")
    return version


def release(text: str | Release) -> Release:
    """The release named by ``text`` (``"0.19"``, ``"0.19.1"``, ``"0.24.2"``)."""
    if isinstance(text, Release):
        return text
    return RELEASES[parse_release(text)]


def models_for(text: str | Release) -> ModuleType:
    """The generated models of a release: ``models_for("0.24.2")`` is ``aurora_0_27``."""
    return release(text).models()


def release_of_models(models: ModuleType | str) -> Release | None:
    """The release whose shipped models ``models`` are (the fork's: 0.27); None for other models."""
    name = models if isinstance(models, str) else models.__name__
    found = [r for r in RELEASES.values() if r.models_package == name]
    return found[-1] if found else None


def recorded_release(header: Any) -> str | None:
    """The release a file written by aurorakit records, from its header object; None if none.

    A vector file records it as its ``"aurora"`` key. JSON lines record it
    in a first line that is an object with an ``"aurora"`` key and no
    ``"task"`` (``{"aurora": "0.19.0"}``), which readers skip as a payload.
    ReleaseError if the recorded release is not a known one.
    """
    if not isinstance(header, dict) or "task" in header or header.get("aurora") is None:
        return None
    value = header["aurora"]
    parse_release(value)
    return str(value)


def header_line(version: str | Release) -> str:
    """The first line of JSON lines written for a release (see :func:`recorded_release`)."""
    return '{"aurora": "' + release(version).version + '.0"}'
