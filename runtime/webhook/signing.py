"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A signed request carries three headers:

- ``webhook-id``: the event's stable id (the same on every retry, so a
  receiver can drop duplicates);
- ``webhook-timestamp``: the send time in integer epoch seconds;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"``
  keyed with the secret's bytes. Several space-separated signatures may be
  present (key rotation); one valid ``v1`` signature is enough.

A secret is written ``whsec_<base64>`` (the bytes are the base64-decoded
part) or as raw text (the bytes are its UTF-8 encoding).

A request must carry each of the three headers at most once: with two
``webhook-id`` headers, the signature check and the duplicate check could read
different ones, so a replay with an extra id put in front would pass as new.
:func:`webhook_headers` picks the one value of each from the request's header
list, and both checks use what it returns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

from ..errors import AurorakitError

WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SEC = 300  # Standard Webhooks' recommended 5 minutes, both ways


WEBHOOK_HEADERS = (WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE)


class SecretFormatError(AurorakitError, ValueError):
    """A signing secret that cannot be turned into key bytes."""


class SignatureError(AurorakitError, ValueError):
    """A request whose signature headers are missing, malformed, stale or wrong."""


class RepeatedHeaderError(AurorakitError, ValueError):
    """A request that carries one of the Standard Webhooks headers more than once."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"repeated {name} header")


def webhook_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The ``webhook-*`` values of a request's header list (names lower-cased).

    Raises :class:`RepeatedHeaderError` when one of them occurs twice.
    """
    found: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in WEBHOOK_HEADERS:
            if lower in found:
                raise RepeatedHeaderError(lower)
            found[lower] = value
    return found


def decode_secret(secret: str | bytes) -> bytes:
    """The HMAC key bytes of a ``whsec_<base64>`` or raw secret."""
    if isinstance(secret, bytes):
        if not secret:
            raise SecretFormatError("must not be empty")
        return secret
    if not secret:
        raise SecretFormatError("must not be empty")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    encoded = secret[len(SECRET_PREFIX):]
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SecretFormatError(f"not valid base64 after the {SECRET_PREFIX!r} prefix") from None
    if not key:
        raise SecretFormatError(f"no key bytes after the {SECRET_PREFIX!r} prefix")
    return key


def generate_secret(num_bytes: int = 32) -> str:
    """A new random secret in ``whsec_<base64>`` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(num_bytes)).decode("ascii")


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(key: bytes | None, msg_id: str, body: bytes,
                      *, timestamp: int | None = None) -> dict[str, str]:
    """``webhook-id`` and ``webhook-timestamp``, plus ``webhook-signature`` when keyed."""
    when = int(time.time()) if timestamp is None else timestamp
    headers = {WEBHOOK_ID: msg_id, WEBHOOK_TIMESTAMP: str(when)}
    if key is not None:
        headers[WEBHOOK_SIGNATURE] = sign(key, msg_id, when, body)
    return headers


def verify(key: bytes, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes, *,
           tolerance_sec: float = DEFAULT_TOLERANCE_SEC, now: float | None = None) -> str:
    """Check a request's signature; return its ``webhook-id`` or raise :class:`SignatureError`.

    ``headers`` is a mapping, or the request's list of ``(name, value)`` pairs, in
    which a repeated ``webhook-*`` header raises :class:`RepeatedHeaderError`.
    """
    if not isinstance(headers, Mapping):
        headers = webhook_headers(headers)
    msg_id = _header(headers, WEBHOOK_ID)
    timestamp_text = _header(headers, WEBHOOK_TIMESTAMP)
    signature_text = _header(headers, WEBHOOK_SIGNATURE)
    if msg_id is None or timestamp_text is None or signature_text is None:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(timestamp_text.strip())
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if timestamp < current - tolerance_sec:
        raise SignatureError("webhook-timestamp too old")
    if timestamp > current + tolerance_sec:
        raise SignatureError("webhook-timestamp too far in the future")
    expected = sign(key, msg_id, timestamp, body).encode("ascii")
    for candidate in signature_text.split():
        version, _, _ = candidate.partition(",")
        # Compare every v1 candidate in constant time; other versions are ignored.
        if version == "v1" and hmac.compare_digest(candidate.encode("ascii", "replace"), expected):
            return msg_id
    raise SignatureError("no matching signature")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():  # plain dicts are case-sensitive
        if key.lower() == name:
            return candidate
    return None
