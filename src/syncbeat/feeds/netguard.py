"""Keeping http(s) sources and destinations out of the server's own network (issue 10)."""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpcore
import httpx

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import shown_url

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_HOSTS_SETTING = "SYNCBEAT_ALLOWED_HOSTS"
_REFUSAL = (
    "syncbeat does not fetch from or send to the server's own network "
    f"(an operator can allow it with {ALLOWED_HOSTS_SETTING})"
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # Linux connects 0.x.x.x to the server itself
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")  # RFC 1918, 4193
_PRIVATE = tuple(ipaddress.ip_network(net) for net in _PRIVATE_RANGES)
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a last label like this makes a number, not a name
_FIRST_URL = "syncbeat.first_url"  # request extension that tells a redirect from the first request
# ftps: explicit TLS, on the port of ftp
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ftps": 21, "sftp": 22}


def _no_request_lines(record: logging.LogRecord) -> bool:
    # httpx logs each request's full URL at INFO level, and a URL may carry a secret filled in
    # for that request (a key in its query): those lines never reach a log, whatever its level.
    return record.levelno > logging.INFO


logging.getLogger("httpx").addFilter(_no_request_lines)


class BlockedAddress(FeedError):
    """An http(s) location that resolves to the server's own network."""


@dataclass(frozen=True, kw_only=True)
class HostPolicy:
    """Which hosts an http(s) source or destination may reach besides public addresses."""

    allowed: tuple[str, ...] = ()
    _names: frozenset[str] = field(init=False, repr=False, compare=False)
    _networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = [_parse_entry(entry) for entry in self.allowed]
        object.__setattr__(self, "_names", frozenset(e for e in parsed if isinstance(e, str)))
        networks = tuple(e for e in parsed if not isinstance(e, str))
        object.__setattr__(self, "_networks", networks)

    @classmethod
    def parse(cls, text: str | None) -> HostPolicy:
        """The policy of a SYNCBEAT_ALLOWED_HOSTS value: entries separated by commas or spaces."""
        return cls(allowed=tuple(entry for entry in re.split(r"[\s,]+", text or "") if entry))

    def allows(self, host: str, address: Address) -> bool:
        """Whether `host`, reached at `address`, may be fetched from or sent to."""
        if _normal_name(host) in self._names:
            return True
        same = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            same.append(address.ipv4_mapped)  # the very same IPv4 address, written for IPv6
        if any(one in net for one in same for net in self._networks):
            return True
        return blocked_kind(address) is None


def blocked_kind(address: Address) -> str | None:
    """What kind of non-public address `address` is, in words, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            kind = blocked_kind(embedded)
            if kind is not None:
                return f"an IPv6 form of {embedded}, {kind}"
            if address.ipv4_mapped or address in _NAT64:
                return None  # it reaches that public IPv4 address and nothing else
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an unspecified address, which reaches the server itself"
    if address.is_loopback:
        return "a loopback address of the server itself"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if address.is_multicast:
        return "a multicast address"
    if any(address in net for net in _PRIVATE):
        return "a private network address"
    if address in _SHARED:
        return "an address of the shared address space 100.64.0.0/10 (carrier-grade NAT)"
    if address.is_reserved:
        return "a reserved address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "a special-purpose address that is not on the public internet"
    return None


def check_url(url: str, policy: HostPolicy) -> None:
    """Refuse (FeedError, BlockedAddress for addresses) an http(s) `url` that may not be fetched."""
    # The messages leave the URL out: callers put it in front, shown with its password masked.
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FeedError(f"the address is not valid ({exc})") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise FeedError("only http, https, ftp, ftps and sftp addresses can be fetched from "
                        "or sent to")
    host = parts.raw_host.decode("ascii")
    if not host:
        raise FeedError("the address has no host name")
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        return  # not known now; the connection checks it again when a task runs
    for address in addresses:
        _refuse_blocked(policy, host, address)


def checked_addresses(host: str, port: int, policy: HostPolicy) -> list[Address]:
    """Every address `host` stands for, each allowed by `policy` (else BlockedAddress), for a
    connection that is not HTTP (FTP): the caller connects to these, never to the name, so a
    second lookup cannot answer otherwise."""
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise FeedError(f"the host name {host} is not known ({exc})") from None
    for address in addresses:
        _refuse_blocked(policy, host, address)
    return addresses


def guarded_client(
    policy: HostPolicy, *, timeout: float, follow_redirects: bool = True, max_redirects: int = 5
) -> httpx.Client:
    """An httpx.Client whose every connection, after redirects too, goes only where allowed."""
    return httpx.Client(
        transport=_GuardedTransport(policy),
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,  # a proxy from the environment would connect for us, unchecked
    )


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to checked addresses: the name is resolved once, here, and never again."""

    def __init__(self, policy: HostPolicy) -> None:
        self._policy = policy
        self._plain = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        # Every address is judged before any is tried, so a refusal never opens a connection
        # and says the same whether the port is open or closed.
        for address in addresses:
            _refuse_blocked(self._policy, host, address)
        problem: Exception = httpcore.ConnectError(f"no address found for {host}")
        for address in addresses:
            try:
                stream = self._plain.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                problem = exc
                continue
            try:
                _refuse_blocked(self._policy, host, _peer(stream), arrived=True)
            except BaseException:
                stream.close()
                raise
            return stream
        raise problem

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("syncbeat does not connect to Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._plain.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over a pool that connects through _GuardedBackend."""

    def __init__(self, policy: HostPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx offers no network_backend argument, so its pool is replaced by an equal one
        # that has it; tests/unit/test_netguard.py fails loudly if httpx ever renames _pool.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(policy),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # httpx copies a request's extensions into the request that follows a redirect.
        first = request.extensions.setdefault(_FIRST_URL, str(request.url))
        try:
            return super().handle_request(request)
        except BlockedAddress as exc:
            if first == str(request.url):
                raise
            shown = shown_url(str(request.url))
            raise BlockedAddress(f"the redirect to {shown} is refused: {exc}") from None


def _resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for, in the resolver's order; numbers in any form included."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(_address(str(info[4][0])) for info in found))


def _refuse_blocked(policy: HostPolicy, host: str, address: Address, arrived: bool = False) -> None:
    if policy.allows(host, address):
        return
    if arrived:
        said = f"the connection to {host} arrived at {address}, "
    elif _literal(host) == address:
        said = f"the host {host} is "
    else:
        said = f"the host {host} resolves to {address}, "
    raise BlockedAddress(f"{said}{blocked_kind(address)}: {_REFUSAL}")


def _peer(stream: httpcore.NetworkStream) -> Address:
    try:
        return _address(stream.get_extra_info("server_addr")[0])
    except OSError as exc:  # the peer went away at once; as if it never answered
        raise httpcore.ConnectError(str(exc)) from exc


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, compatible, Teredo)."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _parse_entry(entry: str) -> str | Network:
    text = entry.strip().lower().removeprefix("[").removesuffix("]")
    if "/" in text and _literal(text.partition("/")[0]):
        try:
            return ipaddress.ip_network(text)
        except ValueError as exc:
            raise ValueError(
                f"{ALLOWED_HOSTS_SETTING}: {entry!r} is not a network in CIDR form "
                f"like 10.0.0.0/8 or fd00::/8 ({exc})"
            ) from None
    try:
        return ipaddress.ip_network(text)  # one address, as a network of one
    except ValueError:
        pass
    name = _normal_name(text)
    if not _HOST_NAME.fullmatch(name) or len(name) > 253:
        raise ValueError(
            f"{ALLOWED_HOSTS_SETTING}: {entry!r} is not a host name, an IP address "
            "or a network in CIDR form (like feeds.internal, 10.0.0.5 or 10.0.0.0/8)"
        )
    if _NUMBER.fullmatch(name.rpartition(".")[2]):
        raise ValueError(
            f"{ALLOWED_HOSTS_SETTING}: {entry!r} is an address written as a number; "
            "write it in the usual form (like 127.0.0.1 or 10.0.0.5)"
        )
    return name


def _normal_name(host: str) -> str:
    return host.lower().removesuffix(".")


def _literal(host: str) -> Address | None:
    try:
        return _address(host)
    except ValueError:
        return None


def _address(text: str) -> Address:
    return ipaddress.ip_address(text)
