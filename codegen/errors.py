"""The error types of the code generator: a bad IDL, or generated code the formatter rejects."""

from __future__ import annotations

from aurorakit.runtime.errors import AurorakitError


class IdlError(AurorakitError):
    """A Thrift IDL that cannot be loaded or generated, with where it went wrong.

    ``str(err)`` reads ``path:line: message`` (or ``path: message`` when the
    line is unknown), the form editors and CI logs link to.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path or "<idl>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class GeneratedCodeError(AurorakitError, RuntimeError):
    """The generator made code ruff cannot read or format: a bug in the templates, not in the IDL."""
