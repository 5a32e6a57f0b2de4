"""Where Tidings sends HTTP requests of its own: host spellings and the address policy.

Webhook URLs come from users, so every request Tidings makes to one must reach only the
address ranges the operator allows. Two rules make the address that is checked the address
that is connected to:

* ``canonical_host`` gives the one spelling a host may have. Unicode is folded the way URL
  parsers do (NFKC and IDNA: ``１２７．０．０．１`` and ``127。0。0。1`` are ``127.0.0.1``), and a
  host that is an IP address written some other way than a plain dotted quad or an IPv6
  literal (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``, any Unicode spelling) is
  refused: HTTP clients and resolvers disagree on those, which is what a bypass needs.
* ``AddressPolicy.allowed`` judges the address actually connected to, after resolution
  (``events/http.py`` checks each socket's address just before it connects), and looks through
  IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64).
"""

from __future__ import annotations

import functools
import ipaddress
import unicodedata
from dataclasses import dataclass

from tidings.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})  # IDNA's label separators


class DestinationRefused(Exception):
    """A request to an address the policy does not allow (not an ``OSError`` on purpose:
    aiohttp passes it through unwrapped)."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which address ranges Tidings sends requests to (``TIDINGS_WEBHOOK_ALLOW_LOOPBACK`` and
    ``TIDINGS_WEBHOOK_ALLOW_PRIVATE``); public addresses always."""

    allow_loopback: bool = True
    allow_private: bool = False

    def allowed(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return all(self._allowed(inner) for inner in _embedded(ip))

    def _allowed(self, ip: IPAddress) -> bool:
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

    def check(self, host: str, addresses: list[str]) -> None:
        refused = [a for a in addresses if not self.allowed(a)]
        if refused or not addresses:
            raise DestinationRefused(
                f"{host} resolves to {', '.join(refused) or 'nothing'}, an address range "
                "Tidings does not deliver to (see TIDINGS_WEBHOOK_ALLOW_PRIVATE)"
            )


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The addresses to judge for ``ip``: itself and every IPv4 address an IPv6 form of it
    carries (for NAT64, only the IPv4 address: the prefix itself is just the translator)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip in _NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    out: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            out.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            out.append(ip.sixtofour)
        if ip.teredo is not None:
            out.extend(ip.teredo)
        if ip in _COMPATIBLE and int(ip) > 1:
            out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (IPv6 with or without brackets)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def canonical_host(host: str) -> str:
    """The one accepted spelling of a URL's host (lower-case, ASCII); ``InvalidInput`` for a
    host that is not a DNS name or a plainly written IP address."""
    literal = ip_literal(host)
    if literal is not None and host.isascii():
        return literal.compressed
    folded = unicodedata.normalize("NFKC", host).translate(_DOTS).lower()
    try:
        ascii_host = folded.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(f"{host!r} is not a valid host name.") from None
    if ip_literal(ascii_host) is not None or (ascii_host != host.lower() and _numeric(ascii_host)):
        raise InvalidInput(
            f"{host!r} spells the IP address {ascii_host} in Unicode; write it in ASCII digits."
        )
    if _numeric(ascii_host):
        raise InvalidInput(
            f"{host!r} is an IP address in an ambiguous form (integer, octal, hex or short); "
            "write IPv4 addresses as four decimal numbers (a.b.c.d)."
        )
    return ascii_host


def _numeric(host: str) -> bool:
    """Whether a URL parser would take ``host`` for an IPv4 address (WHATWG: the last label
    is a decimal or 0x-hex number)."""
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if last.startswith("0x"):
        return all(c in "0123456789abcdef" for c in last[2:])
    return last.isdigit()
