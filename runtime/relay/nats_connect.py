"""One way to connect to NATS for the relay and its consumers: reconnecting forever once connected,
errors logged as one line each (nats-py's default prints a traceback per failed attempt)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..errors import AurorakitError

log = logging.getLogger("aurorakit.relay")


class NatsUnreachable(AurorakitError):
    """The first connection to the NATS server did not succeed in time."""


async def connect(url: str, *, give_up_after: float | None) -> Any:
    """A client connected to ``url``; with ``give_up_after``, NatsUnreachable if the first connection
    takes longer (None: keep trying, as the relay does while its record holds the events)."""
    import nats
    last: list[str] = []
    connected = False

    async def error(err: Exception) -> None:
        text = f"{type(err).__name__}: {err}"
        # Once per kind of failure, not once per attempt; a first connection that gives up says why itself.
        if (connected or give_up_after is None) and (not last or last[0] != text):
            log.warning("NATS %s: %s", url, text)
        last[:] = [text]

    connecting = nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=2,
                              allow_reconnect=True, error_cb=error)
    try:
        client = await (connecting if give_up_after is None else asyncio.wait_for(connecting, give_up_after))
    except asyncio.TimeoutError:
        reason = f": {last[0]}" if last else ""
        raise NatsUnreachable(f"--nats {url}: cannot connect within {give_up_after:g} s{reason}") from None
    connected = True
    last.clear()
    return client
