"""Which production tasks wait for room, and which running tasks they may preempt."""

from __future__ import annotations

import random

from .rules import PREEMPT_CHANCE
from .state import LiveTask


class Preemption:
    """The simulated scheduler's preemption bookkeeping, kept current as tasks move.

    ``waiting``: PENDING production tasks by taskId; ``preemptible``: RUNNING
    non-production ones, longest running first, that no preemption has chosen yet.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.waiting: dict[str, LiveTask] = {}
        self.preemptible: dict[str, LiveTask] = {}

    def note(self, live: LiveTask) -> LiveTask | None:
        """Take ``live``'s new status into account; the task it preempts, when it starts waiting and one is chosen.

        The task returned has its PREEMPTING planned (``planned``, ``preemptor``); the caller queues it.
        """
        key = live.task.assignedTask.taskId
        production, status = live.job.spec.production, live.status
        victim = None
        if production and status == "PENDING" and not live.removed:
            if key not in self.waiting and self.preemptible and self._rng.random() < PREEMPT_CHANCE:
                victim = next(iter(self.preemptible.values()))
                victim.planned, victim.preemptor = ("PREEMPTING", False), key
                del self.preemptible[victim.task.assignedTask.taskId]
            self.waiting[key] = live
        else:
            self.waiting.pop(key, None)
        if not production and status == "RUNNING" and not live.removed and live.planned[0] != "PREEMPTING":
            self.preemptible[key] = live
        else:
            self.preemptible.pop(key, None)
        return victim
