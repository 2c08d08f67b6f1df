"""Keeping secrets out of reprs and logs.

Aurora's ``webhook.json`` routinely carries credentials in ``headers``
(an ``Authorization`` bearer token, an API key for a Kafka REST proxy).
Everything in this package that prints headers, URLs or a signing secret goes
through these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"

# Header names that carry credentials however they are spelled.
_SENSITIVE_NAMES = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
# Any header whose name contains one of these words is treated as a credential.
_SENSITIVE_WORDS = ("token", "secret", "key", "password", "passwd", "auth", "signature")


def is_sensitive_header(name: str) -> bool:
    """True for Authorization-like headers whose value must never be shown."""
    lowered = name.strip().lower()
    return lowered in _SENSITIVE_NAMES or any(word in lowered for word in _SENSITIVE_WORDS)


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with the values of sensitive headers replaced."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name: (REDACTED if is_sensitive_header(name) else value) for name, value in pairs}


def redact_url(url: str) -> str:
    """``url`` with any password in its user-info part replaced.

    The query string is kept: it is shown to operators to recognise the target,
    and Aurora itself logged the URL as configured.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}:{REDACTED}@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
