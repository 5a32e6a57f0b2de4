"""One-shot commands find the installation they work on, and never create one by accident."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tidings.cli import main
from tidings.installations import NoInstallation, RunningServer, ServerRegistry, locate
from tidings.settings import Settings


def _server(pid: int, data_dir: Path) -> RunningServer:
    return RunningServer(
        pid=pid,
        data_dir=str(data_dir),
        database_url=None,
        http_endpoint="http://127.0.0.1:8080/",
        https_endpoint="https://127.0.0.1:8443/",
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _started(*extra: str) -> subprocess.Popen[str]:
    """A child Python that waits on its stdin, once it runs (its /proc cmdline is set)."""
    code = "import sys; print('up', flush=True); sys.stdin.read()"
    child = subprocess.Popen(
        [sys.executable, "-c", code, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "up\n"
    return child


@pytest.fixture
def server_pid() -> Iterator[int]:
    """A live process whose command line names tidings, as a server's does."""
    child = _started("tidings")
    yield child.pid
    child.kill()
    child.wait()


@pytest.fixture
def other_pid() -> Iterator[int]:
    """A live process that is not Tidings (a reused pid)."""
    child = _started()
    yield child.pid
    child.kill()
    child.wait()


def test_the_registry_lists_running_servers_and_drops_stale_records(
    tmp_path: Path, server_pid: int, other_pid: int
) -> None:
    registry = ServerRegistry(tmp_path / "state")
    assert registry.running() == []
    registry.record(_server(server_pid, tmp_path / "a"))
    dead = _dead_pid()
    registry.record(_server(dead, tmp_path / "b"))
    registry.record(_server(other_pid, tmp_path / "c"))  # the pid now runs something else
    assert [s.data_dir for s in registry.running()] == [str(tmp_path / "a")]
    assert not (registry.directory / f"{dead}.json").exists()
    assert not (registry.directory / f"{other_pid}.json").exists()
    assert (registry.directory / f"{server_pid}.json").stat().st_mode & 0o077 == 0
    registry.forget(server_pid)
    assert registry.running() == []


def test_a_named_data_directory_or_database_is_used_as_given(tmp_path: Path) -> None:
    named = Settings(data_dir=tmp_path / "mine", state_dir=tmp_path / "state")
    assert locate(named, tmp_path) == (named, None)
    url = Settings(database_url="postgresql+psycopg://db/x", state_dir=tmp_path / "state")
    assert locate(url, tmp_path) == (url, None)


def test_the_data_directory_is_found_here_or_in_a_parent(tmp_path: Path) -> None:
    (tmp_path / ".tidings").mkdir()
    (tmp_path / ".tidings" / "tidings.db").touch()
    deeper = tmp_path / "src" / "app"
    deeper.mkdir(parents=True)
    settings = Settings(state_dir=tmp_path / "state")
    assert locate(settings, tmp_path) == (settings, None)
    found, note = locate(settings, deeper)
    assert found.data_dir == tmp_path / ".tidings"
    assert note is not None and str(tmp_path / ".tidings") in note


def test_otherwise_the_running_server_is_used(tmp_path: Path, server_pid: int) -> None:
    state = tmp_path / "state"
    ServerRegistry(state).record(_server(server_pid, tmp_path / "clone" / ".tidings"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found, note = locate(Settings(state_dir=state), elsewhere)
    assert found.data_dir == tmp_path / "clone" / ".tidings"
    assert note is not None and "http://127.0.0.1:8080/" in note


def test_with_nothing_found_the_command_says_where_it_looked_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NoInstallation) as raised:
        locate(Settings(state_dir=tmp_path / "state"), tmp_path)
    assert str(tmp_path) in raised.value.message and "--data-dir" in raised.value.message
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIDINGS_DATA_DIR", raising=False)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIDINGS_STATE_DIR", str(tmp_path / "state"))
    for command in (["keys", "show"], ["subscriptions", "deliveries", "inbound"], ["numbers"]):
        assert main(command) == 2
        assert "no Tidings installation found" in capsys.readouterr().err
    assert not (tmp_path / ".tidings").exists()
