"""Schema evolution: what an IDL change breaks, and for whom.

``diff(old, new)`` compares two schemas (see :func:`load_schema`) and returns
every :class:`Change`, each under a rule of :data:`rules.RULES` and with the
categories it breaks (:class:`Category`: ``WIRE``, ``GSON_JSON``, ``PY_API``).
``report`` renders changes as a table, Markdown or JSON and applies an
allow-list of accepted breaks.
"""

from __future__ import annotations

from .compare import Change, diff
from .rules import RULES, Category
from .schema import Schema, load_schema

__all__ = ["RULES", "Category", "Change", "Schema", "diff", "load_schema"]
