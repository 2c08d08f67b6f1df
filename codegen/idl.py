"""Stage 1: a Thrift IDL file -> a thriftpy2 module.

thriftpy2 does the parsing. Three things are adjusted around it, all while
one lock is held so nothing leaks to other users of thriftpy2:

- thriftpy2 refuses identifiers that are keywords of some target language
  (``from``, ``class``, ...). aurorakit escapes such names for Python itself,
  so they are accepted here.
- thriftpy2 builds an ``__init__`` with the field names as parameters, which
  cannot compile for such names; those classes get a keyword-only one.
- thriftpy2's errors name the line but not always the file (an error inside an
  included file); the file being parsed is tracked and every failure becomes
  one :class:`IdlError` with file and line.
"""

from __future__ import annotations

import itertools
import keyword
import os
import re
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import thriftpy2.parser.lexer as _tp_lexer
import thriftpy2.parser.parser as _tp_parser
import thriftpy2.thrift as _tp_thrift

from .errors import IdlError

_LOCK = threading.Lock()
_LOADS = itertools.count(1)
_LINE = re.compile(r"\bline (\d+)")
_FILE = re.compile(r"of the file '([^']*)'")


def load_idl(path: str | os.PathLike[str], include_dirs: Sequence[str | os.PathLike[str]] = ()) -> types.ModuleType:
    """Parse ``path`` (and what it includes) into a fresh thriftpy2 module.

    Includes are looked up next to the including file, then in
    ``include_dirs`` in order. Every load gets its own module names, so two
    IDLs that include different files of the same name never mix.
    """
    path = os.path.abspath(os.fspath(path))
    if not path.endswith(".thrift"):
        raise IdlError("an IDL file name must end with .thrift", path)
    if not os.path.isfile(path):
        raise IdlError("no such IDL file", path)
    dirs = [os.path.abspath(os.fspath(d)) for d in include_dirs]
    for d in dirs:
        if not os.path.isdir(d):
            raise IdlError(f"include directory {d} does not exist", path)
    base = os.path.basename(path)[: -len(".thrift")]
    module_name = f"aurorakit_idl_{next(_LOADS)}.{base}_thrift"
    files: list[str] = []
    with _LOCK, _permissive_thriftpy2(files):
        try:
            return _tp_parser.parse(path, module_name=module_name, include_dirs=dirs, enable_cache=False)
        except IdlError:
            raise
        except Exception as exc:  # thriftpy2 raises many kinds; all become IdlError
            raise _idl_error(exc, files, path) from None


def _idl_error(exc: Exception, files: list[str], root: str) -> IdlError:
    message = str(exc) or type(exc).__name__
    failed_in = getattr(exc, "_aurorakit_file", None) or root
    named = _FILE.search(message)
    if named:
        failed_in = named.group(1)
        message = message[: named.start()].rstrip()
    line = _LINE.search(message)
    message = re.sub(r",? at line \d+", "", message)
    if isinstance(exc, (_tp_parser.ThriftParserError, SyntaxError)):
        text = message
    else:
        text = f"thriftpy2 could not load this IDL ({type(exc).__name__}: {message})"
    return IdlError(text, failed_in, int(line.group(1)) if line else None)


@contextmanager
def _permissive_thriftpy2(files: list[str]) -> Iterator[None]:
    reserved = _tp_lexer.thrift_reserved_keywords
    init_generator = _tp_thrift.init_func_generator
    parse = _tp_parser.parse

    def tracking_parse(path: str, *args: Any, **kwargs: Any) -> Any:
        files.append(path)
        try:
            return parse(path, *args, **kwargs)
        except Exception as exc:
            if not hasattr(exc, "_aurorakit_file"):
                exc._aurorakit_file = os.path.abspath(path)  # type: ignore[attr-defined]
            raise

    _tp_lexer.thrift_reserved_keywords = ()  # type: ignore[assignment]
    _tp_thrift.init_func_generator = _keyword_safe_init(init_generator)
    _tp_parser.parse = tracking_parse  # includes re-enter parse through this name
    try:
        yield
    finally:
        _tp_lexer.thrift_reserved_keywords = reserved
        _tp_thrift.init_func_generator = init_generator
        _tp_parser.parse = parse


def _keyword_safe_init(original: Callable[..., Any]) -> Callable[..., Any]:
    def generate(cls: type, spec: list[tuple[str, Any]] | None) -> Any:
        if not spec or all(name.isidentifier() and not _is_keyword(name) for name, _ in spec):
            return original(cls, spec)
        defaults = dict(spec)

        def __init__(self: Any, **kwargs: Any) -> None:
            for name, default in defaults.items():
                setattr(self, name, kwargs.pop(name, default))
            if kwargs:
                raise TypeError(f"unknown fields: {', '.join(sorted(kwargs))}")

        return __init__

    return generate


def _is_keyword(name: str) -> bool:
    return keyword.iskeyword(name)
