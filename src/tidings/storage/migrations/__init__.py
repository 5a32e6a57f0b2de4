"""Alembic migrations for both dialects: ``upgrade`` is what ``tidings migrate`` runs,
``pending_revisions`` what ``tidings migrate --check`` reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError

from tidings.errors import TidingsError

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: sa.Engine, progress: Callable[[int], object] | None = None) -> None:
    """Bring the schema to the newest revision (idempotent); ``progress(1)`` after each."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if progress is not None:
            config.attributes["on_version_apply"] = lambda **_kw: progress(1)
        command.upgrade(config, "head")


def pending(engine: sa.Engine) -> bool:
    """True if the database is behind the newest revision."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_current_head()
    return _current(engine) != head


def pending_revisions(engine: sa.Engine) -> list[str]:
    """The revisions ``upgrade`` would apply, in the order it would apply them.

    Raises ``UnknownRevision`` when the database is at a revision these migrations do not
    know (a newer Tidings migrated it).
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(config)
    current = _current(engine)
    try:
        behind = list(script.iterate_revisions("head", current or "base"))
    except ResolutionError as exc:
        raise UnknownRevision(
            f"The database is at schema revision {current}, which this version of Tidings "
            "does not know (a newer version migrated it).",
            code="SchemaUnknown",
        ) from exc
    return [revision.revision for revision in reversed(behind)]


class UnknownRevision(TidingsError):
    """The database's schema revision is not one of these migrations."""


def _current(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
