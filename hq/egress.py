"""Where HQ may send webhooks: public addresses only, unless the deployment allows its own
network (``allow_private_webhooks``). A webhook URL is checked when it is added and again at
every send, on the very address HQ connects to, so a name that later resolves to 127.0.0.1 or
the cloud metadata service (DNS rebinding) is refused too."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from hq.errors import PrivateAddress

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_HINT = (
    "Webhooks go to public addresses only; to post to a receiver inside your own network, "
    "run HQ with --allow-private-webhooks (or NPS_HQ_ALLOW_PRIVATE_WEBHOOKS=1)."
)


def why_blocked(ip: Address) -> str | None:
    """What kind of non-public address ``ip`` is, or None if HQ may post to it."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return why_blocked(ip.ipv4_mapped)  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, flag in (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),  # 169.254.169.254: cloud metadata
        ("a multicast", ip.is_multicast),
        ("a private", ip.is_private),
        ("a reserved", ip.is_reserved),
    ):
        if flag:
            return kind
    if not ip.is_global:  # shared (100.64/10), documentation, 6to4 of the above, ...
        return "a non-public"
    return None


def public_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, if all are public; PrivateAddress if any is not
    (one private answer is enough: a resolver may hand out either). socket.gaierror when the
    name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for *_rest, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        kind = why_blocked(ipaddress.ip_address(text))
        if kind is not None:
            shown = host if host == text else f"{host} ({text})"
            raise PrivateAddress(f"{shown} is {kind} address. {ALLOW_HINT}")
        if text not in addresses:
            addresses.append(text)
    return addresses


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise PrivateAddress(f"The port of {url!r} is not a number from 1 to 65535.") from exc
    return parts.hostname or "", port


def check_url(url: str) -> None:
    """PrivateAddress if ``url``'s host is or resolves to a non-public address (a name that
    does not resolve now passes: it is checked again on every send)."""
    host, port = host_port(url)
    try:
        public_addresses(host, port)
    except (socket.gaierror, UnicodeError):
        return


class _PublicOnly:
    """Connects only to a checked public address of the host (what urllib3 does, plus the
    check between resolving and connecting; TLS still verifies the host name)."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            addresses = public_addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]  # ours is an HTTPConnection
        error: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(
            self,  # type: ignore[arg-type]  # ours is an HTTPConnection
            f"Failed to establish a new connection: {error}",
        )


class _PublicHTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections go to public addresses only (PrivateAddress
    otherwise, raised before any byte is sent)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPPool,
            "https": _PublicHTTPSPool,
        }
