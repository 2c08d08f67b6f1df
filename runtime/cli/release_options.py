"""``--aurora RELEASE`` (and ``--models``/``--idl``) for every command, read in one way.

Both command modules (``aurorakit.runtime.cli.main`` and the webhook commands)
add these options with :func:`add_release_options` and turn them into a
profile and models with :func:`resolve_release`. Which release a command
works as, first match wins:

1. ``--aurora RELEASE`` on the command line;
2. the release the input records (a vector file's ``"aurora"`` key, the
   ``{"aurora": ..}`` first line of JSON lines aurorakit wrote);
3. what the command was otherwise configured with (``send``'s config);
4. the models given with ``--models``/``--idl``, when they are a shipped
   release's;
5. :data:`~aurorakit.runtime.aurora.releases.DEFAULT_RELEASE`.

``--models``/``--idl`` replace the release's own models (models generated
from a user's copy of that release's api.thrift); the release still decides
the behaviour.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from types import ModuleType

from ..errors import AurorakitError, UsageError
from ..aurora.profiles import Profile, profile_for
from ..aurora.releases import DEFAULT_RELEASE, ReleaseError, parse_release, release_of_models

RELEASE_HELP = (f"the Aurora release to work as: 0.14 to 0.22, or 0.23 to 0.27 of the aurora-scheduler fork "
                f"(a patch release such as 0.19.1 is its line's); default: the release the input records, "
                f"else {DEFAULT_RELEASE}")


class ReleaseOptionError(UsageError):
    """``--aurora``, ``--models`` or ``--idl`` names something aurorakit cannot use, or files disagree."""


def add_release_options(sub: argparse.ArgumentParser, *, user_models: bool = True,
                        release_help: str = RELEASE_HELP) -> None:
    """Add ``--aurora`` and, with ``user_models``, ``--models``/``--idl`` (one of the two) to ``sub``."""
    sub.add_argument("--aurora", metavar="RELEASE", help=release_help)
    if user_models:
        group = sub.add_mutually_exclusive_group()
        group.add_argument("--models", metavar="MODULE",
                           help="generated models to use instead of the release's own (an importable package)")
        group.add_argument("--idl", metavar="API.thrift", help="generate the models to use from this IDL on the fly")


def resolve_release(args: argparse.Namespace, recorded: str | None = None,
                    configured: str | None = None) -> tuple[Profile, ModuleType]:
    """The profile and models a command works with (see the module's docstring for the order)."""
    models = _user_models(args)
    own = release_of_models(models) if models is not None else None
    named = getattr(args, "aurora", None)
    if named:
        try:
            parse_release(named)
        except ReleaseError as err:
            raise ReleaseOptionError(f"--aurora {named}: {err}") from None
    version = named or recorded or configured or (own.version if own is not None else None) or DEFAULT_RELEASE
    profile = profile_for(version, models)
    return profile, models if models is not None else profile.models()


def recorded_in(sources: Iterable[tuple[str, str | None]]) -> str | None:
    """The one release that input files record (``(path, release or None)`` each); error if they differ."""
    found: dict[str, str] = {}
    for path, recorded in sources:
        if recorded is not None:
            found.setdefault(parse_release(recorded), path)
    if len(found) > 1:
        listed = ", ".join(f"{path}: {version}" for version, path in found.items())
        raise ReleaseOptionError(f"the files record different Aurora releases ({listed}); "
                                 f"name the one to work as with --aurora")
    return next(iter(found), None)


def _user_models(args: argparse.Namespace) -> ModuleType | None:
    name = getattr(args, "models", None)
    if name:
        from .payload_commands import import_models_package
        return import_models_package(name)
    idl = getattr(args, "idl", None)
    if idl:
        from aurorakit.codegen.generate import import_models
        return import_models(idl)
    return None
