"""Primitive values written the way default Gson writes them.

These are the leaves the generated per-type encoders call in their hot loops:
strings with Gson's HTML-safe escaping, doubles as Java's ``Double.toString``,
booleans (integers are Python's ``str``, written inline).  No general JSON writer lives here.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from .doubles import double_to_string
from .java import remember_short_strings

__all__ = ["gson_bool", "gson_double", "gson_string"]

# What default Gson escapes beyond JSON's own rules (HTML-safe mode, and the
# two JavaScript line terminators).
_HTML_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("=", "\\u003d"), ("'", "\\u0027"))
_LINE_TERMINATORS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def escape(s: str) -> str:
    """``new Gson().toJson(s)``: the quoted string with Gson's escaping (uncached).

    ``"`` and ``\\`` escaped; ``\\t \\b \\n \\r \\f`` short; other characters
    below U+0020 as ``\\u00XX`` in lower-case hex; ``< > & = '`` and U+2028,
    U+2029 as ``\\uXXXX``; everything else (DEL, non-ASCII, lone surrogates)
    as is.  The C ``encode_basestring`` of the json module does exactly the
    first part (it never escapes non-ASCII); each HTML-safe extra is then
    looked for with a substring test and replaced (``str.replace`` runs at C
    speed, where ``str.translate`` walks non-ASCII text one character at a time).
    """
    out = encode_basestring(s)
    if not (
        "<" in out
        or ">" in out
        or "&" in out
        or "=" in out
        or "'" in out
        or (not out.isascii() and ("\u2028" in out or "\u2029" in out))
    ):
        return out  # the usual case, decided by C-speed substring tests alone
    for char, escaped in _HTML_SAFE:
        if char in out:
            out = out.replace(char, escaped)
    if not out.isascii():
        for char, escaped in _LINE_TERMINATORS:
            if char in out:
                out = out.replace(char, escaped)
    return out


def gson_double(d: float) -> str:
    """A double as Gson writes it: Java's ``Double.toString``.  NaN and the
    infinities raise ``ValueError`` (Gson refuses them by default)."""
    return double_to_string(d)


def gson_bool(b: bool) -> str:
    """A Java ``boolean``: ``true`` or ``false``."""
    return "true" if b else "false"


@remember_short_strings
def gson_string(s: str) -> str:
    """``new Gson().toJson(s)``: the quoted string with Gson's escaping (see :func:`escape`)."""
    return escape(s)
