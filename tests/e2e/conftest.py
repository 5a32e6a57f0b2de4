from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import postgres_schema
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server") / "data").start()
    yield process
    process.stop()
    assert "Traceback" not in process.log(), process.log()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "data")
    yield process
    process.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TIDINGS_TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("TIDINGS_TEST_DATABASE_URL is not set; scripts/test provides it")
        pytest.skip("no PostgreSQL (set TIDINGS_TEST_DATABASE_URL)")
    yield from postgres_schema(base)
