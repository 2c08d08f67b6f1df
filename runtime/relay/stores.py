"""Which receiver store a ``--store`` value names: a ``postgresql://`` URL or an SQLite file.

psycopg is an optional dependency (``pip install 'aurorakit[relay]'``): it is
imported only when a PostgreSQL URL is given.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import AurorakitError
from ..webhook.receiver_store import ReceiverStore


class MissingDependencyError(AurorakitError):
    """An optional dependency the asked-for feature needs is not installed."""


def is_postgres_url(spec: str | Path) -> bool:
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


def open_store(spec: str | Path) -> ReceiverStore:
    """A PostgreSQL store for a ``postgresql://`` URL, else the SQLite file at ``spec``."""
    if not is_postgres_url(spec):
        return ReceiverStore(spec)
    try:
        from .pg_store import PostgresReceiverStore
    except ImportError as err:
        raise MissingDependencyError(f"--store {spec.split('@')[-1] if isinstance(spec, str) else spec}: a PostgreSQL "
                                     f"store needs psycopg 3 (pip install 'aurorakit[relay]'): {err}") from None
    return PostgresReceiverStore(str(spec))
