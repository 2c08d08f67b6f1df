"""Opening a spool file safely: one sender at a time, nothing but a spool accepted, made atomically.

The errors every spool operation raises live here too; :mod:`.spool`
re-exports them.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile

from ..errors import AurorakitError
from . import owner_lock


class SpoolError(AurorakitError):
    """A spool that cannot be opened, read or written; the message names the file."""


class SpoolBusyError(SpoolError):
    """Another sender holds the spool's lock."""


class SpoolWriteError(SpoolError):
    """A write to the spool failed (full disk, I/O error): nothing of it was kept."""


SALVAGE_HINT = ("to salvage what is readable, move it aside (mv {path} {path}.damaged) and run "
                "'aurorakit send --config webhook.json --salvage {path}.damaged'")


def take_lock(path: str) -> int:
    """Lock ``path``'s spool for this process (``PATH.lock`` holds the owner's pid)."""
    lock_path = path + ".lock"
    try:
        return owner_lock.take_lock(lock_path)
    except owner_lock.LockHeld as held:
        raise SpoolBusyError(f"spool {path} is in use by another sender (process {held.owner}); "
                             f"wait for it to end, or give each sender its own spool") from None
    except OSError as err:
        raise SpoolError(f"spool {path}: cannot open it: {err.strerror or err} "
                         f"(making its lock file {lock_path})") from None


def check_or_create(path: str, create: bool, schema: str) -> None:
    """Refuse what is not a spool; make a missing one (atomically) if ``create``."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        if not create:
            raise SpoolError(f"spool {path}: no such file (nothing to resume; "
                             f"a send without --resume starts a new spool)") from None
        _create(path, schema)
        return
    except OSError as err:
        raise SpoolError(f"spool {path}: {err.strerror or err}") from None
    if not stat.S_ISREG(found.st_mode):
        raise SpoolError(f"spool {path}: not a regular file")
    if found.st_size == 0:
        raise SpoolError(f"spool {path}: empty file (0 bytes), not a spool: it was truncated or made by "
                         f"something else; nothing in it can be resumed. Remove it to start a new spool")


def _create(path: str, schema: str) -> None:
    # Made under another name and linked into place, so a crash part-way never
    # leaves a 0-byte or half-made file under the spool's name.
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".spool-", suffix=".new", dir=folder)
    except OSError as err:
        raise SpoolError(f"spool {path}: cannot create: {err.strerror or err}") from None
    os.close(fd)
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.executescript(schema)
        finally:
            db.close()
        os.link(temporary, path)
    except FileExistsError:
        pass  # made meanwhile by someone else; it is checked like any existing file
    except (OSError, sqlite3.Error) as err:
        raise SpoolWriteError(f"spool {path}: cannot create: {err}") from None
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
