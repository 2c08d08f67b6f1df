"""What thriftpy2 does not keep, read back from the IDL text.

thriftpy2 drops comments, does not tell ``optional`` from default
requiredness, and forgets the declared type of a constant. This module
tokenizes the IDL text (comments included) and answers those three questions
for a definition, found by the name and line number thriftpy2 recorded.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<doc>/\*\*(?!/).*?\*/)            # /** doc comment */ (but not /**/)
  | (?P<comment>/\*.*?\*/|//[^\n]*|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<number>[+-]?(?:0x[0-9A-Fa-f]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<ident>[A-Za-z_](?:\.?[A-Za-z_0-9])*)
  | (?P<punct>[:;,=*{}()<>\[\]])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_REQUIREDNESS = ("required", "optional")


@dataclass(frozen=True)
class Token:
    kind: str  # doc, comment, string, number, ident, punct, other
    text: str
    line: int  # line where the token starts (1-based)


@dataclass(frozen=True)
class ConstDecl:
    name: str
    type_tokens: tuple[str, ...]
    line: int
    doc: str | None


@functools.lru_cache(maxsize=4)  # one load reads each file's tokens twice: its brackets, then its text
def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of ``text`` (spaces left out), each with its line; shared, so never changed."""
    tokens: list[Token] = []
    line = 1
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        value = m.group()
        if kind != "space":
            tokens.append(Token(kind, value, line))
        line += value.count("\n")
    return tuple(tokens)


def clean_doc(raw: str) -> str:
    """The text of a ``/** ... */`` comment without its frame, dedented."""
    body = raw[3:-2]
    lines = body.splitlines()
    cleaned = []
    for text in lines:
        stripped = text.strip()
        if stripped.startswith("*"):
            stripped = stripped[1:]
            stripped = stripped.removeprefix(" ")
            cleaned.append(stripped.rstrip())
        else:
            cleaned.append(text.rstrip())
    # Dedent lines written without a leading '*'.
    indents = [len(t) - len(t.lstrip()) for t in cleaned if t.strip()]
    cut = min(indents) if indents else 0
    cleaned = [t[cut:] if t.strip() else "" for t in cleaned]
    while cleaned and not cleaned[0]:
        cleaned.pop(0)
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return "\n".join(cleaned)


class IdlText:
    """The tokens of one IDL file, searchable by (name, line)."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        # Comments other than doc comments never matter below.
        self._code = [t for t in self.tokens if t.kind != "comment"]
        # Where each identifier occurs (code indices, ascending): a lookup costs
        # the occurrences of that name, not a scan of the file, so that reading
        # back every definition stays linear in the IDL's size.
        self._where: dict[str, list[int]] = {}
        for i, tok in enumerate(self._code):
            if tok.kind == "ident":
                self._where.setdefault(tok.text, []).append(i)

    # -- locating -------------------------------------------------------
    def _find(self, name: str, line: int | None, lo: int = 0, hi: int | None = None) -> int | None:
        """Index of the first identifier ``name`` at or after ``lo`` (before ``hi``), on ``line`` if given."""
        where = self._where.get(name, ())
        end = len(self._code) if hi is None else hi
        code = self._code
        for k in range(bisect.bisect_left(where, lo), len(where)):
            i = where[k]
            if i >= end:
                return None
            if line is None or code[i].line == line:
                return i
        return None

    def _doc_before(self, start: int) -> str | None:
        if start > 0 and self._code[start - 1].kind == "doc":
            return clean_doc(self._code[start - 1].text)
        return None

    def _type_start(self, end: int) -> int:
        """Index of the first token of the type that ends just before ``end``."""
        code = self._code
        j = end - 1
        if j >= 0 and code[j].text == ">":
            depth = 0
            while j >= 0:
                if code[j].text == ">":
                    depth += 1
                elif code[j].text == "<":
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            j -= 1  # the container keyword before '<'
        return max(j, 0)

    def body(self, keyword: str, name: str, line: int | None) -> tuple[int, int] | None:
        """Token range of the ``{ ... }`` body of ``keyword name``."""
        i = self._find(name, line)
        while i is not None and (i == 0 or self._code[i - 1].text != keyword):
            i = self._find(name, None, i + 1)
        if i is None:
            return None
        code = self._code
        j = i + 1
        while j < len(code) and code[j].text != "{":
            j += 1
        depth = 0
        for k in range(j, len(code)):
            if code[k].text == "{":
                depth += 1
            elif code[k].text == "}":
                depth -= 1
                if depth == 0:
                    return j, k
        return j, len(code)

    # -- questions -------------------------------------------------------
    def definition_doc(self, keyword: str, name: str, line: int | None) -> str | None:
        i = self._find(name, line)
        while i is not None and (i == 0 or self._code[i - 1].text != keyword):
            i = self._find(name, None, i + 1)
        return None if i is None else self._doc_before(i - 1)

    def field(self, scope: tuple[int, int] | None, name: str, line: int | None) -> tuple[str, str | None]:
        """(requiredness, doc) of field ``name`` declared within ``scope``."""
        lo, hi = scope if scope else (0, None)
        i = self._find(name, line, lo, hi)
        if i is None:
            i = self._find(name, None, lo, hi)
        if i is None:
            return "default", None
        start = self._type_start(i)
        requiredness = "default"
        code = self._code
        if start > 0 and code[start - 1].text in _REQUIREDNESS:
            start -= 1
            requiredness = code[start].text
        if start > 1 and code[start - 1].text == ":" and code[start - 2].kind == "number":
            start -= 2
        return requiredness, self._doc_before(start)

    def enum_value_doc(self, scope: tuple[int, int] | None, name: str, line: int | None) -> str | None:
        lo, hi = scope if scope else (0, None)
        i = self._find(name, line, lo, hi)
        return None if i is None else self._doc_before(i)

    def enum_members(self, scope: tuple[int, int] | None) -> list[Token]:
        """The name tokens of the members of the enum whose body is ``scope``, in order.

        thriftpy2 keeps enum members in a dict, so a repeated name is only
        visible here.
        """
        if scope is None:
            return []
        lo, hi = scope
        code = self._code
        members = []
        depth = 0  # inside a member's annotations: ( ... )
        for i in range(lo + 1, hi):
            tok = code[i]
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif depth == 0 and tok.kind == "ident" and code[i - 1].text != "=":
                members.append(tok)
        return members

    def method_doc(self, scope: tuple[int, int] | None, name: str, line: int | None) -> str | None:
        lo, hi = scope if scope else (0, None)
        i = self._find(name, line, lo, hi)
        if i is None:
            return None
        start = self._type_start(i)
        if start > 0 and self._code[start - 1].text == "oneway":
            start -= 1
        return self._doc_before(start)

    def consts(self) -> list[ConstDecl]:
        """Every ``const TYPE NAME = ...`` in declaration order."""
        code = self._code
        found = []
        for i, tok in enumerate(code):
            if tok.kind != "ident" or tok.text != "const":
                continue
            j = i + 1
            while j + 1 < len(code) and code[j + 1].text != "=":
                j += 1
            if j + 1 >= len(code):
                continue
            found.append(ConstDecl(
                name=code[j].text,
                type_tokens=tuple(t.text for t in code[i + 1:j]),
                line=code[j].line,
                doc=self._doc_before(i),
            ))
        return found
