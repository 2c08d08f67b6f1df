"""A seeded mutation pass over runtime/ (every package), codegen/ and codegen/templates/.

One command (from the repository root, with the test extra installed)::

    .venv/bin/python tests/mutation/run.py --sample 300 --seed 1 --budget 3600

It copies the tree into a temporary folder (the checkout is never touched),
lists every small realistic mutation it can make (operator and comparison
swaps, off-by-one numbers, ``and``/``or``, ``True``/``False``, a dropped
``not``, a negated condition, a statement or return value removed, a string
or regex literal changed), samples ``--sample`` of them with ``--seed``, and
for each one: applies it, runs the test files that cover the mutated module
(``pytest -x``, stopped after ``--timeout`` seconds: neither killed nor survived), and reverts it. A template
mutant first regenerates ``generated/`` in the copy, and the freshness tests
(which would fail for any template edit) are left out.

A test file covers a module when it imports it (by dotted name or
``from ... import stem``); ``EXTRA_TESTS`` adds files for modules reached only
through others. Mutants listed in ``equivalent.txt`` beside this script (a JSON list of
path, original line, mutated line and the reason) are left out. The report lists
killed/survived/timed-out and, for each survivor, ``file:line`` and the diff;
``--json PATH`` also writes it as JSON. Stops starting mutants after
``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TARGETS = ("runtime/**/*.py", "codegen/**/*.py", "codegen/templates/*.j2")
# Python targets, for finding which target modules import a mutated one.
PY_TARGETS = TARGETS[:2]
# Tests whose failure for an edited template only says "generated/ is stale".
FRESHNESS_TESTS = ("tests/test_generated_current.py", "tests/test_golden.py")
# What generated codecs call beyond their inline common case, and the tests that reach it there.
CODEC_HELPERS = ("runtime/read_values.py", "runtime/map_keys.py", "runtime/read_containers.py",
                 "runtime/member_shapes.py", "runtime/interning.py", "runtime/encoding.py", "runtime/hash_values.py")
CODEC_HELPER_TESTS = ("tests/test_value_helpers.py", "tests/test_encode_errors.py", "tests/test_decode_interning.py",
                      "tests/test_decode_sharing.py", "tests/test_value_rules.py", "tests/test_gson_differential.py",
                      "tests/test_decode_errors.py", "tests/test_decode_strict.py")
# Modules exercised mostly through other modules' entry points (relative paths, globs allowed).
EXTRA_TESTS: dict[str, tuple[str, ...]] = {
    "codegen/templates/*": ("tests/test_value_rules.py", "tests/test_gson_differential.py",
                            "tests/test_models_values.py", "tests/test_gson_properties.py",
                            "tests/test_codegen_any_idl.py", "tests/test_conformance.py"),
    "runtime/struct.py": ("tests/test_value_rules.py", "tests/test_models_values.py", "tests/test_value_helpers.py"),
    "runtime/typespec.py": ("tests/test_value_rules.py", "tests/test_models_values.py"),
    "runtime/hashing.py": ("tests/test_value_rules.py", "tests/test_gson_differential.py"),
    "runtime/doubles.py": ("tests/test_java_doubles.py",),
    "runtime/aurora/profiles.py": ("tests/test_event_wire.py", "tests/test_releases.py"),
    "runtime/cli/conversion_run.py": ("tests/test_evolution_cli.py",),
    "runtime/cli/evolution_commands.py": ("tests/test_evolution_cli.py",),
    "runtime/cli/payload_commands.py": ("tests/test_cli_output.py", "tests/test_cli_errors.py",
                                    "tests/test_conformance.py"),
    "runtime/cli/main.py": ("tests/test_cli_errors.py", "tests/test_cli_output.py"),
    "runtime/webhook/http_attempt.py": ("tests/test_retry_rules.py",),
    # The reliable sender's parts, reached through ReliableSender.
    "runtime/webhook/direct_post.py": ("tests/test_webhook_delivery_path.py", "tests/test_webhook_sender_faults.py"),
    "runtime/webhook/worker_batches.py": ("tests/test_webhook_delivery_path.py", "tests/test_webhook_sender_faults.py"),
    "runtime/webhook/outgoing.py": ("tests/test_webhook_send_resume.py", "tests/test_webhook_delivery_path.py"),
    "runtime/webhook/sender.py": ("tests/test_retry_rules.py",),
    "runtime/webhook/delivery_attempt.py": ("tests/test_retry_rules.py", "tests/test_webhook_sender_faults.py"),
    "runtime/webhook/http_answer.py": ("tests/test_webhook_direct_answers.py",),
    # mut-core: the core's rules reached only through generated code and the Aurora event.
    **{path: CODEC_HELPER_TESTS for path in CODEC_HELPERS},
    # The generator is reached through generate_package/render_idl and the fixtures; the golden
    # snapshots and generated/ show any change to its output (only template edits always change it).
    "codegen/*.py": ("tests/test_golden.py", "tests/test_codegen_errors.py", "tests/test_codegen_refusals.py",
                     "tests/test_generated_current.py", "tests/test_codegen_docs.py", "tests/test_codegen_any_idl.py"),
    "codegen/__init__.py": ("tests/test_public_names.py",),
    "codegen/evolution/*.py": ("tests/test_evolution_diff.py", "tests/test_evolution_cli.py"),
    "runtime/aurora/verify.py": ("tests/test_identity.py",),
    # mut-edge: the files written for these modules kill fastest, so they run first.
    "runtime/webhook/attempt_deadline.py": ("tests/test_webhook_attempt_deadline.py",),
    "runtime/webhook/aurora_clients.py": ("tests/test_webhook_aurora_tables.py",),
    "runtime/webhook/aurora_http.py": ("tests/test_webhook_aurora_tables.py", "tests/test_webhook_aurora_connections.py",
                                       "tests/test_webhook_details.py"),
    "runtime/webhook/check_config.py": ("tests/test_check_config.py",),
    "runtime/webhook/receiver.py": ("tests/test_webhook_receiver.py",),
    "runtime/webhook/receiver_store.py": ("tests/test_webhook_receiver.py",),
    "runtime/webhook/receiver_http.py": ("tests/test_webhook_receiver.py", "tests/test_webhook_details.py"),
    "runtime/webhook/__init__.py": ("tests/test_webhook_outgoing.py",),
    # mut-relay: the relay's and the webhook's smaller promises, written to kill that pass's survivors.
    "runtime/relay/nats_sink.py": ("tests/test_relay_nats_details.py",),
    "runtime/relay/nats_connect.py": ("tests/test_relay_nats_details.py",),
    "runtime/relay/http_target.py": ("tests/test_relay_details.py",),
    "runtime/relay/outbox.py": ("tests/test_relay_details.py",),
    "runtime/relay/pg_store.py": ("tests/test_relay_details.py",),
    "runtime/webhook/settings.py": ("tests/test_webhook_details.py",),
    # mut-simcli: the simulator's tables and the CLI's last moments, checked against documented behaviour.
    "runtime/simulate/jobs.py": ("tests/test_simulate_rule_tables.py",),
    "runtime/simulate/lifecycle.py": ("tests/test_simulate_rule_tables.py",),
    "runtime/simulate/rules.py": ("tests/test_simulate_rule_tables.py",),
    "runtime/simulate/pacing.py": ("tests/test_simulate_rule_tables.py",),
    "runtime/cli/output.py": ("tests/test_cli_exit_paths.py", "tests/test_cli_errors.py"),
    "runtime/cli/evolution_*.py": ("tests/test_cli_exit_paths.py", "tests/test_cli_report_lines.py"),  # diff --release-notes's statuses
    "runtime/cli/payload_*.py": ("tests/test_cli_report_lines.py",),
    "runtime/cli/relay_commands.py": ("tests/test_cli_report_lines.py", "tests/test_cli_exit_paths.py",
                                      "tests/test_relay_exposure_warning.py"),
    "runtime/cli/conversion_*.py": ("tests/test_cli_report_lines.py",),
    "runtime/cli/check_config_command.py": ("tests/test_cli_report_lines.py",),
    "runtime/cli/simulate_command.py": ("tests/test_webhook_cli.py",),  # simulate posting to a real receiver
    "runtime/cli/release_options.py": ("tests/test_conformance.py",),  # --idl
    # mut-edge (s18): timing made observable (counters, a made-up clock) and the survivors of seeds 4203/4302.
    # Keys without "runtime/" (Path.match matches from the right) so that they add to the entries above.
    "webhook/worker_batches.py": ("tests/test_webhook_worker_batches.py",),
    "webhook/aurora_http.py": ("tests/test_webhook_aurora_timeouts.py",),
    "webhook/aurora_delivery.py": ("tests/test_webhook_aurora_drain.py",),
    "webhook/spool_salvage.py": ("tests/test_webhook_salvage_states.py",),
    "webhook/webhook_json.py": ("tests/test_webhook_config_charset.py",),
    "relay/pg_store.py": ("tests/test_pg_store_tail.py",),
    "simulate/rules.py": ("tests/test_simulate_partition_moves.py",),
    "simulate/jobs.py": ("tests/test_simulate_task_links.py",),
    "cli/*.py": ("tests/test_cli_aurora_option.py",),
    "webhook/http_attempt.py": ("tests/test_webhook_retry_after_digits.py",),
    "relay/outbox.py": ("tests/test_relay_outbox_progress.py",),
    "webhook/receiver.py": ("tests/test_webhook_receiver_lifecycle.py",),
    "webhook/receiver_http.py": ("tests/test_webhook_receiver_lifecycle.py",),
    "cli/payload_commands.py": ("tests/test_cli_document_example.py",),
    "cli/main.py": ("tests/test_cli_document_example.py",),
    "webhook/direct_post.py": ("tests/test_webhook_direct_read_timeout.py",),
    "cli/payload_*.py": ("tests/test_cli_failure_counts.py",),
    "cli/evolution_commands.py": ("tests/test_cli_failure_counts.py",),
    "cli/send_command.py": ("tests/test_send_from_stdin.py",),
    "webhook/attempt_deadline.py": ("tests/test_webhook_attempt_deadline_release.py",),
    # mut-core (s18): small promises of the core, each file written to kill one sample's survivors.
    "runtime/java.py": ("tests/test_remembered_hashes.py",),
    "runtime/gson.py": ("tests/test_remembered_hashes.py",),
    "runtime/treeview.py": ("tests/test_treeview.py",),
    "runtime/accel.py": ("tests/test_accel_switches.py",),
    "codegen/templates/types.py.j2": ("tests/test_generated_layout.py",),  # layout the golden files also show
}
SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+",
         "*": "//", "/": "*", "//": "*", "%": "//", "<<": ">>", ">>": "<<", "&": "^", "^": "&",
         "+=": "-=", "-=": "+=", "and": "or", "or": "and", "True": "False", "False": "True",
         "is": "is not"}
_REGEX_CALLS = re.compile(r"re\.(?:compile|match|fullmatch|search|sub|split)\(\s*$")


@dataclass
class Mutant:
    path: str  # relative to the repository
    line: int
    start: int  # character offsets into the file's text
    end: int
    replacement: str
    kind: str
    before: str = ""  # the whole line(s), before and after
    after: str = ""

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]


def _offsets(text: str) -> list[int]:
    starts, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def python_mutants(path: str, text: str) -> list[Mutant]:
    tree = ast.parse(text)
    at = _offsets(text)

    def off(row: int, col: int) -> int:
        return at[row - 1] + col

    skip: set[int] = set()  # lines of docstrings, annotations, logging and __all__
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(range(body[0].lineno, body[0].end_lineno + 1))
        for ann in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if isinstance(ann, ast.AST):
                skip.update(range(ann.lineno, ann.end_lineno + 1))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in ("log", "logger", "logging"):
            skip.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            skip.update(range(node.lineno, node.end_lineno + 1))
    out: list[Mutant] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for i, tok in enumerate(tokens):
        row, col = tok.start
        if row in skip:
            continue
        start, end = off(*tok.start), off(*tok.end)
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        prev = tokens[i - 1].string if i else ""
        if tok.type in (tokenize.OP, tokenize.NAME) and tok.string in SWAPS:
            if tok.string == "is" and nxt == "not":
                continue
            if tok.string in ("*", "**") and prev in ("(", ",", ""):
                continue  # *args, not multiplication
            out.append(Mutant(path, row, start, end, SWAPS[tok.string], "swap"))
        elif tok.type == tokenize.NAME and tok.string == "not" and nxt != "in":
            out.append(Mutant(path, row, start, off(*tokens[i + 1].start), "", "drop-not"))
        elif tok.type == tokenize.NUMBER and re.fullmatch(r"\d+", tok.string.replace("_", "")):
            value = int(tok.string.replace("_", ""))
            out.append(Mutant(path, row, start, end, str(value + 1), "number+1"))
            if value > 0:
                out.append(Mutant(path, row, start, end, str(value - 1), "number-1"))
        elif tok.type == tokenize.STRING and tok.string[-1:] in "\"'":
            body = re.match(r"([rbfuRBFU]*)('''|\"\"\"|'|\")(.*)\2$", tok.string, re.DOTALL)
            if not body or not body.group(3):
                continue
            prefix, quote, inner = body.groups()
            line = text[at[row - 1]:at[row]]
            regex = _REGEX_CALLS.search(line[:col]) is not None or "re.compile(" in line[:col]
            if regex:
                for old, new in (("+", "*"), ("*", "+"), ("\\Z", "$"), ("^", ""), ("?", "")):
                    if old in inner:
                        out.append(Mutant(path, row, start, end,
                                          prefix + quote + inner.replace(old, new, 1) + quote, "regex"))
                        break
            elif prev == "(" and i >= 2 and tokens[i - 2].string in ("strip", "lstrip", "rstrip"):
                # A set of characters: "XX0" strips what "0" does from digits; "" strips nothing.
                out.append(Mutant(path, row, start, end, prefix + quote * 2, "string"))
            elif len(inner) <= 40 and " " not in inner and "{" not in inner:  # keys and names, not messages
                out.append(Mutant(path, row, start, end, prefix + quote + "XX" + inner + quote, "string"))
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if isinstance(node, (ast.If, ast.While, ast.IfExp)) and node.lineno not in skip and test is not None:
            s, e = off(test.lineno, test.col_offset), off(test.end_lineno, test.end_col_offset)
            out.append(Mutant(path, test.lineno, s, e, f"not ({text[s:e]})", "negate"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.While, ast.If, ast.With, ast.Try)):
            for block in (node.body, getattr(node, "orelse", [])):
                for stmt in block:
                    if stmt.lineno in skip or stmt.lineno != stmt.end_lineno:
                        continue
                    s, e = off(stmt.lineno, stmt.col_offset), off(stmt.end_lineno, stmt.end_col_offset)
                    if isinstance(stmt, ast.Return) and stmt.value is not None \
                            and not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
                        out.append(Mutant(path, stmt.lineno, s, e, "return None", "return-none"))
                    elif isinstance(stmt, (ast.Expr, ast.Assign, ast.AugAssign, ast.Raise, ast.Delete)) \
                            and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                        out.append(Mutant(path, stmt.lineno, s, e, "pass", "remove"))
    return out


_TEMPLATE_OPS = re.compile(r" (==|!=|<=|>=|<|>|\+|-|and|or) |\b(True|False)\b|(?<![\w.])(\d+)(?![\w.])")
_JINJA_IF = re.compile(r"\{%-?\s*(?:el)?if (.+?)\s*-?%\}")


def _template_prose(lines: list[str]) -> set[int]:
    """Rows of docstrings and Jinja comments: text, not code (as Python docstrings are skipped)."""
    prose: set[int] = set()
    in_doc = in_comment = False
    for row, line in enumerate(lines, 1):
        quotes = line.count('"""')
        if in_doc or in_comment or quotes or line.lstrip().startswith(("{#", "#")):
            prose.add(row)
        in_doc ^= quotes % 2 == 1
        if "{#" in line or in_comment:
            in_comment = line.rfind("{#") > line.rfind("#}")
    return prose


def template_mutants(path: str, text: str) -> list[Mutant]:
    out: list[Mutant] = []
    at = _offsets(text)
    lines = text.splitlines(keepends=True)
    prose = _template_prose(lines)
    for row, line in enumerate(lines, 1):
        if row in prose:
            continue
        line = line.split("  # ", 1)[0]  # an inline comment: text too
        base = at[row - 1]
        for m in _TEMPLATE_OPS.finditer(line):
            if m.group(1):
                s, e, new = m.start(1), m.end(1), SWAPS[m.group(1)]
            elif m.group(2):
                s, e, new = m.start(2), m.end(2), SWAPS[m.group(2)]
            else:
                s, e, new = m.start(3), m.end(3), str(int(m.group(3)) + 1)
            out.append(Mutant(path, row, base + s, base + e, new, "template"))
        for m in _JINJA_IF.finditer(line):
            out.append(Mutant(path, row, base + m.start(1), base + m.end(1), f"not ({m.group(1)})", "negate"))
    return out


def all_mutants(root: Path) -> list[Mutant]:
    found: list[Mutant] = []
    for pattern in TARGETS:
        for file in sorted(root.glob(pattern)):
            rel = file.relative_to(root).as_posix()
            text = file.read_text(encoding="utf-8")
            found += template_mutants(rel, text) if rel.endswith(".j2") else python_mutants(rel, text)
    for m in found:
        text = (root / m.path).read_text(encoding="utf-8")
        lo = text.rfind("\n", 0, m.start) + 1
        hi = text.find("\n", m.end)
        hi = len(text) if hi < 0 else hi
        m.before = text[lo:hi]
        m.after = text[lo:m.start] + m.replacement + text[m.end:hi]
    return [m for m in found if m.before != m.after]


def covering_tests(root: Path, module: str) -> list[str]:
    """Test files importing ``module`` (a relative path), plus EXTRA_TESTS."""
    tests = sorted(p for p in (root / "tests").glob("test_*.py"))
    found: set[str] = set()
    if not module.endswith(".j2"):
        dotted = "aurorakit." + module[:-3].replace("/", ".")
        parent, stem = dotted.rsplit(".", 1)
        pattern = re.compile(rf"(?:{re.escape(dotted)}\b|from {re.escape(parent)} import [^\n]*\b{stem}\b"
                             rf"|from \.+{stem} import)")
        found = {p.relative_to(root).as_posix() for p in tests if pattern.search(p.read_text(encoding="utf-8"))}
    if not found and not module.endswith(".j2"):  # reached only through commands: tests named like it
        prefixes = [part[:6] for part in Path(module).stem.split("_") if len(part) >= 4]
        found = {p.relative_to(root).as_posix() for p in tests
                 if any(part.startswith(prefix) for prefix in prefixes for part in p.stem.split("_")[1:])}
    if not found and not module.endswith(".j2"):  # else the tests of the modules importing it
        for importer in _importers(root, module):
            found.update(covering_tests(root, importer))
    first: list[str] = []  # named for the module: they kill fastest, so they run first
    for key, extra in EXTRA_TESTS.items():
        if Path(module).match(key):
            first += [e for e in extra if (root / e).exists() and e not in first]
    if module.endswith(".j2"):
        found -= set(FRESHNESS_TESTS)
    return first + sorted(found - set(first))


def _importers(root: Path, module: str) -> list[str]:
    """Target modules that import ``module`` (relative imports within runtime/)."""
    stem = Path(module).stem
    pattern = re.compile(rf"from \.+(?:\w+\.)*{stem} import|from \.+ import [^\n]*\b{stem}\b|import [\w.]*\.{stem}\b")
    return sorted(p.relative_to(root).as_posix() for pattern_glob in PY_TARGETS for p in root.glob(pattern_glob)
                  if p.relative_to(root).as_posix() != module and pattern.search(p.read_text(encoding="utf-8")))


def equivalents() -> set[tuple[str, str, str]]:
    """(path, original line, mutated line) of mutants proven equivalent, from equivalent.txt."""
    listed: set[tuple[str, str, str]] = set()
    file = HERE / "equivalent.txt"
    if file.exists():
        for entry in json.loads(file.read_text(encoding="utf-8")):
            listed.add((entry["path"], entry["before"].strip(), entry["after"].strip()))
    return listed


def _make_copy(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".hypothesis")
    shutil.copytree(REPO, dest / "tree", ignore=ignore, symlinks=True)
    pkg = dest / "importroot" / "aurorakit"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name in ("codegen", "runtime", "generated", "thrift"):
        (pkg / name).symlink_to(dest / "tree" / name)


def _regenerate(tree: Path, env: dict[str, str]) -> bool:
    script = ("import sys; from pathlib import Path; from aurorakit.codegen import generate_package\n"
              "for d in sorted(Path('generated').iterdir()):\n"
              "    if d.is_dir() and d.name.startswith('aurora_'):\n"
              "        rel = d.name[len('aurora_'):].replace('_', '.')\n"
              "        generate_package(Path('thrift/aurora') / rel / 'api.thrift', d.name, Path('generated'))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tree, env=env, capture_output=True, timeout=600, check=False)
    return proc.returncode == 0


def run_one(m: Mutant, tree: Path, env: dict[str, str], timeout: float) -> str:
    tests = covering_tests(tree, m.path)
    if not tests:
        return "no-tests"
    file = tree / m.path
    original = file.read_text(encoding="utf-8")
    saved = None
    try:
        file.write_text(m.apply(original), encoding="utf-8")
        if m.path.endswith(".j2"):
            saved = tree.parent / "generated-saved"
            shutil.copytree(tree / "generated", saved)
            if not _regenerate(tree, env):
                return "killed"  # the generator itself refuses the template
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *tests]
        # Its own process group: on a timeout the servers and commands the tests started go too.
        proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return "timeout"
        return "survived" if proc.returncode == 0 else "killed"
    finally:
        file.write_text(original, encoding="utf-8")
        if saved is not None:
            shutil.rmtree(tree / "generated")
            shutil.move(str(saved), tree / "generated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="mutants to try (default 200; 0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=3600.0, help="seconds before no new mutant starts")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant's test run")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tried at once, each in its own copy")
    parser.add_argument("--only", default="", help="only files whose path matches this regular expression (re.search)")
    parser.add_argument("--list", action="store_true", help="only count the mutants")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--rerun", type=Path, help="try again only the survivors of an earlier --json file")
    args = parser.parse_args(argv)

    mutants = [m for m in all_mutants(REPO) if re.search(args.only, m.path)]
    known = equivalents()
    mutants = [m for m in mutants if (m.path, m.before.strip(), m.after.strip()) not in known]
    chosen = random.Random(args.seed).sample(mutants, min(args.sample, len(mutants))) if args.sample else mutants
    if args.rerun:
        wanted = {(e["path"], e["before"], e["after"]) for e in json.loads(args.rerun.read_text())
                  if e["outcome"] in ("survived", "no-tests")}
        chosen = [m for m in mutants if (m.path, m.before, m.after) in wanted]
    chosen.sort(key=lambda m: (m.path, m.line))
    print(f"{len(mutants)} mutants ({len(known)} listed as equivalent left out); trying {len(chosen)}, "
          f"seed {args.seed}", flush=True)
    if args.list:
        return 0
    results: list[tuple[Mutant, str]] = []
    began = time.monotonic()
    todo = queue.SimpleQueue[tuple[int, Mutant]]()
    for n, m in enumerate(chosen, 1):
        todo.put((n, m))
    lock = threading.Lock()

    def worker(tmp: Path) -> None:  # one copy of the tree per worker: mutants never meet
        _make_copy(tmp)
        env = {**os.environ, "PYTHONPATH": str(tmp / "importroot"), "PYTHONDONTWRITEBYTECODE": "1"}
        while time.monotonic() - began <= args.budget:
            try:
                n, m = todo.get_nowait()
            except queue.Empty:
                return
            outcome = run_one(m, tmp / "tree", env, args.timeout)
            with lock:
                results.append((m, outcome))
                print(f"[{n}/{len(chosen)}] {outcome:8} {m.path}:{m.line} {m.kind}", flush=True)

    with tempfile.TemporaryDirectory(prefix="aurorakit-mutation-") as tmp:
        threads = [threading.Thread(target=worker, args=(Path(tmp) / str(j),)) for j in range(args.jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if len(results) < len(chosen):
        print(f"budget of {args.budget:g}s spent after {len(results)} mutants", flush=True)
    results.sort(key=lambda r: (r[0].path, r[0].line))
    counts = {k: sum(1 for _, o in results if o == k) for k in ("killed", "timeout", "survived", "no-tests")}
    # A timeout may be a mutant that hangs, or only a long test set: not counted either way.
    tried = counts["killed"] + counts["survived"]
    rate = counts["killed"] / tried if tried else 0.0
    print(f"\n{counts['killed']} killed, {counts['survived']} survived, {counts['timeout']} timed out (not counted), "
          f"{counts['no-tests']} without covering tests; kill rate {rate:.1%} in {time.monotonic() - began:.0f}s")
    for m, outcome in results:
        if outcome in ("survived", "no-tests", "timeout"):
            print(f"\n{outcome}: {m.path}:{m.line} ({m.kind})\n- {m.before.strip()}\n+ {m.after.strip()}")
    if args.json:
        args.json.write_text(json.dumps([{**asdict(m), "outcome": o} for m, o in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
