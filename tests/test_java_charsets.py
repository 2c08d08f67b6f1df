"""Which Content-Type charsets 0.19 on wrote the body in: only those Java knows (behaviour note 2.2).

Expected bytes are written by hand: an unknown name falls back to ISO-8859-1
with '?' for what it cannot hold. The table itself is checked against the JDK.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aurora_wire_server import WireServer
from aurorakit.runtime.aurora.java_charsets import JAVA_CHARSETS, UnwritableCharset, java_charset, java_charset_name
from aurorakit.runtime.aurora.profiles import ProfileError, profile_for
from aurorakit.runtime.webhook.check_config import body_encoding
from aurorakit.runtime.webhook.config import AuroraConfig, WebhookConfigError, read_aurora_config

TEXT = "h\u00e9llo \u6771"
LATIN1_FALLBACK = b"h\xe9llo ?"
# Names Python's codec registry knows but Java does not (and one neither knows).
PYTHON_ONLY = ["rot13", "unicode_escape", "punycode", "utf-8-sig", "undefined", "base64", "hex", "uu", "zlib",
               "idna", "raw_unicode_escape", "mbcs", "no-such-charset"]


@pytest.mark.parametrize("name", PYTHON_ONLY)
def test_a_name_only_python_knows_falls_back_to_iso_8859_1(name: str) -> None:
    assert profile_for("0.22").wire_bytes(TEXT, f"application/json; charset={name}") == LATIN1_FALLBACK
    assert profile_for("0.19").wire_charset(f"text/plain;charset={name}") == "iso-8859-1"


@pytest.mark.parametrize("name, expected", [
    ("UTF8", TEXT.encode("utf-8")), ("unicode-1-1-utf-8", TEXT.encode("utf-8")),
    ("l1", LATIN1_FALLBACK), ("csISOLatin1", LATIN1_FALLBACK), ("cp1252", LATIN1_FALLBACK),
    ("utf-16", b"\xfe\xff" + TEXT.encode("utf-16-be")), ("UnicodeBig", b"\xfe\xff" + TEXT.encode("utf-16-be")),
    ("ISO-8859-5", b"h?llo ?"), ("IBM437", b"h\x82llo ?"),
])
def test_java_names_and_aliases_in_any_case_are_used(name: str, expected: bytes) -> None:
    for spelling in (name, name.upper(), name.lower()):
        assert profile_for("0.22").wire_bytes(TEXT, f"application/json; charset={spelling}") == expected


def test_a_charset_java_writes_but_aurorakit_cannot_is_one_clear_error() -> None:
    assert java_charset_name("sjis") == "Shift_JIS"
    with pytest.raises(UnwritableCharset, match="'sjis' \\(Shift_JIS\\): Java writes it"):
        java_charset("sjis")
    with pytest.raises(ProfileError):
        profile_for("0.22").wire_bytes(TEXT, "application/json; charset=EUC-JP")
    # Groups A to C never read the charset, so the config is fine there.
    assert profile_for("0.17").wire_bytes(TEXT, "application/json; charset=EUC-JP") == LATIN1_FALLBACK


def _config(tmp_path: Path, charset: str, url: str = "http://127.0.0.1:9/x") -> Path:
    path = tmp_path / "webhook.json"
    path.write_text(json.dumps({"headers": {"Content-Type": f"application/json; charset={charset}"},
                                "targetURL": url, "timeoutMsec": 5000}))
    return path


def _read(path: Path, release: str) -> AuroraConfig:
    return read_aurora_config(path.read_text(), release)


def test_the_config_refuses_an_unwritable_charset_and_check_config_says_what_is_written(tmp_path: Path) -> None:
    with pytest.raises(WebhookConfigError, match="headers.Content-Type: charset 'Big5'"):
        _read(_config(tmp_path, "Big5"), "0.22")
    _read(_config(tmp_path, "Big5"), "0.18")  # 0.18 ignores the charset
    said = body_encoding(_read(_config(tmp_path, "rot13"), "0.22"))
    assert said.startswith("ISO-8859-1") and "rot13" in said
    assert body_encoding(_read(_config(tmp_path, "utf8"), "0.22")).startswith("UTF-8,")


def _simulate(config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AURORAKIT_")}
    return subprocess.run([sys.executable, "-m", "aurorakit.runtime.cli.main", "simulate", "--jobs", "1",
                           "--instances", "1", "--events", "2", "--config", str(config), "--aurora", "0.22",
                           "--delivery", "aurora", "-q"], capture_output=True, text=True, timeout=120, env=env, check=False)


def test_simulate_never_tracebacks_on_a_charset(tmp_path: Path) -> None:
    for name in ("rot13", "undefined"):
        with WireServer() as server:
            done = _simulate(_config(tmp_path, name, server.url))
        assert (done.returncode, done.stderr) == (0, "")
        assert len(server.requests) == 2
    done = _simulate(_config(tmp_path, "Shift_JIS"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "headers.Content-Type: charset 'Shift_JIS'" in done.stderr


def test_the_table_is_the_jdks_charsets_and_aliases() -> None:
    from jdk import oracle

    java = oracle("JavaCharsets")
    names = [alias for name, (_codec, aliases) in JAVA_CHARSETS.items() for alias in (name, *aliases.split())]
    asked = ["*", *names, *(name.swapcase() for name in names), *PYTHON_ONLY]
    answers = java.ask(asked)
    assert sorted(answers[0].split()) == sorted(JAVA_CHARSETS)
    ours = [java_charset_name(name) or "unknown" for name in asked[1:]]
    assert ours == answers[1:]


def _sample() -> str:
    points = [*range(1, 0x500), *range(0x500, 0xD800, 37), *range(0xE000, 0x10000, 41)]
    return "".join(map(chr, points)) + "\U0001F600\u20ac\ufffd"


def test_every_codec_in_the_table_writes_javas_bytes() -> None:
    from jdk import oracle, utf16_hex

    writable = [name for name, (codec, _aliases) in JAVA_CHARSETS.items() if codec is not None]
    text = _sample()
    java = oracle("StringGetBytes").ask([f"{name}\t{utf16_hex(text)}" for name in writable])
    ours = [profile_for("0.22").wire_bytes(text, f"application/json; charset={name}").hex() for name in writable]
    mismatched = [name for name, a, b in zip(writable, ours, java, strict=True) if a != b]
    assert mismatched == []
