"""``aurorakit conformance``: do we write exactly what Aurora wrote?

For each captured case two checks, both of which must give back the
payload byte for byte:

(a) decode, then encode;
(b) decode, clear every cachedHashCode (rebuilding the objects, so sets of
    two or more hash their elements again), hash what the case's ``hashed``
    says with the file's identity table, then encode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from ..errors import AurorakitError
from ..identity import IdentityTable, UnknownIdentity
from ..unhashed import unhashed_copy
from .event import TaskStateChange, apply_hash_policy, decode_event
from .json_path import json_path_at
from .payload_files import Payload, PayloadFile


@dataclass
class CaseResult:
    label: str
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def first_difference(expected: str, got: str) -> str:
    """Where two payloads part: the offset, the JSON path there, and both texts around it."""
    offset = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
    lo = max(0, offset - 30)
    return (f"first difference at offset {offset} ({json_path_at(expected, offset)}): "
            f"expected ...{expected[lo:offset + 30]!r}..., got ...{got[lo:offset + 30]!r}...")


def check_case(payload: Payload, models: ModuleType, identity: IdentityTable | None) -> CaseResult:
    problems = []
    try:
        event = decode_event(payload.text, models)
    except AurorakitError as err:
        return CaseResult(payload.label, [f"decode: {err}"])
    written = event.encode()
    if written != payload.text:
        problems.append("(a) decode -> encode: " + first_difference(payload.text, written))
    if payload.hashed is None or identity is None:
        return CaseResult(payload.label, problems)
    try:
        task = unhashed_copy(event.task, identity)
        apply_hash_policy(task, payload.hashed, identity)
    except UnknownIdentity as err:
        problems.append(f"(b) rehash: {err} in the file's identity table")
        return CaseResult(payload.label, problems)
    rewritten = TaskStateChange(task, event.old_state, hashed="none", optional_style=event.optional_style).encode()
    if rewritten != payload.text:
        problems.append(f"(b) clear hashes, rehash ({payload.hashed}) -> encode: "
                        + first_difference(payload.text, rewritten))
    return CaseResult(payload.label, problems)


def check_file(source: PayloadFile, models: ModuleType,
               on_case: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    identity = IdentityTable(source.identity, strict=True) if source.identity is not None else None
    results = []
    for payload in source:
        result = check_case(payload, models, identity)
        results.append(result)
        if on_case is not None:
            on_case(result)
    return results


def summary(results: Iterable[CaseResult]) -> tuple[int, int]:
    passed = failed = 0
    for result in results:
        if result.passed:
            passed += 1
        else:
            failed += 1
    return passed, failed
