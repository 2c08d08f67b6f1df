"""The few per-release facts the delivery engine needs, and what it does with them.

The senders take a ``aurorakit.runtime.aurora.profiles.Profile`` (``profile_for``);
anything with these attributes plugs in (:class:`DeliveryProfile`).
"""

from __future__ import annotations

from typing import Protocol

from ..aurora.profiles import PostingRules, release_posts
from .config import WebhookConfig
from .outgoing import OutgoingEvent


class DeliveryProfile(PostingRules, Protocol):
    @property
    def version(self) -> str: ...
    @property
    def timestamp_header(self) -> str: ...


def should_post(event: OutgoingEvent, config: WebhookConfig, profile: DeliveryProfile) -> bool:
    """Whether the Aurora version in ``profile`` would have posted ``event``."""
    return release_posts(profile, event.new_status, event.old_status, config.statuses)
