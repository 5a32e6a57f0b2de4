"""Alembic migrations for both dialects; ``run_migrations`` is what ``tidings migrate`` calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current != head
