"""The start-up banner the README shows is the one ``tidings serve`` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.cli_serve import _banner
from tidings.container import build
from tidings.settings import load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_banner() -> str:
    """The README's code block that starts with the banner's first line."""
    after = README.read_text().split("```\nTidings ", 1)[1]
    return "Tidings " + after.split("```", 1)[0]


def test_the_readme_shows_the_banner_tidings_serve_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / ".tidings"
    app = build(
        load_settings(environ={"TIDINGS_DATA_DIR": str(data_dir), "TIDINGS_API_PROCESSES": "1"})
    )
    try:
        _banner(app, {"primary": "<key>"}, data_dir / "tls" / "ca.pem")
    finally:
        app.close()
    printed = capsys.readouterr().out.replace(str(tmp_path.resolve()), "/path/to")
    assert printed == _readme_banner()
