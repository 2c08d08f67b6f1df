"""Error types of the aurorakit runtime.

Each error names the place it is about: a model field (``TaskConfig.priority``)
or a JSON path (``task.assignedTask.task.resources[2].value``).
"""

from __future__ import annotations

import os


class AurorakitError(Exception):
    """Base of every error aurorakit raises on purpose.

    The command line prints ``str(err)`` as one line and exits 2, so each
    message names its place: a file (and line, case or JSON path), a config
    key or an option.
    """


class FileError(AurorakitError, OSError):
    """A path that cannot be read or written: ``"PATH: what went wrong"``."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.where = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"

    @classmethod
    def from_os_error(cls, path: str | os.PathLike[str], err: OSError, doing: str = "") -> FileError:
        """``doing`` says what failed ("cannot write"); the OS's reason follows it."""
        reason = err.strerror or str(err)
        return cls(path, f"{doing}: {reason}" if doing else reason)


class UsageError(AurorakitError):
    """A command-line option that names something unusable (``--models``, a port, a path)."""


class FieldError(AurorakitError, ValueError, TypeError):
    """A value that does not fit a model field: wrong type or out of range.

    It is both a ``ValueError`` and a ``TypeError`` so that code catching
    either of the usual Python errors for bad arguments still catches it.
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class PayloadError(AurorakitError, ValueError):
    """A payload that cannot be read (or written) as Aurora writes it.

    ``path`` is the JSON path of the offending value, ``message`` says what is
    wrong with it. ``str(err)`` is ``"path: message"``.
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.message = message
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)

    def within(self, segment: str) -> PayloadError:
        """The same error seen from the parent: ``segment`` is prepended to the path.

        ``segment`` is a field name (``"task"``) or an index or key in
        brackets (``"[2]"``, ``'["http"]'``).
        """
        if not self.path:
            path = segment
        elif self.path.startswith("["):
            path = segment + self.path
        else:
            path = f"{segment}.{self.path}"
        err = PayloadError(self.message, path)
        err.__cause__ = self.__cause__
        return err

    def __reduce__(self) -> tuple[type[PayloadError], tuple[str, str]]:
        return (PayloadError, (self.message, self.path))


def describe(value: object, limit: int = 40) -> str:
    """A short JSON-like rendering of a bad value for error messages."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value) if not isinstance(value, str) else '"' + value.replace('"', '\\"') + '"'
    return text if len(text) <= limit else text[: limit - 3] + "..."
