"""The rules of a schema diff: what each kind of change is called and whom it breaks.

Three readers can be broken by an IDL change, each a category:

``WIRE``
    Thrift's binary, compact and TJSON protocols, which name fields, arguments
    and enum values by number.
``GSON_JSON``
    The webhook payload as Aurora's Gson writes it: field names in declaration
    order, union arms as ``setField`` names, enum constants by name, every
    primitive field always written.
``PY_API``
    The Python a user imports from a generated package: class, attribute,
    enum member and constant names, annotations, constructor defaults, union
    arm properties, service method signatures.

A rule with no category is an addition that breaks nothing. A few rules
break a category only in some cases (a type change breaks ``GSON_JSON`` only
when the JSON form changes); :mod:`compare` decides those cases, and this
table lists every category a rule can break.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Category(str, Enum):
    WIRE = "WIRE"
    GSON_JSON = "GSON_JSON"
    PY_API = "PY_API"


W, G, P = Category.WIRE, Category.GSON_JSON, Category.PY_API


class Rule(NamedTuple):
    can_break: frozenset[Category]
    meaning: str


def _rule(meaning: str, *categories: Category) -> Rule:
    return Rule(frozenset(categories), meaning)


RULES: dict[str, Rule] = {
    # definitions
    "TYPE_ADDED": _rule("a struct, union, exception or enum is new"),
    "TYPE_REMOVED": _rule("a struct, union, exception or enum is gone: its class with it", P),
    "TYPE_RENAMED": _rule("a definition is gone and one with the same members is new: the class name changes", P),
    "TYPE_KIND_CHANGED": _rule("a struct became a union or exception (or back): framing, JSON form and class change",
                               W, G, P),
    # struct and exception fields
    "FIELD_ADDED": _rule("a field is new; breaks WIRE when required (old writers never send it) and GSON_JSON "
                         "when Gson always writes it (a primitive, a collection or a field with a default: every payload gains "
                         "a member that readers generated from the old IDL reject)", W, G),
    "FIELD_REMOVED": _rule("a field id is gone: its data, its JSON member and its attribute", W, G, P),
    "FIELD_RENAMED": _rule("same id, new name: the JSON member and the attribute are renamed", G, P),
    "FIELD_ID_CHANGED": _rule("same name, new id: old and new readers disagree on the wire", W),
    "FIELD_TYPE_CHANGED": _rule("same id, another type; breaks GSON_JSON when its JSON form changes and PY_API when "
                                "its annotation changes", W, G, P),
    "FIELD_REQUIREDNESS_TIGHTENED": _rule("a field became required: data from old writers that lack it is refused",
                                          W),
    "FIELD_REQUIREDNESS_LOOSENED": _rule("a required field became optional: old readers refuse data without it", W),
    "FIELD_DEFAULT_CHANGED": _rule("the value an unset field has changed: what Gson writes for it and the "
                                   "constructor default", G, P),
    "FIELD_ORDER_CHANGED": _rule("fields are declared in another order: Gson writes them in that order, so every "
                                 "payload's bytes change", G),
    # union arms
    "ARM_ADDED": _rule("a union arm is new (payloads that set it cannot be read by old readers; existing payloads "
                       "are unchanged)"),
    "ARM_REMOVED": _rule("a union arm is gone: its setField, its data and its property", W, G, P),
    "ARM_RENAMED": _rule("same id, new name: its setField constant and its property are renamed", G, P),
    "ARM_ID_CHANGED": _rule("same name, new id", W),
    "ARM_TYPE_CHANGED": _rule("same id, another type; breaks GSON_JSON when its JSON form changes and PY_API when "
                              "its annotation changes", W, G, P),
    # enum values
    "ENUM_VALUE_ADDED": _rule("an enum value is new"),
    "ENUM_VALUE_REMOVED": _rule("an enum value is gone: its number, its name in JSON and its member", W, G, P),
    "ENUM_VALUE_RENUMBERED": _rule("same name, new number: Thrift writes the number", W, P),
    "ENUM_VALUE_RENAMED": _rule("same number, new name: Gson writes the name", G, P),
    # constants and typedefs
    "CONST_ADDED": _rule("a constant is new"),
    "CONST_REMOVED": _rule("a constant is gone", P),
    "CONST_VALUE_CHANGED": _rule("a constant has another value or type", P),
    "TYPEDEF_CHANGED": _rule("a typedef resolves to another type (the fields using it are listed too)", W),
    # services
    "SERVICE_ADDED": _rule("a service is new"),
    "SERVICE_REMOVED": _rule("a service is gone", W, P),
    "SERVICE_EXTENDS_CHANGED": _rule("a service extends another service (or none)", W, P),
    "METHOD_ADDED": _rule("a service method is new"),
    "METHOD_REMOVED": _rule("a service method is gone", W, P),
    "METHOD_RETURN_CHANGED": _rule("a method returns another type", W, P),
    "METHOD_ONEWAY_CHANGED": _rule("a method became oneway or stopped being oneway", W),
    "METHOD_ARG_ADDED": _rule("a method argument is new; breaks WIRE when required", W),
    "METHOD_ARG_REMOVED": _rule("a method argument is gone", W, P),
    "METHOD_ARG_RENAMED": _rule("same id, new name: a keyword argument's name", P),
    "METHOD_ARG_ID_CHANGED": _rule("same name, new id", W),
    "METHOD_ARG_TYPE_CHANGED": _rule("an argument has another type", W, P),
    "METHOD_THROWS_CHANGED": _rule("a method's declared exceptions changed", W),
}


def describe_rules() -> str:
    """One line per rule, for ``aurorakit diff --rules``."""
    width = max(map(len, RULES))
    lines = []
    for name, rule in RULES.items():
        cats = ",".join(c.value for c in Category if c in rule.can_break) or "-"
        lines.append(f"  {name:<{width}}  {cats:<22} {rule.meaning}")
    return "\n".join(lines)
