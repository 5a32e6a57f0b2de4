"""A commit in one process wakes a ``tidings worker`` in another at once: PostgreSQL
``NOTIFY`` and the SQLite datagram. The worker's fallback poll is a minute, so a message
sent within seconds was signalled."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import make_settings
from tests.server import ACCESS_KEY
from tidings.container import Application, build
from tidings.domain.messages import MessageStatus
from tidings.services.sms import Recipient, SendRequest
from tidings.storage.broadcast_sqlite import wake_directory


@contextmanager
def _worker(tmp_path: Path, url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TIDINGS_DATABASE_URL": url,
        "TIDINGS_ACCESS_KEY": ACCESS_KEY,
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_LOG_LEVEL": "warning",
        "TIDINGS_WORKER_POLL_INTERVAL": "60",
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tidings", "worker"], env=env, stdout=log, stderr=log
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(15)
        log.close()


def _until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout} s: {what}")
        time.sleep(0.02)


def _app(tmp_path: Path, url: str) -> Application:
    app = build(make_settings(tmp_path / "sender", url))
    app.migrate()
    app.bootstrap()
    return app


def _send_and_wait(app: Application) -> None:
    request = SendRequest(
        sender="+18005550100", recipients=[Recipient("+15555550111")], message="wake up"
    )
    message_id = app.services.sms.send(request)[0].message_id
    assert message_id is not None
    started = time.monotonic()
    _until(
        lambda: app.services.queries.message(message_id).status is not MessageStatus.QUEUED,
        "the other process's worker sent the message",
    )
    assert time.monotonic() - started < 20  # far inside the worker's 60 s fallback


def test_postgres_notify_wakes_a_worker_in_another_process(
    tmp_path: Path, postgres_url: str
) -> None:
    app = _app(tmp_path, postgres_url)
    try:
        schema = app.database.read(
            lambda tx: tx.connection.execute(sa.text("select current_schema()")).scalar_one()
        )
        channel = "tidings_wake_" + hashlib.sha256(schema.encode()).hexdigest()[:16]

        def listening() -> bool:
            query = sa.text("select count(*) from pg_stat_activity where query like :q")
            return bool(
                app.database.read(
                    lambda tx: tx.connection.execute(query, {"q": f'LISTEN "{channel}"'})
                ).scalar_one()
            )

        with _worker(tmp_path, postgres_url) as process:
            _until(listening, "the worker listens")
            assert process.poll() is None
            _send_and_wait(app)
    finally:
        app.close()


def test_a_datagram_wakes_a_worker_on_the_same_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'tidings.db'}"
    (tmp_path / "data").mkdir()
    app = _app(tmp_path, url)
    try:
        directory = wake_directory(str(tmp_path / "data" / "tidings.db"))
        with _worker(tmp_path, url) as process:
            _until(lambda: directory.exists() and bool(os.listdir(directory)), "it listens")
            assert process.poll() is None
            _send_and_wait(app)
    finally:
        app.close()
