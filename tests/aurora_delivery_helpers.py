"""Shared by the "aurora" delivery tests: configs, senders and events made the real way. (No tests here.)"""

from __future__ import annotations

import json
from typing import Any

from aurorakit.runtime.aurora.profiles import profile_for
from aurorakit.runtime.webhook.aurora_delivery import AuroraSender
from aurorakit.runtime.webhook.aurora_http import Outcome
from aurorakit.runtime.webhook.config import WebhookConfig, parse_config
from aurorakit.runtime.webhook.outgoing import OutgoingEvent
from aurorakit.runtime.webhook.payloads import header, outgoing_from_text

GROUPS = {"0.14": "A", "0.15": "A", "0.16": "B", "0.17": "C", "0.18": "C", "0.19": "D",
          "0.20": "E", "0.21": "E", "0.22": "E"}
ONE_PER_GROUP = ("0.14", "0.16", "0.17", "0.19", "0.22")
T = 300  # timeoutMsec in these tests
A_ACCEPT = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
TEXT = "\u00e9\u20ac\U0001F600"  # é, €, and 😀 (a surrogate pair in Java)


def config(url: str, headers: dict[str, str] | None = None, timeout: int = T, **extra: Any) -> WebhookConfig:
    return parse_config(json.dumps({"targetURL": url, "timeoutMsec": timeout,
                                    "headers": headers if headers is not None else {"Producer-Type": "reliable"},
                                    **extra}), settings={"delivery": "aurora"})


def sender(version: str, url: str, headers: dict[str, str] | None = None, off: tuple[str, ...] = (),
           **extra: Any) -> AuroraSender:
    return AuroraSender(config(url, headers, **extra), profile=profile_for(version), disabled_quirks=off)


def payload(n: int = 1, new: str = "RUNNING", old: str | None = "STARTING", message: str = "x") -> str:
    old_state = {} if old is None else {"value": old}
    return json.dumps({"task": {"assignedTask": {"taskId": f"task-{n}"}, "status": new, "message": message},
                       "oldState": old_state}, ensure_ascii=False, separators=(",", ":"))


def event(s: AuroraSender, n: int = 1, **kw: Any) -> OutgoingEvent:
    content_type = header(s.config.headers, "Content-Type")
    return outgoing_from_text(payload(n, **kw), s.profile, content_type, encoding=s.body_encoding(content_type))


def send(s: AuroraSender, n: int = 1, **kw: Any) -> Outcome:
    future = s.submit(event(s, n, **kw))
    assert future is not None
    return future.result(timeout=30)
