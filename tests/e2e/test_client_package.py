"""The client an application installs: ``pip install ./clients/python`` brings httpx and
nothing of the server, and the README's handset example runs in that environment as written."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.server import ServerProcess

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the client package installed."""
    where = tmp_path_factory.mktemp("client-env")
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(ROOT / "clients" / "python")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return python


def _readme_block(containing: str) -> str:
    blocks: list[str] = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return next(b for b in blocks if containing in b)


def test_the_client_installs_small(client_env: Path) -> None:
    listed = subprocess.run(
        [client_env, "-m", "pip", "list", "--format=freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert {"tidings-client", "httpx"} <= names
    assert not names & {"tidings", "starlette", "sqlalchemy", "uvicorn", "numpy", "cryptography"}


def test_the_readme_handset_example_runs_in_an_apps_environment(
    client_env: Path, server: ServerProcess
) -> None:
    code = _readme_block("from tidings_client import TidingsClient").replace(
        '"http://127.0.0.1:8080", key', f'"{server.http_endpoint}", "{server.access_key}"'
    )
    ran = subprocess.run(
        [client_env, "-c", code], capture_output=True, text=True, timeout=60, cwd="/"
    )
    assert ran.returncode == 0, ran.stderr
    reply, data = ran.stdout.splitlines()
    assert "unsubscribed" in reply.lower()  # the STOP confirmation, after it arrived
    assert "STOP" in data


def test_waiting_for_what_never_comes_says_so(server: ServerProcess) -> None:
    from tidings_client import TidingsClient

    with TidingsClient(server.http_endpoint, server.access_key) as tidings:
        tidings.text_from_handset("+15555550177", to="+18005550100", message="hello")
        with pytest.raises(TimeoutError, match=r"did not receive 'bye' within 0.3 s"):
            tidings.wait_for_handset_message("+15555550177", contains="bye", timeout=0.3)
        with pytest.raises(TimeoutError, match=r"no Microsoft\.Communication\.ChatMessageReceived"):
            tidings.wait_for_event("Microsoft.Communication.ChatMessageReceived", timeout=0.3)
        event = tidings.wait_for_event(
            "Microsoft.Communication.SMSReceived",
            where=lambda e: e["data"].get("From", "").lstrip("+") == "15555550177",
        )
        assert event["data"]["Message"] == "hello"
    assert sys.modules["tidings_client"].__name__ == "tidings_client"
