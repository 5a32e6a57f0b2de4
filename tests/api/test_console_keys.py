"""The access-keys page's endpoints: strings that work as pasted (HTTPS for
``from_connection_string``, which always uses HTTPS), by the host the browser used."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ACCESS_KEY, FakeClock, make_settings
from tidings.container import Application, build

pytestmark = pytest.mark.anyio


async def _endpoints(app: Application, base_url: str) -> dict[str, str | None]:
    transport = httpx.ASGITransport(app=app.asgi())
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        await client.post(
            "/console/session", json={"accessKey": ACCESS_KEY}, headers={"x-tidings-console": "1"}
        )
        keys = (await client.get("/tidings/keys")).json()
    assert keys["primary"] == ACCESS_KEY
    endpoints: dict[str, str | None] = keys["endpoints"]
    return endpoints


def _app(tmp_path: Path, clock: FakeClock, **changes: Any) -> Application:
    app = build(dataclasses.replace(make_settings(tmp_path), **changes), clock=clock)
    app.migrate()
    app.bootstrap()
    return app


async def test_the_https_endpoint_is_shown_even_to_a_page_opened_over_http(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = _app(tmp_path, clock, https_port=9443, http_port=9080, tls=True)
    try:
        assert await _endpoints(app, "http://localhost:9080") == {
            "https": "https://localhost:9443/",
            "http": "http://localhost:9080/",
        }
        assert (await _endpoints(app, "http://[::1]:9080"))["https"] == "https://[::1]:9443/"
    finally:
        app.close()


async def test_without_tls_or_behind_a_public_url(tmp_path: Path, clock: FakeClock) -> None:
    plain = _app(tmp_path / "a", clock, tls=False, http_port=9080)
    public = _app(tmp_path / "b", clock, public_url="https://sms.example.com")
    try:
        assert await _endpoints(plain, "http://127.0.0.1:9080") == {
            "https": None,
            "http": "http://127.0.0.1:9080/",
        }
        assert await _endpoints(public, "http://127.0.0.1:9080") == {
            "https": "https://sms.example.com/",
            "http": None,
        }
    finally:
        plain.close()
        public.close()
