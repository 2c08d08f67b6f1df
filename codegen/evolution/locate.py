"""Where each definition and member of an IDL file is declared: ``(symbol) -> line``.

The intermediate model says what an IDL declares but not on which line; a
schema diff has to point at the line a reader should look at. One pass over
the file's tokens finds every definition, field, union arm, enum value,
constant, typedef and method, keyed by the same symbols the diff uses
(``Struct``, ``Struct.7`` for field id 7, ``Enum.VALUE``, ``Service.method``,
``Service.method.args.1``, ``Service.method.throws.1``).
"""

from __future__ import annotations

from ..idltext import Token, tokenize

_DEFINITIONS = ("struct", "union", "exception", "enum", "senum", "service")


class LineIndex:
    """Declaration lines of one IDL file."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        self.typedefs: dict[str, tuple[str, int]] = {}  # name -> (declared type text, line)
        code = [t for t in tokenize(text) if t.kind not in ("comment", "doc")]
        i = 0
        while i < len(code):
            tok = code[i]
            if tok.kind == "ident" and tok.text in _DEFINITIONS and i + 1 < len(code):
                i = self._definition(code, i)
            elif tok.kind == "ident" and tok.text == "typedef":
                i = self._typedef(code, i)
            elif tok.kind == "ident" and tok.text == "const":
                i = self._const(code, i)
            else:
                i += 1

    def line(self, symbol: str) -> int | None:
        return self.lines.get(symbol)

    def _definition(self, code: list[Token], i: int) -> int:
        keyword, name = code[i].text, code[i + 1]
        self.lines[name.text] = name.line
        j = i + 2
        while j < len(code) and code[j].text != "{":
            j += 1
        end = _closing(code, j, "{", "}")
        if keyword in ("enum", "senum"):
            self._enum_members(code, name.text, j, end)
        elif keyword == "service":
            self._methods(code, name.text, j, end)
        else:
            self._fields(code, name.text, j, end, depth_of_fields=1)
        return end + 1

    def _enum_members(self, code: list[Token], enum: str, lo: int, hi: int) -> None:
        depth = 0
        for k in range(lo + 1, hi):
            tok = code[k]
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif depth == 0 and tok.kind == "ident" and code[k - 1].text != "=":
                self.lines.setdefault(f"{enum}.{tok.text}", tok.line)

    def _fields(self, code: list[Token], owner: str, lo: int, hi: int, depth_of_fields: int) -> None:
        """``N:`` at the body's own depth starts field N (defaults nest deeper)."""
        depth = 0
        for k in range(lo, hi + 1):
            text = code[k].text
            if text in "{([":
                depth += 1
            elif text in "})]":
                depth -= 1
            elif (depth == depth_of_fields and code[k].kind == "number" and k + 1 <= hi
                  and code[k + 1].text == ":"):
                self.lines.setdefault(f"{owner}.{int(code[k].text, 0)}", code[k].line)

    def _methods(self, code: list[Token], service: str, lo: int, hi: int) -> None:
        k = lo + 1
        while k < hi:
            tok = code[k]
            if tok.kind == "ident" and code[k + 1].text == "(":
                method = f"{service}.{tok.text}"
                self.lines.setdefault(method, tok.line)
                end = _closing(code, k + 1, "(", ")")
                self._fields(code, f"{method}.args", k + 1, end, depth_of_fields=1)
                k = end + 1
                if k < hi and code[k].text == "throws":
                    end = _closing(code, k + 1, "(", ")")
                    self._fields(code, f"{method}.throws", k + 1, end, depth_of_fields=1)
                    k = end + 1
                continue
            k += 1

    def _typedef(self, code: list[Token], i: int) -> int:
        """``typedef TYPE NAME``: TYPE is one token, or a container with ``<...>``."""
        j = i + 1
        if j + 1 < len(code) and code[j + 1].text == "<":
            j = _closing(code, j + 1, "<", ">")
        j += 1
        if j < len(code) and code[j].text == "(":  # annotations of the type
            j = _closing(code, j, "(", ")") + 1
        if j >= len(code):
            return j
        name = code[j]
        self.typedefs[name.text] = ("".join(t.text for t in code[i + 1:j]), name.line)
        self.lines[name.text] = name.line
        return j + 1

    def _const(self, code: list[Token], i: int) -> int:
        j = i + 1
        while j + 1 < len(code) and code[j + 1].text != "=":
            j += 1
        if j < len(code):
            self.lines.setdefault(code[j].text, code[j].line)
        return j + 1


def _closing(code: list[Token], start: int, opening: str, closing: str) -> int:
    """Index of the token closing the bracket at ``start`` (or the last token)."""
    depth = 0
    for k in range(start, len(code)):
        if code[k].text == opening:
            depth += 1
        elif code[k].text == closing:
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1
