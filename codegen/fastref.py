"""A thriftpy2 parser whose type references cost one lookup, not one per name defined so far.

thriftpy2 0.7 resolves every type reference (``ref_type : IDENTIFIER``) by
walking ``dir()`` of the module being built, looking for an included module
whose name prefixes the reference. That makes parsing quadratic in the size
of the IDL: at ten times Aurora's IDL it is a third of the parse. A reference
without a dot can only name something in the module itself, so here it is
looked up directly; a dotted one still goes through thriftpy2's own rule.
The grammar is otherwise thriftpy2's, rebuilt with ply as thriftpy2 builds it.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import thriftpy2.parser.parser as _tp_parser
from ply import yacc  # type: ignore[import-untyped]  # (thriftpy2's parser generator; no stubs)

_ORIGINAL: Callable[[Any], None] = _tp_parser.p_ref_type  # untyped in thriftpy2


def p_ref_type(p: Any) -> None:
    """ref_type : IDENTIFIER"""
    name = p[1]
    if "." in name:
        _ORIGINAL(p)
        return
    found = getattr(p.parser.context.thrift_stack[-1], name, None)
    if found is None:  # defined further down: thriftpy2 resolves it at the end
        p[0] = p.parser.context.incomplete_type.set_info((name, p.lineno(1)))
    elif hasattr(found, "_ttype"):
        p[0] = found._ttype, found
    else:
        p[0] = found


def usable() -> bool:
    """Whether thriftpy2's rule is the one this module replaces (else thriftpy2's own parser is used)."""
    return (_ORIGINAL.__doc__ or "").strip() == p_ref_type.__doc__


def new_parser() -> Any:
    """A ply parser of thriftpy2's grammar with :func:`p_ref_type` in place of thriftpy2's."""
    grammar = types.SimpleNamespace(**{k: v for k, v in vars(_tp_parser).items() if not k.startswith("__")})
    grammar.__file__ = _tp_parser.__file__  # ply reads the grammar file to check it
    grammar.p_ref_type = p_ref_type
    return yacc.yacc(module=grammar, start="start", debug=False, write_tables=False, errorlog=yacc.NullLogger())
