"""The CLI's one-shot commands, run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tidings.cli import main

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def test_migrate_keys_and_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["migrate", *data]) == 0
    assert "up to date (sqlite)" in capsys.readouterr().out
    assert main(["keys", *data]) == 0
    shown = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert set(shown) == {"primary", "secondary"}
    assert main(["keys", "regenerate", "secondary", *data]) == 0
    new = capsys.readouterr().out.split(": ", 1)[1].strip()
    assert new != shown["secondary"]
    assert main(["keys", *data]) == 0
    assert f"secondary: {new}" in capsys.readouterr().out
    assert main(["numbers", "add", "12345", "--type", "shortCode", *data]) == 0
    assert (
        main(["numbers", "add", "CONTOSO", "--type", "alphanumeric", "--sms", "outbound", *data])
        == 0
    )
    capsys.readouterr()
    assert main(["numbers", *data]) == 0
    listed = capsys.readouterr().out
    assert "+18005550100 tollFree" in listed
    assert "12345 shortCode" in listed
    assert "CONTOSO alphanumeric sms=outbound" in listed


def test_bad_configuration_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIDINGS_HTTP_PORT", "eighty")
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 2
    assert "TIDINGS_HTTP_PORT" in capsys.readouterr().err
    monkeypatch.delenv("TIDINGS_HTTP_PORT")
    assert (
        main(["numbers", "add", "not-a-number", "--type", "tollFree", "--data-dir", str(tmp_path)])
        == 2
    )


def test_api_refuses_an_unmigrated_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["api", "--data-dir", str(tmp_path), "--access-key", KEY]) == 2
    assert "tidings migrate" in capsys.readouterr().err


def test_migrate_check_lists_the_pending_revisions_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command

    from tidings.storage import migrations

    data = ["--data-dir", str(tmp_path / "data")]
    url = f"sqlite:///{tmp_path / 'data' / 'tidings.db'}"
    files = sorted(p.name[:4] for p in (migrations.HERE / "versions").glob("[0-9]*.py"))
    assert main(["migrate", "--check", *data]) == 1  # a new database lacks every revision
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Database schema is behind (sqlite): pending revisions:"
    listed = [line.strip() for line in lines[1:-1]]
    assert sorted(listed) == files and listed[0] == "0001"
    assert lines[-1] == "Run `tidings migrate` to apply them."
    assert main(["migrate", "--check", *data]) == 1  # ...and still does: nothing was applied
    assert capsys.readouterr().out.splitlines() == lines

    command.upgrade(migrations.alembic_config(url), listed[1])  # part of the way
    assert main(["migrate", "--check", *data]) == 1
    assert [line.strip() for line in capsys.readouterr().out.splitlines()[1:-1]] == listed[2:]

    assert main(["migrate", *data]) == 0
    capsys.readouterr()
    assert main(["migrate", "--check", *data]) == 0
    assert capsys.readouterr().out == "Database schema is up to date (sqlite).\n"

    engine = sa.create_engine(url)  # as a newer Tidings would leave it
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    assert main(["migrate", "--check", *data]) == 2
    assert "schema revision 9999, which this version of Tidings does not know" in (
        capsys.readouterr().err
    )


def test_partners(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["partners", "add", "Infobip", "--api-key", "k1", "--api-key", "k2", *data]) == 0
    assert capsys.readouterr().out.strip() == "added infobip keys=2"
    lease = ["partners", "lease", "infobip", "+442079460000", "--type", "geographic"]
    assert main([*lease, *data]) == 0
    assert "+442079460000 geographic sms=inbound+outbound partner=infobip" in (
        capsys.readouterr().out
    )
    assert main(["partners", *data]) == 0
    assert capsys.readouterr().out.strip() == "infobip keys=2 numbers=1"
    assert main(["numbers", *data]) == 0
    assert "+442079460000" not in capsys.readouterr().out  # not an ACS number
    assert main(["partners", "remove", "infobip", *data]) == 2
    assert "still leases 1 number" in capsys.readouterr().err
    assert main(["partners", "release", "infobip", "+442079460000", *data]) == 0
    assert main(["partners", "remove", "infobip", *data]) == 0
    assert main(["partners", "lease", "infobip", *data]) == 2
    assert "needs NAME and NUMBER" in capsys.readouterr().err
