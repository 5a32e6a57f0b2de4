"""The webhook HTTP client: httpcore's connection pool behind an address guard.

* No redirects are followed (a 3xx is an answer like any other, and a failure).
* Response bodies are read up to a cap, then the connection is dropped.
* Every connection resolves the host itself and refuses addresses in ranges the settings do
  not allow (loopback, private, link-local, ...), at connect time, so a DNS answer that
  changes between a check and the connection cannot slip past (DNS rebinding).
* The whole request, connect to last byte, is bounded by the timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore

from tidings.domain.webhooks import TransportError
from tidings.ports import HttpResult

DEFAULT_BODY_CAP = 64 * 1024
USER_AGENT = "Tidings-EventGrid/1.0"


@dataclass(frozen=True)
class AddressPolicy:
    allow_loopback: bool = True
    allow_private: bool = False

    def allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback:
            return self.allow_loopback
        if (
            ip.is_private
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
            or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED)
        ):
            return self.allow_private
        return True


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class DestinationRefused(Exception):
    pass


class Unresolvable(Exception):
    pass


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address against the policy, then connects to one of them."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise Unresolvable(f"{host}: {exc.strerror or exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        refused = [a for a in addresses if not self._policy.allowed(a)]
        if refused or not addresses:
            raise DestinationRefused(
                f"{host} resolves to {', '.join(refused) or 'nothing'}, an address range "
                "Tidings does not deliver to (see TIDINGS_WEBHOOK_ALLOW_PRIVATE)"
            )
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("unix sockets are not webhook destinations")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class HttpWebhookSender:
    def __init__(
        self,
        policy: AddressPolicy,
        *,
        body_cap: int = DEFAULT_BODY_CAP,
        max_connections: int = 256,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._body_cap = body_cap
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(policy),
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes = b"",
        timeout: float,
    ) -> HttpResult:
        started = time.perf_counter()
        all_headers = {"User-Agent": USER_AGENT, **headers}
        if method in ("POST", "PUT"):
            all_headers["Content-Length"] = str(len(body))
        status: int | None = None
        response_headers: dict[str, str] = {}
        received = bytearray()
        try:
            with anyio.fail_after(timeout):
                async with self._pool.stream(
                    method,
                    url,
                    headers=list(all_headers.items()),
                    content=body if body else None,
                    extensions={"timeout": {"connect": timeout, "read": timeout, "pool": timeout}},
                ) as response:
                    status = response.status
                    response_headers = {
                        k.decode("latin-1").lower(): v.decode("latin-1")
                        for k, v in response.headers
                    }
                    async for chunk in response.aiter_stream():
                        received += chunk
                        if len(received) >= self._body_cap:
                            del received[self._body_cap :]
                            break
        except TimeoutError:
            return self._failed(started, TransportError.TIMEOUT, "no answer in time", status)
        except httpcore.TimeoutException as exc:
            return self._failed(started, TransportError.TIMEOUT, str(exc) or "timed out", status)
        except Unresolvable as exc:
            return self._failed(started, TransportError.RESOLUTION, str(exc), None)
        except DestinationRefused as exc:
            return self._failed(started, TransportError.NOT_ALLOWED, str(exc), None)
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError, ssl.SSLError) as exc:
            if status is not None:  # the status line came; the body broke off
                return HttpResult(status, _ms(started), response_headers, bytes(received))
            return self._failed(started, TransportError.CONNECT, _describe(exc), None)
        except httpcore.UnsupportedProtocol as exc:
            return self._failed(started, TransportError.CONNECT, _describe(exc), None)
        return HttpResult(status, _ms(started), response_headers, bytes(received))

    @staticmethod
    def _failed(
        started: float, error: TransportError, message: str, status: int | None
    ) -> HttpResult:
        return HttpResult(None, _ms(started), {}, b"", error=error, error_message=message)

    async def aclose(self) -> None:
        await self._pool.aclose()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]
