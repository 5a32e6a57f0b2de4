"""``scripts/serve``: the first start says that it installs and shows pip's progress; later
starts go straight to ``tidings serve``. Run on a copy with a stand-in Python, so nothing is
installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Stands in for python3 (``-m venv``) and for .venv/bin/python (``-m pip``): logs its
#: arguments, prints a line as pip would, and creates .venv/bin/tidings.
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1 $2" = "-m venv" ]; then
    mkdir -p "$3/bin"
    cp "$0" "$3/bin/python"
    printf '#!/usr/bin/env bash\\necho "tidings $*"\\n' > "$3/bin/tidings"
    chmod +x "$3/bin/python" "$3/bin/tidings"
else
    echo "Collecting something"
    echo "Requirement already satisfied: pip"
fi
"""


def _run(clone: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(clone / "scripts" / "serve"), "--http-port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_first_start_shows_progress_and_the_second_skips_the_install(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "serve", clone / "scripts" / "serve")
    shutil.copy(ROOT / "pyproject.toml", clone / "pyproject.toml")
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    log = tmp_path / "log"
    env = {**os.environ, "PYTHON": str(fake), "FAKE_LOG": str(log)}

    first = _run(clone, env)
    assert "First start: installing Tidings" in first.stderr
    assert "Collecting something" in first.stderr  # pip's own progress reaches the user
    assert "Requirement already satisfied" not in first.stderr
    assert first.stdout.strip() == "tidings serve --http-port 9"
    installs = [line for line in log.read_text().splitlines() if "pip install" in line]
    assert installs and all(" -q" not in line for line in installs)

    log.unlink()
    second = _run(clone, env)
    assert second.stderr == ""
    assert second.stdout.strip() == "tidings serve --http-port 9"
    assert not log.exists()  # neither venv nor pip ran again
