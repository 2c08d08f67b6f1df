"""The few per-version facts the delivery engine needs.

The senders use the payload layer's ``aurorakit.runtime.profiles.profile_for``
(a ``Profile`` has these fields and much more); anything with these
attributes plugs in (:class:`DeliveryProfile`). :func:`traits_for` states the
same facts independently, from the payload format notes (sections 1 and 5);
a test holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .config import SUPPORTED_PROFILES, WebhookConfig
from .outgoing import OutgoingEvent


class DeliveryProfile(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def posts_initial_events(self) -> bool: ...
    @property
    def statuses_filter(self) -> bool: ...
    @property
    def timestamp_header(self) -> str: ...
    @property
    def timeout_scope(self) -> str: ...


@dataclass(frozen=True)
class ProfileTraits:
    version: str
    posts_initial_events: bool  # 0.14/0.15 posted oldState-less events at start
    statuses_filter: bool  # 0.19+ honour the config's "statuses"
    timestamp_header: str  # "TimeStamp" (0.14/0.15) or "Timestamp"
    timeout_scope: str  # "connect" (0.14/0.15) or "all" (connect, pool and read)


def traits_for(version: str) -> ProfileTraits:
    if version not in SUPPORTED_PROFILES:
        raise ValueError(f"unsupported Aurora version {version!r} (supported: 0.14 to 0.22)")
    minor = int(version.split(".")[1])
    early = minor <= 15
    return ProfileTraits(
        version=version,
        posts_initial_events=early,
        statuses_filter=minor >= 19,
        timestamp_header="TimeStamp" if early else "Timestamp",
        timeout_scope="connect" if early else "all",
    )


def should_post(event: OutgoingEvent, config: WebhookConfig, profile: DeliveryProfile) -> bool:
    """Whether the Aurora version in ``profile`` would have posted ``event``."""
    if event.old_status is None and not profile.posts_initial_events:
        return False
    if profile.statuses_filter and not config.wants_status(event.new_status):
        return False
    return True


def aurora_timeout(config: WebhookConfig, profile: DeliveryProfile) -> tuple[float, float | None]:
    """``requests``' (connect, read) timeout as that Aurora version applied ``timeoutMsec``.

    ``connect`` scope leaves reads unbounded, exactly like
    ``HttpURLConnection.setConnectTimeout`` alone did: a receiver that accepts
    and never answers holds the sender forever.
    """
    seconds = config.timeout_msec / 1000.0
    return (seconds, None) if profile.timeout_scope == "connect" else (seconds, seconds)
