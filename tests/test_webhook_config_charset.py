"""A webhook.json whose Content-Type names a charset Java writes but aurorakit cannot is refused
when it is read (D/E read the charset), naming the header, whatever the header name's case."""

from __future__ import annotations

import json

import pytest
from aurorakit.runtime.webhook.webhook_json import WebhookConfigError, read_aurora_config


@pytest.mark.parametrize("name", ["Content-Type", "content-type", "CONTENT-TYPE"])
def test_an_unwritable_charset_is_refused_at_headers_content_type(name: str) -> None:
    text = json.dumps({"targetURL": "http://127.0.0.1:5000/", "timeoutMsec": 500,
                       "headers": {name: "application/json; charset=x-windows-874"}})
    with pytest.raises(WebhookConfigError) as caught:
        read_aurora_config(text, "0.22")
    assert caught.value.key == "headers.Content-Type"
    assert "x-windows-874" in caught.value.problem and "cannot write" in caught.value.problem


def test_a_charset_aurorakit_writes_is_accepted() -> None:
    text = json.dumps({"targetURL": "http://127.0.0.1:5000/", "timeoutMsec": 500,
                       "headers": {"content-type": "application/json; charset=windows-1252"}})
    assert read_aurora_config(text, "0.22").headers == (("content-type", "application/json; charset=windows-1252"),)
