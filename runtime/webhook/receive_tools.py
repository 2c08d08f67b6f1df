"""What ``aurorakit receive`` needs besides the server: the secret's source, export, the rejected list."""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TextIO

from ..aurora.profiles import Profile
from ..aurora.releases import header_line
from ..errors import AurorakitError, PayloadError
from .payloads import body_text, compact, header
from .receiver_store import RejectedRequest, StoredDelivery

SECRET_ENV = "AURORAKIT_WEBHOOK_SECRET"
SECRET_SOURCES_HELP = (
    "The signing secret comes from --secret-file FILE (safest: a file only you can\n"
    f"read), else from the environment variable {SECRET_ENV} (kept out of\n"
    "shell history and the process list, but inherited by child processes), else\n"
    "from --secret S (visible to every local user in the process list and kept in\n"
    "shell history: for trying things out only).")


class ReceiveSetupError(AurorakitError):
    """``aurorakit receive`` cannot be set up as asked."""


class SecretSourceError(ReceiveSetupError):
    """A signing secret that cannot be read from where it was said to be."""


def raise_open_file_limit(max_connections: int, spare: int = 64) -> None:
    """Let this process open ``max_connections`` sockets plus ``spare`` other files.

    Past the limit, accepting fails (EMFILE) and the loop stops accepting for a
    while, which would shut out every client, not only the slow ones.
    """
    needed = max_connections + spare
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        raise ReceiveSetupError(
            f"--max-connections {max_connections}: this process may open only {target} files "
            f"(ulimit -n); give at most {target - spare}")


def read_secret(secret: str | None, secret_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The secret from ``--secret-file``, ``--secret`` or :data:`SECRET_ENV` (first given wins, in that order)."""
    if secret_file is not None:
        try:
            with open(secret_file, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise SecretSourceError(f"--secret-file {secret_file}: cannot read: {reason}") from None
        value = text.strip()
        if not value:
            raise SecretSourceError(f"--secret-file {secret_file}: the file is empty")
        if "\n" in value:
            raise SecretSourceError(f"--secret-file {secret_file}: expected one line, the secret")
        return value
    if secret is not None:
        return secret
    from_env = (os.environ if environ is None else environ).get(SECRET_ENV)
    if from_env is not None and not from_env.strip():
        raise SecretSourceError(f"{SECRET_ENV} is set but empty")
    return None if from_env is None else from_env.strip()


def export_lines(deliveries: Iterable[StoredDelivery], profile: Profile, out: TextIO) -> tuple[int, list[str]]:
    """Write each stored body as one JSON line ``aurorakit send`` reads; (written, reasons for skipped ones).

    A body is read back as ``profile``'s release wrote it (its Content-Type's
    charset from 0.19 on) and written compact, as Gson wrote it, after a
    first line recording the release (``{"aurora": "0.22.0"}``).
    """
    out.write(header_line(profile.version) + "\n")
    written = 0
    skipped: list[str] = []
    for delivery in deliveries:
        try:
            text = body_text(delivery.body, profile, header(delivery.headers, "Content-Type"))
            json.loads(text)
        except (PayloadError, ValueError) as err:
            skipped.append(f"delivery {delivery.seq}: not a JSON event ({err})")
            continue
        out.write(compact(text) + "\n")  # Gson writes no raw newline; U+2028 and friends stay as they are
        written += 1
    return written, skipped


def rejected_text(rejected: RejectedRequest, as_json: bool) -> str:
    if as_json:
        return json.dumps({"seq": rejected.seq, "receivedAt": rejected.received_at, "status": rejected.status,
                           "reason": rejected.reason, "method": rejected.method, "path": rejected.path,
                           "remote": rejected.remote, "webhookId": rejected.webhook_id, "bytes": rejected.size},
                          ensure_ascii=False)
    when = datetime.fromtimestamp(rejected.received_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    size = "-" if rejected.size is None else f"{rejected.size}B"
    return (f"{rejected.seq:>6}  {when}  {rejected.status}  {rejected.method} {rejected.path}  from {rejected.remote}"
            f"  {size}  id={rejected.webhook_id or '-'}  {rejected.reason}")
