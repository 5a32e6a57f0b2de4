"""Alembic migrations for both dialects: ``upgrade`` is what ``tidings migrate`` runs,
``pending_revisions`` what ``tidings migrate --check`` reports.

Every start of ``tidings serve`` upgrades the schema, which is nearly always at the newest
revision already. Importing Alembic (and Mako) costs about a fifth of a start, so a database
whose ``alembic_version`` is the head named by the revision files is left alone without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tidings.errors import TidingsError

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent
_REVISION = re.compile(r"^revision\s*(?::[^=]+)?=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(?:[\"']([^\"']+)[\"']|None)", re.M)


def file_head() -> str | None:
    """The newest revision, read from the revision files (None unless exactly one head)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (HERE / "versions").glob("*.py"):
        text = path.read_text("utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is None or down is None:
            return None  # a file this reader does not understand: ask Alembic
        revisions.add(revision.group(1))
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _current(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def at_head(engine: sa.Engine) -> bool:
    """Whether the schema is at the newest revision, known without importing Alembic."""
    head = file_head()
    return head is not None and _current(engine) == head


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: sa.Engine, progress: Callable[[int], object] | None = None) -> None:
    """Bring the schema to the newest revision (idempotent); ``progress(1)`` after each."""
    if at_head(engine):
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if progress is not None:
            config.attributes["on_version_apply"] = lambda **_kw: progress(1)
        command.upgrade(config, "head")


def pending(engine: sa.Engine) -> bool:
    """True if the database is behind the newest revision."""
    if at_head(engine):
        return False
    from alembic.script import ScriptDirectory

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_current_head()
    return _current(engine) != head


def pending_revisions(engine: sa.Engine) -> list[str]:
    """The revisions ``upgrade`` would apply, in the order it would apply them.

    Raises ``UnknownRevision`` when the database is at a revision these migrations do not
    know (a newer Tidings migrated it).
    """
    from alembic.script import ScriptDirectory
    from alembic.script.revision import ResolutionError

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
