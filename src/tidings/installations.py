"""Which installation a one-shot command (``tidings keys``, ``numbers``, ...) works on.

``tidings serve`` creates its data directory (``.tidings`` in the current directory by
default) on first start. A later ``tidings keys show`` run from another directory must not
create a second, empty installation there and print keys that open nothing: with no data
directory or database named, a command looks for ``.tidings/tidings.db`` in the current
directory and its parents (as git looks for ``.git``), then for a ``tidings serve`` that is
running now (each records where its data is in the state directory,
``~/.local/state/tidings/servers/<pid>.json``), and otherwise stops and says where it looked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from tidings.errors import TidingsError
from tidings.settings import DEFAULT_DATA_DIR, Settings

DATABASE_FILE = "tidings.db"


@dataclass(frozen=True)
class RunningServer:
    """What a running ``tidings serve`` (or ``api``) records about itself."""

    pid: int
    data_dir: str
    database_url: str | None
    http_endpoint: str
    https_endpoint: str | None


class NoInstallation(TidingsError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="NoInstallation")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is still a Tidings process (a killed server's pid may be reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes()
        return not args or b"tidings" in args  # empty: the process is still starting
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc (not Linux): trust the pid
    except OSError:
        return True


class ServerRegistry:
    """One JSON file per running server under ``<state_dir>/servers``."""

    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / "servers"

    def record(self, server: RunningServer) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{server.pid}.json"
        temporary = path.with_suffix(".tmp")
        # The file may name a database URL with a password: readable by its owner only.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(dataclasses.asdict(server), out)
        temporary.replace(path)
        return path

    def forget(self, pid: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / f"{pid}.json").unlink()

    def running(self) -> list[RunningServer]:
        """The servers running now, most recently started first; stale records are removed."""
        found: list[tuple[float, RunningServer]] = []
        for path in self.directory.glob("*.json") if self.directory.is_dir() else []:
            try:
                server = RunningServer(**json.loads(path.read_text()))
                started = path.stat().st_mtime
            except (OSError, ValueError, TypeError):
                continue
            if not _alive(server.pid):
                self.forget(server.pid)
                continue
            found.append((started, server))
        return [server for _, server in sorted(found, key=lambda f: -f[0])]


def locate(settings: Settings, cwd: Path) -> tuple[Settings, str | None]:
    """The settings a one-shot command runs with, and a note saying where its data was found
    when that is not the current directory.

    A data directory or database URL that was named (flag or environment) is used as given.

    Raises:
        NoInstallation: nothing was named and no installation was found.
    """
    if settings.database_url is not None or settings.data_dir != DEFAULT_DATA_DIR:
        return settings, None
    for directory in (cwd, *cwd.parents):
        candidate = directory / DEFAULT_DATA_DIR
        if (candidate / DATABASE_FILE).is_file():
            if directory == cwd:
                return settings, None
            note = f"using the data directory {candidate}"
            return dataclasses.replace(settings, data_dir=candidate), note
    registry = ServerRegistry(settings.state_dir) if settings.state_dir else None
    servers = registry.running() if registry else []
    if servers:
        server = servers[0]
        note = f"using the data of the server running at {server.http_endpoint} (pid {server.pid})"
        found = dataclasses.replace(
            settings, data_dir=Path(server.data_dir), database_url=server.database_url
        )
        return found, note
    where = registry.directory if registry else "(no state directory)"
    raise NoInstallation(
        f"no Tidings installation found: no {DEFAULT_DATA_DIR}/{DATABASE_FILE} in {cwd} or "
        f"its parents, and no running `tidings serve` recorded in {where}. Run this command "
        "where you run `tidings serve`, start the server, or name the data with --data-dir "
        "(TIDINGS_DATA_DIR) or --database-url (TIDINGS_DATABASE_URL). Nothing was created."
    )
