"""Fuzzing the served OpenAPI document with schemathesis (issue 16).

Every operation of ``GET /openapi.json`` gets generated requests, valid and invalid, sent
through the real ASGI application: HMAC-signed (``tidings.client.HmacAuth``) for the ACS and
Tidings APIs, the SMS fast lane included, and with a communication user's bearer token for
the chat API. Each answer must be no 5xx and must match the document (status, content type,
body schema). Bounded: ``FUZZ_EXAMPLES`` examples per operation (env ``TIDINGS_FUZZ_EXAMPLES``,
default 50, as the issue's probe), derandomized (the same examples on every run) and without
shrinking, so the stage takes under a minute on a CI machine.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ACCESS_KEY, FakeClock, make_settings
from tests.services.test_webhooks import FakeSender
from tidings.client import HmacAuth
from tidings.container import Application, build

FUZZ_EXAMPLES = int(os.environ.get("TIDINGS_FUZZ_EXAMPLES", "50"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.fuzz
CLOCK = FakeClock()
#: The statuses each operation answered, by operation.
STATUSES: dict[str, set[int]] = {}
#: Server-sent event streams never end: a fuzzer cannot read them to the end
#: (tests/e2e/test_chat_stream.py and tests/api/test_chat_stream_unit.py drive them).
STREAMS = {"/chat/notifications"}


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Application]:
    path: Path = tmp_path_factory.mktemp("fuzz")
    app = build(make_settings(path), clock=CLOCK, sender=FakeSender())
    app.migrate()
    app.bootstrap()
    yield app
    app.close()


class SyncClient:
    """An ``httpx.AsyncClient`` over the ASGI app, driven from hypothesis' synchronous tests
    through one event loop in a portal thread (as Starlette's SyncClient does, without its
    deprecated httpx dependency)."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        call = functools.partial(self._client.request, method, url, **kwargs)
        return self._portal.call(call)


@pytest.fixture(scope="module")
def clients(fuzzed_app: Application) -> Iterator[dict[str, SyncClient]]:
    asgi = fuzzed_app.asgi()
    with start_blocking_portal() as portal:
        hmac_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi),
            base_url="http://tidings.test",
            auth=HmacAuth(ACCESS_KEY, now=CLOCK.now),
        )
        hmac = SyncClient(portal, hmac_client)
        created = hmac.request(
            "POST", "/identities?api-version=2023-10-01", json={"createTokenWithScopes": ["chat"]}
        )
        token = created.json()["accessToken"]["token"]
        bearer_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi),
            base_url="http://tidings.test",
            headers={"Authorization": f"Bearer {token}"},
        )
        yield {"hmac": hmac, "bearer": SyncClient(portal, bearer_client)}
        portal.call(hmac_client.aclose)
        portal.call(bearer_client.aclose)


@pytest.fixture(scope="module")
def api_schema(clients: dict[str, SyncClient]) -> Any:
    document = clients["hmac"].request("GET", "/openapi.json").json()
    return schemathesis.openapi.from_dict(document)


def test_no_5xx_and_answers_match_the_document(
    api_schema: Any, clients: dict[str, SyncClient]
) -> None:
    """Each operation in turn (one hypothesis run each); every failing operation is reported
    with the request that broke it."""
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.path in STREAMS:
            continue
        client = clients["bearer" if operation.path.startswith("/chat") else "hmac"]

        try:
            _fuzzer(operation, client)()
        except BaseExceptionGroup as exc:  # schemathesis' FailureGroup
            failures.append(f"{operation.label}: {exc}")
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    for k, v in sorted(STATUSES.items()):
        print(k, v)
    assert operations > 80
    assert not failures, "\n\n".join(failures)


def _fuzzer(operation: Any, client: SyncClient) -> Any:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        # No shrinking: a failure is reported as found, which bounds the stage's time.
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
    )
    @given(case=st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode)))
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://tidings.test")
        # The client signs (or carries the bearer token); the generated credentials go.
        kwargs["headers"] = {
            k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"
        }
        request = {k: v for k, v in kwargs.items() if k in _HTTPX_KWARGS}
        if isinstance(request.get("data"), bytes | str):  # raw bodies go as content
            request["content"] = request.pop("data")
        response = client.request(**request)
        STATUSES.setdefault(operation.label, set()).add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    return run


_HTTPX_KWARGS = {"method", "url", "headers", "params", "content", "json", "data", "files"}
