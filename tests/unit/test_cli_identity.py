"""``tidings identity``: users, tokens, revocation and key rotation from the shell."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from tidings.cli import main


def test_identity_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["identity", "create", "--scope", "chat", "--minutes", "60", *data]) == 0
    user, token = capsys.readouterr().out.split()
    assert user.startswith("8:acs:")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == user
    assert claims["exp"] - claims["iat"] == 3600
    first_kid = jwt.get_unverified_header(token)["kid"]

    assert main(["identity", "rotate-key", *data]) == 0
    assert "signing with" in capsys.readouterr().out
    assert main(["identity", "token", user, "--scope", "voip", *data]) == 0
    second = capsys.readouterr().out.strip()
    assert jwt.get_unverified_header(second)["kid"] != first_kid
    assert jwt.decode(second, options={"verify_signature": False})["acsScope"] == "voip"

    assert main(["identity", "keys", *data]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["identity", "revoke", user, *data]) == 0
    assert main(["identity", "delete", user, *data]) == 0
    capsys.readouterr()
    assert main(["identity", "delete", user, *data]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["identity", "token", *data]) == 2
