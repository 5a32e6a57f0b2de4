"""A start on an up-to-date schema does not import Alembic (a fifth of the start-up time),
and the head read from the revision files is the one Alembic computes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tidings.container import build
from tidings.settings import Settings
from tidings.storage import migrations


def test_the_file_head_is_alembics_head() -> None:
    config = migrations.alembic_config("sqlite://")
    assert migrations.file_head() == ScriptDirectory.from_config(config).get_current_head()


def test_only_a_schema_at_head_skips_alembic(tmp_path: Path) -> None:
    app = build(Settings(data_dir=tmp_path / "data"))
    try:
        assert not migrations.at_head(app.database.engine)  # no schema yet
        assert migrations.pending(app.database.engine)
        app.migrate()
        assert migrations.at_head(app.database.engine)
        assert not migrations.pending(app.database.engine)
        with app.database.engine.begin() as c:
            c.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        assert not migrations.at_head(app.database.engine)
        assert migrations.pending(app.database.engine)  # Alembic's own answer
        with app.database.engine.begin() as c:
            c.execute(
                sa.text(f"UPDATE alembic_version SET version_num = '{migrations.file_head()}'")
            )
    finally:
        app.close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tidings.container import build\n"
        "from tidings.settings import Settings\n"
        f"app = build(Settings(data_dir=Path({str(tmp_path / 'data')!r})))\n"
        "app.migrate()\n"
        "app.check_migrated()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako', 'httpx')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout
