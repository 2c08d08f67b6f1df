"""One process at a time on a file: an exclusive lock on ``PATH.lock``, which holds the owner's pid.

The lock is freed when the process ends, however it ends (it is an ``flock``);
the pid in the file is only a hint for the message naming who holds it.
"""

from __future__ import annotations

import fcntl
import os

__all__ = ["LockHeld", "take_lock"]


class LockHeld(Exception):
    """Another process holds the lock; ``owner`` is the pid it wrote, or "unknown"."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


def take_lock(lock_path: str) -> int:
    """Lock ``lock_path`` for this process; the open descriptor (closing it frees the lock).

    OSError if the file cannot be opened or made, :class:`LockHeld` if another process holds it.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise LockHeld(owner) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:
        pass  # the pid is only a hint; the flock is what counts
    return fd
