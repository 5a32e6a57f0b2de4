"""The storage adapter on each database (``database_url``: SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tidings.storage import migrations
from tidings.storage.database import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    migrations.upgrade(database.engine)
    yield database
    database.close()
