"""One delivery run: the config's sender fed one event at a time, then drained into a report.

``send`` and ``simulate`` both use :func:`open_delivery`. The two delivery
modes share the :class:`Delivery` interface, so a caller never asks which
sender it has: ``submit`` each event, then ``finish`` once for the
:class:`DeliveryReport` (counters, lines for people, exit status).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..aurora.profiles import Profile
from ..errors import FieldError
from .aurora_delivery import AuroraSender
from .config import WebhookConfig
from .outgoing import OutgoingEvent
from .payloads import header
from .sender import ReliableSender, SubmitQueueFullError
from .spool import Spool, SpoolError

Progress = Callable[[int], None]
"""Called while waiting with the number of events finished so far."""

POLL_SECONDS = 0.05


@dataclass
class DeliveryReport:
    """How a run ended: ``counters`` (the sender's, plus the run's own), what to tell people, the status."""

    counters: dict[str, int]
    notes: list[str] = field(default_factory=list)  # for stdout: what happened to the events
    problems: list[str] = field(default_factory=list)  # for stderr: what went wrong
    failed: bool = False  # an event was given up, left undelivered, refused, or got no 200
    interrupted: bool = False

    def exit_status(self) -> int:
        return 130 if self.interrupted else 1 if self.failed else 0


class Delivery(Protocol):
    content_type: str | None
    encoding: str | None  # None: bodies as the release made them

    def submit(self, event: OutgoingEvent) -> bool:
        """Hand ``event`` over; False if it was not taken (counted in the report, not sent)."""

    def submitted(self) -> int:
        """Events handed over and still to be finished or finished already (a progress total)."""

    def finish(self, wait: float | None, progress: Progress | None = None) -> DeliveryReport:
        """Wait up to ``wait`` seconds (None: until done) for the deliveries, close, report."""


def open_delivery(config: WebhookConfig, profile: Profile, *, resume: bool = False,
                  disabled_quirks: Sequence[str] = ()) -> Delivery:
    """The delivery the config's ``delivery`` key asks for.

    ``resume``: the config's spool file must exist already (it holds what a
    crashed or stopped run left). ``disabled_quirks`` go with delivery
    ``aurora`` only (a FieldError, a ValueError, otherwise).
    """
    if config.delivery == "aurora":
        return AuroraDelivery(AuroraSender(config, profile=profile, disabled_quirks=disabled_quirks))
    if disabled_quirks:
        raise FieldError("disabled_quirks", f"quirks can be switched off only with delivery 'aurora', not {config.delivery!r}")
    return ReliableDelivery(config, profile, resume=resume)


class AuroraDelivery:
    """Aurora's own delivery: every event sent once; events without a 200 are counted and dropped."""

    def __init__(self, sender: AuroraSender) -> None:
        self.sender = sender
        self.content_type = header(sender.config.headers, "Content-Type")
        self.encoding = sender.body_encoding(self.content_type)

    def submit(self, event: OutgoingEvent) -> bool:
        self.sender.submit(event)
        return True

    def submitted(self) -> int:
        return self.sender.stats()["posted"]

    def finish(self, wait: float | None, progress: Progress | None = None) -> DeliveryReport:
        interrupted = False
        try:
            self.sender.close(timeout=wait)  # D/E: requests still in flight
        except KeyboardInterrupt:
            interrupted = True
            self.sender.close(timeout=0.0)
        stats = self.sender.stats()
        if progress is not None:
            progress(stats["answered_200"] + stats["answered_other"] + stats["no_answer"])
        return DeliveryReport(stats, failed=bool(stats["no_answer"] + stats["answered_other"]),
                              interrupted=interrupted)


class ReliableDelivery:
    """Spooled, retried delivery; a full spool is backpressure, a spool that cannot write stops taking events."""

    def __init__(self, config: WebhookConfig, profile: Profile, *, resume: bool = False) -> None:
        self.config = config
        self.content_type = header(config.headers, "Content-Type")
        self.encoding: str | None = None
        self.spool = Spool(config.spool, create=not resume) if config.spool is not None else None
        try:
            self.sender = ReliableSender(config, spool=self.spool, profile=profile)
        except BaseException:
            if self.spool is not None:
                self.spool.close()
            raise
        self.refusal: str | None = None  # why the spool stopped taking events
        self.refused_after = 0  # events not offered once it had refused one (order per task is kept)

    def submit(self, event: OutgoingEvent) -> bool:
        if self.refusal is not None:
            self.refused_after += 1
            return False
        while True:  # a full spool: wait for the workers (Ctrl-C gives up)
            try:
                self.sender.submit(event, timeout=1.0)
                return True
            except SubmitQueueFullError:
                continue
            except SpoolError as err:
                self.refusal = str(err)
                return False

    def submitted(self) -> int:
        stats = self.sender.stats()
        return stats["pending"] + stats["delivered"] + stats["given_up"]

    def finish(self, wait: float | None, progress: Progress | None = None) -> DeliveryReport:
        sender = self.sender
        interrupted = not self._wait(wait, progress)
        try:
            sender.close(timeout=0.5 if interrupted else 2.0)
        finally:
            if self.spool is not None:
                self.spool.close()
        stats = sender.stats()  # final: taken after close, so exact
        stats["not_accepted"] += self.refused_after
        left = stats["pending"]
        report = DeliveryReport(dict(stats, not_delivered=left, interrupted=interrupted), interrupted=interrupted,
                                failed=bool(stats["given_up"] or left or stats["not_accepted"] or sender.failure))
        if stats["duplicates"]:
            report.notes.append(f"{stats['duplicates']} event(s) were already in the spool (sent or given up "
                                f"before, same event id): not sent again")
        if left:
            where = (f"they stay in the spool {self.config.spool}; 'aurorakit send --config ... --resume' "
                     f"sends them" if self.config.spool
                     else "no spool file is configured, so they are dropped")
            report.notes.append(f"{left} event(s) not delivered yet; {where}")
        if self.refusal is not None and self.refusal != sender.failure:  # a failure was logged when it came
            report.problems.append(self.refusal)
        if stats["not_accepted"]:
            report.problems.append(f"{stats['not_accepted']} event(s) not accepted by the spool: not sent, "
                                   f"send them again once it can be written")
        return report

    def _wait(self, wait: float | None, progress: Progress | None) -> bool:
        """Wait until nothing is pending (or ``wait`` seconds, or the sender failed); False if interrupted."""
        deadline = None if wait is None else time.monotonic() + wait
        try:
            while True:
                stats = self.sender.stats()
                if progress is not None:
                    progress(stats["delivered"] + stats["given_up"])
                if (not stats["pending"] or self.sender.failure is not None
                        or (deadline is not None and time.monotonic() >= deadline)):
                    return True
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            return False
