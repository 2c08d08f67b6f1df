"""A simulated Aurora scheduler's task state changes: ``simulator`` (``Simulator``), with
``lifecycle`` (Aurora's lifecycle rules as facts), ``rules`` (the simulator's choices),
``jobs`` and ``state``."""
