"""aurorakit's own settings: flags over AURORAKIT_* variables over a settings file over the defaults."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from aurorakit.runtime.webhook import settings as kit
from aurorakit.runtime.webhook.settings import RetryPolicy, Settings, SettingsError, settings_from_dict
from shared import document_path

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    kit.add_arguments(p)
    return p


def resolve(argv: list[str], env: dict[str, str] | None = None) -> Settings:
    return kit.from_arguments(parser().parse_args(argv), env or {})


def test_defaults_retry_until_a_deadline_of_a_day() -> None:
    # Issue 10 item 3: keep retrying with capped backoff until a deadline of at least a day.
    policy = RetryPolicy()
    assert policy.max_attempts is None
    assert policy.deadline_sec >= 86_400
    assert policy.max_backoff_msec <= 300_000 and policy.initial_backoff_msec < policy.max_backoff_msec
    assert policy.jitter == 1.0
    assert resolve([]) == Settings(release=None, delivery="reliable", retry=policy, spool=None,
                                   signing_secret=None, queue_size=10_000, workers=4)


def test_flag_beats_variable_beats_file(tmp_path: Path) -> None:
    (tmp_path / "aurorakit.json").write_text(json.dumps({
        "aurora": "0.16", "workers": 2, "queueSize": 50, "spool": "spool.db",
        "retry": {"initialBackoffMsec": 100, "maxBackoffMsec": 1000, "deadlineSec": 30}}), encoding="utf-8")
    env = {"AURORAKIT_SETTINGS": str(tmp_path / "aurorakit.json"), "AURORAKIT_WORKERS": "3",
           "AURORAKIT_RETRY_DEADLINE_SEC": "60.5", "AURORAKIT_AURORA": "0.19"}
    got = resolve(["--workers", "5", "--aurora", "0.20.0"], env)
    assert (got.release, got.workers, got.queue_size) == ("0.20", 5, 50)
    assert got.spool == str(tmp_path / "spool.db")  # relative to the settings file's folder
    assert got.retry == RetryPolicy(None, 100, 1000, 1.0, 60.5)
    from_env = resolve([], env)
    assert (from_env.release, from_env.workers) == ("0.19", 3)
    explicit = resolve(["--settings", str(tmp_path / "aurorakit.json")])
    assert (explicit.release, explicit.workers, explicit.retry.deadline_sec) == ("0.16", 2, 30.0)


def test_every_setting_has_a_flag_and_a_variable() -> None:
    flags = {s.key: (s.flag, s.env) for s in kit.SETTINGS}
    assert flags == {
        "aurora": ("--aurora", "AURORAKIT_AURORA"),
        "delivery": ("--delivery", "AURORAKIT_DELIVERY"),
        "spool": ("--spool", "AURORAKIT_SPOOL"),
        "queueSize": ("--queue-size", "AURORAKIT_QUEUE_SIZE"),
        "workers": ("--workers", "AURORAKIT_WORKERS"),
        "retry.maxAttempts": ("--retry-max-attempts", "AURORAKIT_RETRY_MAX_ATTEMPTS"),
        "retry.initialBackoffMsec": ("--retry-initial-backoff-msec", "AURORAKIT_RETRY_INITIAL_BACKOFF_MSEC"),
        "retry.maxBackoffMsec": ("--retry-max-backoff-msec", "AURORAKIT_RETRY_MAX_BACKOFF_MSEC"),
        "retry.jitter": ("--retry-jitter", "AURORAKIT_RETRY_JITTER"),
        "retry.deadlineSec": ("--retry-deadline-sec", "AURORAKIT_RETRY_DEADLINE_SEC"),
        "signingSecretFile": ("--secret-file", "AURORAKIT_WEBHOOK_SECRET_FILE"),
    }
    text = kit.describe_settings()
    for flag, env in flags.values():
        assert flag in text and env in text
    assert "--secret " in text and "AURORAKIT_WEBHOOK_SECRET " in text
    assert "process list" in text


def test_the_signing_secret_from_a_variable_a_file_or_the_command_line(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    assert resolve([], {"AURORAKIT_WEBHOOK_SECRET": SECRET}).signing_secret == SECRET
    assert resolve(["--secret-file", str(secret_file)]).signing_secret == SECRET
    assert resolve([], {"AURORAKIT_WEBHOOK_SECRET_FILE": str(secret_file)}).signing_secret == SECRET
    assert resolve(["--secret", "raw text secret"]).signing_secret == "raw text secret"
    (tmp_path / "s.json").write_text(json.dumps({"signingSecretFile": "secret"}), encoding="utf-8")
    assert resolve(["--settings", str(tmp_path / "s.json")]).signing_secret == SECRET
    # a flag beats the variable; two ways at once in one layer is a mistake
    flagged = resolve(["--secret", "from-flag"], {"AURORAKIT_WEBHOOK_SECRET": SECRET})
    assert flagged.signing_secret == "from-flag"
    assert "from-flag" not in repr(resolve(["--secret", "from-flag"]))
    with pytest.raises(SettingsError, match="^AURORAKIT_WEBHOOK_SECRET and AURORAKIT_WEBHOOK_SECRET_FILE: give the "
                                            "secret one way$"):
        resolve([], {"AURORAKIT_WEBHOOK_SECRET": SECRET, "AURORAKIT_WEBHOOK_SECRET_FILE": str(secret_file)})
    with pytest.raises(SettingsError, match="^--secret and --secret-file: give the secret one way$"):
        resolve(["--secret", SECRET, "--secret-file", str(secret_file)])


BAD = [
    (["--workers", "65"], {}, "--workers: must be between 1 and 64, got 65"),
    (["--workers", "x"], {}, "--workers: expected an integer, got 'x'"),
    ([], {"AURORAKIT_QUEUE_SIZE": "0"}, "AURORAKIT_QUEUE_SIZE: must be between 1 and 10000000, got 0"),
    ([], {"AURORAKIT_DELIVERY": "fast"}, "AURORAKIT_DELIVERY: expected 'reliable' or 'aurora', got 'fast'"),
    (["--aurora", "0.13"], {}, "--aurora: unknown Aurora release '0.13'; known: 0.14, 0.15, 0.16, 0.17, 0.18, "
                               "0.19, 0.20, 0.21, 0.22, 0.23-0.27 (aurora-scheduler fork) (a patch release "
                               "such as 0.19.1 is its line's)"),
    (["--retry-jitter", "1.5"], {}, "--retry-jitter: must be between 0 and 1, got 1.5"),
    (["--retry-deadline-sec", "0"], {}, "--retry-deadline-sec: must be a number greater than 0, got 0"),
    (["--retry-deadline-sec", "nan"], {}, "--retry-deadline-sec: must be a number greater than 0, got nan"),
    (["--retry-deadline-sec", "inf"], {}, "--retry-deadline-sec: must be a number greater than 0, got inf"),
    (["--retry-jitter", "-0.01"], {}, "--retry-jitter: must be between 0 and 1, got -0.01"),
    (["--retry-initial-backoff-msec", "500", "--retry-max-backoff-msec", "100"], {},
     "retry.maxBackoffMsec: must be at least retry.initialBackoffMsec (500), got 100"),
    (["--secret", "whsec_!!!"], {}, "--secret: not valid base64 after the 'whsec_' prefix"),
    (["--delivery", "aurora"], {"AURORAKIT_WEBHOOK_SECRET": SECRET},
     "signing secret: not used with delivery 'aurora' (Aurora did not sign requests)"),
    (["--secret-file", "/nonexistent/secret"], {},
     "--secret-file: cannot read the secret file /nonexistent/secret: No such file or directory"),
    (["--settings", "/nonexistent/aurorakit.json"], {},
     "/nonexistent/aurorakit.json: cannot read the settings file: No such file or directory"),
]


@pytest.mark.parametrize("argv, env, message", BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_settings_name_where_they_came_from(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve(argv, env)
    assert str(caught.value) == message


def test_settings_file_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "aurorakit.json"
    for content, message in [
        ({"worker": 2}, "worker: unknown setting (known: aurora, delivery, spool, queueSize, workers, "
                        "retry.maxAttempts, retry.initialBackoffMsec, retry.maxBackoffMsec, retry.jitter, "
                        "retry.deadlineSec, signingSecretFile, signingSecret)"),
        ({"workers": "2"}, "workers: expected an integer"),
        ({"workers": True}, "workers: expected an integer"),
        ({"retry": {"jitter": "all"}}, "retry.jitter: expected a number"),
        ({"retry": 3}, "retry: expected an object"),
        ({"retry": {"maxAtempts": 3}}, "retry.maxAtempts: unknown setting (known: aurora"),
        ({"signingSecret": SECRET, "signingSecretFile": "x"},
         "signingSecret and signingSecretFile: give the secret one way"),
        ({"signingSecretFile": "missing"}, f"signingSecretFile: cannot read the secret file {tmp_path / 'missing'}: "
                                           "No such file or directory"),
    ]:
        path.write_text(json.dumps(content), encoding="utf-8")
        with pytest.raises(SettingsError) as caught:
            resolve(["--settings", str(path)])
        assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)
    path.write_text(json.dumps({"workers": True}), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        resolve(["--settings", str(path)])
    assert str(caught.value) == f"{path}: workers: expected an integer"  # a boolean is not 1
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(SettingsError, match="expected a JSON object of aurorakit settings"):
        resolve(["--settings", str(path)])
    path.write_text('{"workers": ', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"invalid JSON at line 1 column 13"):
        resolve(["--settings", str(path)])


def test_the_ends_of_each_range_are_accepted() -> None:
    assert resolve(["--retry-jitter", "0"]).retry.jitter == 0.0 and resolve(["--retry-jitter", "1"]).retry.jitter == 1.0
    assert resolve(["--retry-deadline-sec", "0.001"]).retry.deadline_sec == 0.001
    got = resolve(["--retry-initial-backoff-msec", "700", "--retry-max-backoff-msec", "700"]).retry
    assert (got.initial_backoff_msec, got.max_backoff_msec) == (700, 700)


def test_backoff_cap_follows_a_large_first_backoff() -> None:
    assert resolve(["--retry-initial-backoff-msec", "400000"]).retry.max_backoff_msec == 400_000
    assert resolve(["--retry-initial-backoff-msec", "1000"]).retry.max_backoff_msec == 300_000


def test_settings_from_a_mapping() -> None:
    got = settings_from_dict({"delivery": "aurora", "retry": {"maxAttempts": 3}, "workers": 1})
    assert (got.delivery, got.retry.max_attempts, got.workers) == ("aurora", 3, 1)
    with pytest.raises(SettingsError, match="settings: workers: must be between 1 and 64, got 0"):
        settings_from_dict({"workers": 0})


def test_a_commands_own_aurora_flag_is_read(tmp_path: Path) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--aurora")  # as simulate has its own
    kit.add_arguments(p)
    assert kit.from_arguments(p.parse_args(["--aurora", "0.15"]), {}).release == "0.15"


# -- the settings reach `aurorakit send` (in process, against a real recording server on 127.0.0.1) --------

DOC = document_path()  # the shared seed, else the bundled copy


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    for name in list(os.environ):
        if name.startswith("AURORAKIT_"):
            monkeypatch.delenv(name)


def test_send_takes_release_and_mode_from_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    from test_webhook_helpers import RecordingServer
    _clean_env(monkeypatch)
    doc = DOC
    with RecordingServer() as server:
        config = tmp_path / "webhook.json"
        config.write_text(json.dumps({"targetURL": server.url, "timeoutMsec": 2000, "headers": {"X-Team": "infra"}}))
        monkeypatch.setenv("AURORAKIT_AURORA", "0.14")  # the document's payload is 0.14's; group A posts it
        monkeypatch.setenv("AURORAKIT_DELIVERY", "aurora")
        assert main(["send", "--config", str(config), str(doc)]) == 0
        assert "as Aurora 0.14 (delivery aurora)" in capsys.readouterr().out
        # the same file, reliable and signed through a settings file; the flag --aurora wins over the variable
        secret = tmp_path / "whsec"
        secret.write_text(SECRET, encoding="utf-8")
        settings = tmp_path / "aurorakit.json"
        settings.write_text(json.dumps({"delivery": "reliable", "signingSecretFile": "whsec"}), encoding="utf-8")
        monkeypatch.delenv("AURORAKIT_DELIVERY")
        monkeypatch.setenv("AURORAKIT_AURORA", "0.22")
        assert main(["send", "--config", str(config), "--settings", str(settings), "--aurora", "0.14", str(doc)]) == 0
        assert "as Aurora 0.14 (delivery reliable)" in capsys.readouterr().out
    first, second = server.arrivals
    assert int(first.headers["timestamp"]) > 0 and "TimeStamp" in first.header_names  # group A's name
    assert "webhook-id" not in first.headers and first.headers["x-team"] == "infra"
    assert "webhook-signature" in second.headers and "TimeStamp" in second.header_names


def test_send_refuses_an_old_webhook_json_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    _clean_env(monkeypatch)
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"targetURL": "http://127.0.0.1:9/", "timeoutMsec": 5, "headers": {},
                                  "profile": "0.14", "signingSecret": "hush"}))
    assert main(["send", "--config", str(config), str(DOC)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"aurorakit: {config}: profile: aurorakit settings do not belong")
    assert 'profile -> --aurora, AURORAKIT_AURORA or "aurora" in the settings file' in err and "hush" not in err
    monkeypatch.setenv("AURORAKIT_WORKERS", "100")
    config.write_text(json.dumps({"targetURL": "http://127.0.0.1:9/", "timeoutMsec": 5, "headers": {}}))
    assert main(["send", "--config", str(config), str(DOC)]) == 2
    assert capsys.readouterr().err == "aurorakit: AURORAKIT_WORKERS: must be between 1 and 64, got 100\n"


def test_simulate_refuses_events_that_can_never_be_posted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from aurorakit.runtime.cli.main import main
    _clean_env(monkeypatch)
    config = tmp_path / "webhook.json"
    config.write_text(json.dumps({"targetURL": "http://127.0.0.1:9/", "timeoutMsec": 5, "headers": {},
                                  "statuses": []}))
    assert main(["simulate", "--jobs", "1", "--instances", "1", "--config", str(config), "--events", "5"]) == 2
    assert capsys.readouterr().err == (f"aurorakit: simulate: {config} has \"statuses\": [], so nothing is posted "
                                       "and --events 5 would never be reached\n")
