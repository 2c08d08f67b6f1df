"""A simulated Aurora scheduler's task state changes: ``simulator`` (``Simulator``), with
``lifecycle`` (Aurora's lifecycle rules as facts), ``rules`` (the simulator's choices),
``jobs``, ``state``, ``task_records`` (the ScheduledTask saved at each move) and ``preemption``; ``pacing`` feeds the posted events at a rate until a limit, ``dry_run``
writes them to a file instead."""
