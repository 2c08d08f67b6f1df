"""Showing a diff: a table, Markdown or JSON; accepting known breaks; the exit status.

An allow-list is a JSON file of accepted breaks::

    {"accept": [{"rule": "FIELD_REMOVED", "at": "TaskConfig.numCpus",
                 "reason": "moved into resources in 0.17"}]}

``at`` is a change's symbol (``TaskConfig.numCpus``) or its location
(``api.thrift:179``); symbols survive edits that move lines. An entry that
accepts no change is stale and is reported, so the list does not rot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aurorakit.runtime.errors import AurorakitError

from .compare import Change
from .rules import RULES, Category


class AllowListError(AurorakitError):
    """An allow-list file that cannot be used: ``"PATH: accept[2]: what is wrong"``."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Allowance:
    rule: str
    at: str
    reason: str

    def accepts(self, change: Change) -> bool:
        return self.rule == change.rule and self.at in (change.symbol, change.location)


@dataclass(frozen=True)
class Verdict:
    """Changes split by what they mean for ``--fail-on``."""

    breaking: list[Change]  # break a category of fail_on and are not accepted
    accepted: list[tuple[Change, Allowance]]
    other: list[Change]  # additions, and breaks outside fail_on
    stale: list[Allowance]

    @property
    def fails(self) -> bool:
        return bool(self.breaking)


def load_allowances(path: str | Path) -> list[Allowance]:
    """Read an allow-list file; a malformed one is an error naming the entry."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AllowListError(path, f"cannot read the allow-list: {exc}") from None
    entries = data.get("accept") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AllowListError(path, 'an allow-list is {"accept": [{"rule": ..., "at": ..., "reason": ...}, ...]}')
    found = []
    for i, entry in enumerate(entries):
        where = f"accept[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"rule", "at", "reason"}:
            raise AllowListError(path, f"{where}: needs exactly the keys rule, at and reason")
        if not all(isinstance(entry[k], str) and entry[k].strip() for k in ("rule", "at", "reason")):
            raise AllowListError(path, f"{where}: rule, at and reason must be non-empty strings")
        if entry["rule"] not in RULES:
            raise AllowListError(path, f"{where}.rule: unknown rule {entry['rule']!r} (aurorakit diff --rules lists them)")
        found.append(Allowance(entry["rule"], entry["at"], entry["reason"]))
    return found


def judge(changes: Iterable[Change], fail_on: frozenset[Category],
          allowances: Sequence[Allowance] = ()) -> Verdict:
    breaking, accepted, other = [], [], []
    used: set[int] = set()
    for change in changes:
        match = next((i for i, a in enumerate(allowances) if a.accepts(change)), None)
        if match is not None:
            used.add(match)
            accepted.append((change, allowances[match]))
        elif change.breaks & fail_on:
            breaking.append(change)
        else:
            other.append(change)
    stale = [a for i, a in enumerate(allowances) if i not in used]
    return Verdict(breaking, accepted, other, stale)


def _breaks(change: Change) -> str:
    return ",".join(c.value for c in Category if c in change.breaks) or "-"


def summary(verdict: Verdict) -> str:
    counts = {c: sum(1 for ch in verdict.breaking if c in ch.breaks) for c in Category}
    total = len(verdict.breaking) + len(verdict.accepted) + len(verdict.other)
    per = ", ".join(f"{c.value} {n}" for c, n in counts.items() if n)
    line = f"{total} changes: {len(verdict.breaking)} breaking" + (f" ({per})" if per else "")
    line += f", {len(verdict.accepted)} accepted, {len(verdict.other)} not breaking"
    if verdict.stale:
        line += f"; {len(verdict.stale)} stale allow-list entries"
    return line


def table(verdict: Verdict) -> str:
    """Plain text: one row per change, breaking ones first."""
    rows = [("BREAKS", ch) for ch in verdict.breaking] + [("accepted", ch) for ch, _ in verdict.accepted] \
        + [("", ch) for ch in verdict.other]
    if not rows:
        return "no changes\n"
    head = ("", "location", "rule", "breaks", "change")
    cells = [head] + [(mark, ch.location, ch.rule, _breaks(ch), ch.message) for mark, ch in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in cells]
    lines += [f"stale allow-list entry: {a.rule} at {a.at} ({a.reason})" for a in verdict.stale]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def markdown(verdict: Verdict, title: str | None = None) -> str:
    out = [f"## {title}", ""] if title else []
    rows = verdict.breaking + [ch for ch, _ in verdict.accepted] + verdict.other
    if not rows:
        return "\n".join(out + ["No changes.", ""]) + "\n"
    out += [summary(verdict) + ".", "", "| where | rule | breaks | change |", "|---|---|---|---|"]
    for ch in rows:
        accepted = next((a for c, a in verdict.accepted if c is ch), None)
        note = f" (accepted: {accepted.reason})" if accepted else ""
        out.append(f"| `{ch.location}` | {ch.rule} | {_breaks(ch)} | {_md(ch.message)}{_md(note)} |")
    return "\n".join(out) + "\n"


def as_json(verdict: Verdict, old: str, new: str) -> str:
    def one(ch: Change, status: str, reason: str | None = None) -> dict[str, object]:
        item: dict[str, object] = {"rule": ch.rule, "symbol": ch.symbol, "location": ch.location,
                                   "breaks": [c.value for c in Category if c in ch.breaks],
                                   "status": status, "message": ch.message}
        if reason is not None:
            item["reason"] = reason
        return item

    return json.dumps({
        "old": old, "new": new,
        "changes": [one(ch, "breaking") for ch in verdict.breaking]
        + [one(ch, "accepted", a.reason) for ch, a in verdict.accepted]
        + [one(ch, "not_breaking") for ch in verdict.other],
        "stale_allowances": [{"rule": a.rule, "at": a.at, "reason": a.reason} for a in verdict.stale],
        "fails": verdict.fails,
    }, indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
