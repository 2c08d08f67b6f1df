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
- thriftpy2 resolves type references in time quadratic in the IDL's size; the
  parser comes from :mod:`.fastref`, which looks plain names up directly.
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
from thriftpy2.parser.exc import ThriftParserError

from . import fastref
from .checks import check_brackets, include_line
from .errors import IdlError
from .idltext import Token, tokenize

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
    allowed = [os.path.realpath(os.path.dirname(path))] + [os.path.realpath(d) for d in dirs]
    with _LOCK, _permissive_thriftpy2(files, allowed):
        try:
            module: types.ModuleType = _tp_parser.parse(  # type: ignore[no-untyped-call,unused-ignore]
                path, module_name=module_name, include_dirs=dirs, enable_cache=False)
            return module
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
    found = _LINE.search(message)
    message = re.sub(r",? at line \d+", "", message)
    line = int(found.group(1)) if found else _locate(message, failed_in)
    if message == "Grammar error at EOF":
        message = "Grammar error at the end of the file (is a '}' or ')' missing?)"
    elif message.startswith("Grammar error '"):
        message = "Grammar error: unexpected " + message[len("Grammar error "):]
    if isinstance(exc, (ThriftParserError, SyntaxError)):
        text = message
    else:
        text = f"thriftpy2 could not load this IDL ({type(exc).__name__}: {message})"
    return IdlError(text, failed_in, line)


# thriftpy2 messages that do not say where, and how to find the line they are about.
_DUPLICATE_FIELD = re.compile(r"^'(-?\d+):(\w+)' field identifier/name has already been used")
_DUPLICATE_TYPE = re.compile(r"^'(\w+)' type is already defined in")
_DUPLICATE_FUNCTION = re.compile(r"^'(\w+)' function is already defined in service")
_MISSING_INCLUDE = re.compile(r"^Couldn't include thrift (.+) in any directories provided")
_UNKNOWN_CONST_FIELD = re.compile(r"^No field named '(\w+)' was found in struct")
_NOT_IN_ENUM = re.compile(r"^Couldn't find a named value in enum (\w+) for value (-?\d+)")
_DEFINITION_KEYWORDS = ("struct", "union", "exception", "enum", "service", "typedef", "senum")


def _locate(message: str, path: str) -> int | None:
    """The line a thriftpy2 message without a line number is about, if it can be told."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    if message == "Grammar error at EOF":
        return text.count("\n") + (0 if text.endswith("\n") else 1)
    code = [t for t in tokenize(text) if t.kind not in ("comment", "doc")]
    if m := _DUPLICATE_FIELD.match(message):
        return _duplicate_field_line(code, int(m.group(1)), m.group(2))
    if m := _DUPLICATE_TYPE.match(message):
        lines = [b.line for a, b in zip(code, code[1:]) if a.text in _DEFINITION_KEYWORDS and b.text == m.group(1)]
        return lines[1] if len(lines) > 1 else None
    if m := _DUPLICATE_FUNCTION.match(message):
        lines = [a.line for a, b in zip(code, code[1:]) if a.text == m.group(1) and b.text == "("]
        return lines[1] if len(lines) > 1 else None
    if m := _MISSING_INCLUDE.match(message):
        return next((b.line for a, b in zip(code, code[1:])
                     if a.text == "include" and b.kind == "string" and b.text[1:-1] == m.group(1)), None)
    if m := _UNKNOWN_CONST_FIELD.match(message):
        return next((a.line for a, b in zip(code, code[1:])
                     if a.kind == "string" and a.text[1:-1] == m.group(1) and b.text == ":"), None)
    if m := _NOT_IN_ENUM.match(message):  # found when written as `Enum name = number`
        enum, value = m.group(1), int(m.group(2))
        return next((d.line for a, b, c, d in zip(code, code[1:], code[2:], code[3:])
                     if a.text.split(".")[-1] == enum and b.kind == "ident" and c.text == "="
                     and d.kind == "number" and re.fullmatch(r"[+-]?\d+", d.text) and int(d.text) == value), None)
    return None


def _duplicate_field_line(code: list[Token], field_id: int, name: str) -> int | None:
    """Line of the field that repeats an earlier field's id or name in the same struct or argument list.

    Fields are ``id ':' [requiredness] type name``; the name is the last
    identifier before ``,``, ``;``, ``=``, the next id or the closing bracket.
    """
    scopes: list[tuple[set[int], set[str]]] = []
    for i, tok in enumerate(code):
        if tok.text in ("{", "("):
            scopes.append((set(), set()))
        elif tok.text in ("}", ")"):
            if scopes:
                scopes.pop()
        elif (tok.kind == "number" and scopes and i + 1 < len(code) and code[i + 1].text == ":"
              and re.fullmatch(r"[+-]?\d+", tok.text)):
            fid = int(tok.text)
            j, depth, last_ident = i + 2, 0, None
            while j < len(code):
                t = code[j]
                if t.text == "<":
                    depth += 1
                elif t.text == ">":
                    depth -= 1
                elif depth == 0 and (t.text in (",", ";", "=", "}", ")", "(")
                                     or (t.kind == "number" and j + 1 < len(code) and code[j + 1].text == ":")):
                    break
                elif depth == 0 and t.kind == "ident":
                    last_ident = t
                j += 1
            if last_ident is None:
                continue
            ids, names = scopes[-1]
            if (fid in ids or last_ident.text in names) and fid == field_id and last_ident.text == name:
                return last_ident.line
            ids.add(fid)
            names.add(last_ident.text)
    return None


def _check_file(path: str, including: str | None, allowed: list[str]) -> None:
    """Refuse an include found outside the allowed folders, and text nested too deeply to read."""
    real = os.path.realpath(path)
    if including is not None and not any(os.path.commonpath([real, folder]) == folder for folder in allowed):
        raise IdlError(f"include {os.path.basename(path)!r} resolves to {real}, outside the IDL's folder and "
                       f"the include folders ({', '.join(allowed)})", including,
                       include_line(including, os.path.basename(path)))
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise IdlError(f"cannot read this IDL: {err}", os.path.abspath(path)) from None
    check_brackets(tokenize(text), os.path.abspath(path))


@contextmanager
def _permissive_thriftpy2(files: list[str], allowed: list[str]) -> Iterator[None]:
    reserved = _tp_lexer.thrift_reserved_keywords
    init_generator = _tp_thrift.init_func_generator
    parse = _tp_parser.parse
    parsing: list[str] = []  # the file being parsed, and the ones including it

    def tracking_parse(path: str, *args: Any, **kwargs: Any) -> Any:
        _check_file(path, parsing[-1] if parsing else None, allowed)
        files.append(path)
        parsing.append(os.path.abspath(path))
        if kwargs.get("parser") is None and fastref.usable():
            kwargs["parser"] = fastref.new_parser()
        try:
            return parse(path, *args, **kwargs)  # type: ignore[no-untyped-call,unused-ignore]
        except Exception as exc:
            if not hasattr(exc, "_aurorakit_file"):
                exc._aurorakit_file = os.path.abspath(path)  # type: ignore[attr-defined]
            raise
        finally:
            parsing.pop()

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
        # thriftpy2's own __init__ takes ``self`` and then each field: a field
        # named ``self`` (or a keyword) cannot be one of its parameters.
        if not spec or all(name.isidentifier() and not _is_keyword(name) and name != "self" for name, _ in spec):
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
