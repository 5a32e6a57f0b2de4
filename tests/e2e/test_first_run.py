"""The newcomer's first minutes with a real ``tidings serve``: the banner means ready, and
``tidings keys show`` run anywhere prints the keys of the server that is running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.server import ACCESS_KEY, free_port

pytestmark = pytest.mark.e2e


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.update({"TIDINGS_STATE_DIR": str(state), "TIDINGS_LOG_LEVEL": "warning", **extra})
    return env


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_ready_means_listening_and_commands_elsewhere_find_the_server(tmp_path: Path) -> None:
    clone, elsewhere, state = tmp_path / "clone", tmp_path / "elsewhere", tmp_path / "state"
    (clone / "docs").mkdir(parents=True)
    elsewhere.mkdir()
    https, http = free_port(), free_port()
    env = _env(
        state,
        TIDINGS_ACCESS_KEY=ACCESS_KEY,
        TIDINGS_HTTPS_PORT=str(https),
        TIDINGS_HTTP_PORT=str(http),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "tidings", "serve"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "is ready" in line:
                break
        # The moment the banner is out, both listeners accept.
        assert _accepts(http) and _accepts(https), "".join(lines)

        def keys(cwd: Path) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "tidings", "keys", "show"],
                cwd=cwd,
                env=_env(state),
                capture_output=True,
                text=True,
                timeout=60,
            )

        here = keys(clone / "docs")  # a subdirectory of the clone: found as git finds .git
        assert f"primary: {ACCESS_KEY}" in here.stdout, here.stderr
        away = keys(elsewhere)  # anywhere else: the running server's data
        assert f"primary: {ACCESS_KEY}" in away.stdout, away.stderr
        assert f"http://127.0.0.1:{http}/" in away.stderr
        assert not (elsewhere / ".tidings").exists()
    finally:
        server.terminate()
        server.wait(20)
    gone = subprocess.run(
        [sys.executable, "-m", "tidings", "keys", "show"],
        cwd=elsewhere,
        env=_env(state),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gone.returncode == 2 and "no Tidings installation found" in gone.stderr
    assert not (elsewhere / ".tidings").exists()
