"""``tidings carriers`` and ``tidings routes``, run in-process."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tidings.cli import main, parser
from tidings.cli_carriers import _options


def _run(capsys: pytest.CaptureFixture[str], data: list[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, *data])
    out, err = capsys.readouterr()
    return code, out, err


def test_carriers_and_routes_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    code, out, _ = _run(
        capsys, data, "carriers", "add", "Sim2", "--kind", "simulator", "--option",
        "delay_seconds=1.5",
    )  # fmt: skip
    assert code == 0 and out.strip() == "added sim2 kind=simulator enabled version=1"
    code, out, _ = _run(capsys, data, "routes", "add", "--prefix", "+39", "--carrier", "sim2")
    assert code == 0 and out.strip() == "added route 2 prefix=+39 -> sim2 (failover)"
    code, out, _ = _run(
        capsys, data, "routes", "add", "--number-type", "tollFree", "--carriers",
        "sim2,simulator", "--strategy", "round-robin",
    )  # fmt: skip
    assert code == 0
    code, out, _ = _run(capsys, data, "routes")
    assert out.splitlines() == [
        "3 prefix=* number-type=tollFree -> sim2,simulator (round-robin)",
        "2 prefix=+39 -> sim2 (failover)",
        "1 prefix=* -> simulator (failover)",
    ]
    code, out, _ = _run(capsys, data, "routes", "update", "2", "--prefix", "+393", "--priority",
                        "2")  # fmt: skip
    assert code == 0 and out.strip() == "updated route 2 prefix=+393 priority=2 -> sim2 (failover)"
    code, out, _ = _run(capsys, data, "routes", "update", "2", "--prefix", "+39", "--priority",
                        "0")  # fmt: skip
    assert out.strip() == "updated route 2 prefix=+39 -> sim2 (failover)"
    code, out, _ = _run(capsys, data, "carriers", "show", "sim2")
    assert "  delay_seconds: 1.5" in out and "  routes: 2, 3" in out
    code, out, err = _run(capsys, data, "carriers", "remove", "sim2")
    assert code == 2 and "used by route(s) 2, 3" in err
    code, out, _ = _run(capsys, data, "carriers", "update", "sim2", "--disable", "--unset",
                        "delay_seconds")  # fmt: skip
    assert out.strip() == "updated sim2 kind=simulator disabled version=2"
    _run(capsys, data, "routes", "remove", "2")
    _run(capsys, data, "routes", "remove", "3")
    code, out, _ = _run(capsys, data, "carriers", "remove", "sim2")
    assert code == 0
    code, out, _ = _run(capsys, data, "carriers")
    assert out.strip() == "simulator kind=simulator enabled version=1"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["carriers", "add", "acme"], "needs --kind"),
        (["carriers", "add", "acme", "--kind", "pigeon", "--host", "h"], "kind must be one of"),
        (["carriers", "add", "acme", "--kind", "smpp", "--host", "h"], "port: required"),
        (["carriers", "add", "acme", "--kind", "simulator", "--option", "x"], "KEY=VALUE"),
        (["carriers", "show"], "needs a carrier NAME"),
        (["carriers", "show", "ghost"], "was not found"),
        (["routes", "add", "--prefix", "+1"], "--carrier NAME or --carriers"),
        (["routes", "add", "--prefix", "+1x", "--carrier", "simulator"], "prefix"),
        (["routes", "remove"], "needs a route ID"),
        (["routes", "update", "--prefix", "+1"], "needs a route ID"),
        (["routes", "update", "1", "--carrier", "a", "--carriers", "b"], "not both"),
        (["routes", "remove", "99"], "Route 99 was not found"),
    ],
)
def test_cli_errors_are_sentences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, _, err = _run(capsys, ["--data-dir", str(tmp_path / "data")], *argv)
    assert code == 2 and words in err


def test_smpp_flags_map_onto_option_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    args = parser().parse_args(
        [
            "carriers", "add", "acme", "--kind", "smpp", "--host", "smsc.example.net",
            "--port", "2775", "--system-id", "ACME1", "--password", "-", "--bind",
            "transceiver", "--window", "10", "--throughput", "100", "--tls",
            "--no-tls-verify", "--source-ton", "5", "--option", "encoding=\"ucs2\"",
        ]
    )  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("pw from stdin\n"))
    assert _options(args) == {
        "host": "smsc.example.net",
        "port": 2775,
        "system_id": "ACME1",
        "password": "pw from stdin",
        "bind": "transceiver",
        "window": 10,
        "throughput": 100.0,
        "tls": True,
        "tls_verify": False,
        "source_ton": 5,
        "encoding": "ucs2",
    }


def test_an_smsc_address_means_an_smpp_carrier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    code, out, err = _run(
        capsys, data, "carriers", "add", "acme", "--host", "smsc.example.net", "--port", "2775",
        "--system-id", "ACME1", "--password", "pw", "--window", "10", "--throughput", "100",
    )  # fmt: skip
    assert code == 0, err
    assert "acme kind=smpp" in out
    code, _, err = _run(capsys, data, "carriers", "add", "other")
    assert code == 2 and "--kind" in err
