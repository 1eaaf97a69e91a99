"""The network guard: http(s) feeds never reach the server's own network unless allowed.

Every refusal is proved against a real server on a loopback address that counts the requests
reaching it; a twin test shows a plain httpx client does reach it, so the URL is a real way in.
No test opens a connection to anything but 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from nettools import Server, closed_port, ipv6_loopback, servers

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.netguard import (
    BlockedAddress,
    HostPolicy,
    blocked_kind,
    check_url,
    guarded_client,
)

NOBODY = HostPolicy()
# Ways to write the server's own loopback address that the OS resolver accepts.
LOOPBACK_FORMS = [
    "127.0.0.1",
    "localhost",
    "2130706433",
    "0x7f000001",
    "127.1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "0.0.0.0",
]
needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here")


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    with servers() as started:

        def start(host: str = "127.0.0.1", port: int = 0, **answer: Any) -> Server:
            started.append(Server(host, port, **answer))
            return started[-1]

        yield start


def fetch(policy: HostPolicy, url: str) -> httpx.Response:
    with guarded_client(policy, timeout=5) as client:
        return client.get(url)


def refusal(policy: HostPolicy, url: str) -> str:
    with pytest.raises(BlockedAddress) as caught:
        fetch(policy, url)
    assert isinstance(caught.value, FeedError)  # callers that catch FeedError catch it too
    return str(caught.value)


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_each_form_of_loopback_is_a_real_way_to_the_server(serve: Callable[..., Server], host: str):
    server = serve()
    with httpx.Client(trust_env=False, timeout=5) as plain:
        assert plain.get(server.url(host)).text == "the feed"
    assert server.requests == ["GET /feed.csv"]


@pytest.mark.parametrize("host", LOOPBACK_FORMS)
def test_each_form_of_loopback_is_refused_and_the_server_never_reached(
    serve: Callable[..., Server], host: str
):
    server = serve()
    message = refusal(NOBODY, server.url(host))
    assert f"the host {host.strip('[]')} " in message
    assert "a loopback address of the server itself" in message or host == "0.0.0.0"
    assert "SYNCBEAT_ALLOWED_HOSTS" in message
    assert server.requests == []


@needs_ipv6
def test_ipv6_loopback_is_refused_and_the_server_never_reached(serve: Callable[..., Server]):
    server = serve("::1")
    with httpx.Client(trust_env=False, timeout=5) as plain:
        assert plain.get(server.url()).status_code == 200  # the URL does reach it
    message = refusal(NOBODY, server.url())
    assert message.startswith("the host ::1 is a loopback address of the server itself")
    assert server.requests == ["GET /feed.csv"]  # only the plain client's request


def test_a_post_is_refused_as_well(serve: Callable[..., Server]):
    server = serve()
    with guarded_client(NOBODY, timeout=5) as client, pytest.raises(BlockedAddress):
        client.post(server.url(), content=b'{"products": []}')
    assert server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])
def test_a_closed_port_is_refused_in_the_same_words_as_an_open_one(
    serve: Callable[..., Server], host: str
):
    server = serve()
    url = f"http://{host}:{{}}/feed.csv"
    assert refusal(NOBODY, url.format(server.port)) == refusal(NOBODY, url.format(closed_port()))
    assert server.requests == []


def test_the_message_names_the_kind_of_address_and_what_to_do(serve: Callable[..., Server]):
    server = serve()
    assert refusal(NOBODY, server.url("localhost")) == (
        "the host localhost resolves to 127.0.0.1, a loopback address of the server itself: "
        "syncbeat does not fetch from or send to the server's own network "
        "(an operator can allow it with SYNCBEAT_ALLOWED_HOSTS)"
    )


@pytest.mark.parametrize("target", ["127.0.0.1", "localhost", "user:secret@127.0.0.1"])
def test_a_redirect_into_the_servers_network_is_refused(serve: Callable[..., Server], target: str):
    inside = serve("127.0.0.1")
    location = f"http://{target}:{inside.port}/inside"
    outside = serve("127.0.0.2", status=302, headers={"Location": location})
    message = refusal(HostPolicy.parse("127.0.0.2"), outside.url())
    shown = location.replace("secret", "***")
    host = target.rpartition("@")[2]
    assert message.startswith(f"the redirect to {shown} is refused: the host {host} ")
    assert "a loopback address of the server itself" in message
    assert "secret" not in message
    assert outside.requests == ["GET /feed.csv"]
    assert inside.requests == []


def test_a_redirect_to_an_allowed_host_is_followed(serve: Callable[..., Server]):
    inside = serve("127.0.0.1", body=b"moved here")
    outside = serve("127.0.0.2", status=302, headers={"Location": inside.url()})
    response = fetch(HostPolicy.parse("127.0.0.2, 127.0.0.1"), outside.url())
    assert response.text == "moved here"
    assert (outside.requests, inside.requests) == (["GET /feed.csv"], ["GET /feed.csv"])


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "localhost"),  # an allowed address, whatever the name
        ("127.0.0.1", "[::ffff:127.0.0.1]"),  # the same address, written for IPv6
        ("127.0.0.0/8", "127.0.0.1"),
        ("127.0.0.0/8", "2130706433"),
        ("localhost", "localhost"),
        ("LOCALHOST.", "localhost"),
        ("10.0.0.0/8, localhost", "LocalHost"),
    ],
)
def test_an_allowed_host_is_fetched(serve: Callable[..., Server], allowed: str, host: str):
    server = serve()
    assert fetch(HostPolicy.parse(allowed), server.url(host)).text == "the feed"
    assert server.requests == ["GET /feed.csv"]


def test_a_host_allowed_by_name_is_allowed_whatever_it_resolves_to(
    serve: Callable[..., Server], resolver: dict[str, list[str]]
):
    server = serve()
    resolver["feeds.internal"] = ["127.0.0.1"]
    assert (
        fetch(HostPolicy.parse("feeds.internal"), server.url("feeds.internal")).status_code == 200
    )
    assert "feeds.internal resolves to 127.0.0.1" in refusal(NOBODY, server.url("feeds.internal"))
    assert server.requests == ["GET /feed.csv"]


@pytest.mark.parametrize(
    "allowed", ["127.0.0.2", "127.0.0.2/31", "::1", "localhost", "feeds.internal"]
)
def test_allowing_one_host_does_not_allow_another(serve: Callable[..., Server], allowed: str):
    server = serve()
    refusal(HostPolicy.parse(allowed), server.url("127.0.0.1"))
    assert server.requests == []


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """A DNS of our own for made-up names: each lookup takes the next answer, the last repeats.

    Real DNS would leave the machine; the names here stand for a rebinding attacker's domain.
    """
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        if not answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_dns_rebinding_connects_to_the_address_that_was_checked(
    serve: Callable[..., Server], resolver: dict[str, list[str]]
):
    allowed = serve("127.0.0.2")
    inside = serve("127.0.0.1", allowed.port)  # the same port, on the server's own loopback
    resolver["rebind.example"] = ["127.0.0.2", "127.0.0.1"]  # allowed first, inside after
    response = fetch(HostPolicy.parse("127.0.0.2"), allowed.url("rebind.example"))
    assert response.status_code == 200
    assert (allowed.requests, inside.requests) == (["GET /feed.csv"], [])


def test_dns_rebinding_after_the_profile_was_saved_is_refused_on_connect(
    serve: Callable[..., Server], resolver: dict[str, list[str]]
):
    inside = serve()
    resolver["rebind.example"] = ["93.184.215.14", "127.0.0.1"]  # public when saved
    check_url(inside.url("rebind.example"), NOBODY)  # resolves only: nothing is connected
    message = refusal(NOBODY, inside.url("rebind.example"))
    assert message.startswith("the host rebind.example resolves to 127.0.0.1, a loopback address")
    assert inside.requests == []


def test_the_address_connected_to_is_checked_too(serve: Callable[..., Server]):
    server = serve()
    # 0.0.0.0 is allowed here, but Linux connects it to 127.0.0.1, which is not.
    message = refusal(HostPolicy.parse("0.0.0.0"), server.url("0.0.0.0"))
    assert message.startswith("the connection to 0.0.0.0 arrived at 127.0.0.1, a loopback")
    assert server.requests == []


def test_an_unknown_name_is_an_httpx_connect_error(resolver: dict[str, list[str]]):
    resolver["gone.example"] = []
    with pytest.raises(httpx.ConnectError, match="Name or service not known"):
        fetch(NOBODY, "http://gone.example/feed.csv")


def test_a_proxy_from_the_environment_cannot_connect_for_us(
    serve: Callable[..., Server], monkeypatch: pytest.MonkeyPatch
):
    proxy = serve("127.0.0.2")
    inside = serve()
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.url().removesuffix("/feed.csv"))
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    refusal(HostPolicy.parse("127.0.0.2"), inside.url())
    assert (proxy.requests, inside.requests) == ([], [])


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8080/feed.csv", "is a loopback address"),
        ("https://localhost/feed.csv", "resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433/", "resolves to 127.0.0.1, a loopback address"),
        ("http://0x7f000001/", "resolves to 127.0.0.1, a loopback address"),
        ("http://127.1/", "resolves to 127.0.0.1, a loopback address"),
        ("http://[::1]/", "is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is an IPv6 form of 127.0.0.1, a loopback address"),
        ("http://[::ffff:7f00:1]/", "is an IPv6 form of 127.0.0.1, a loopback address"),
        ("http://[::7f00:1]/", "is an IPv6 form of 127.0.0.1, a loopback address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "IPv6 form of 169.254.169.254, a link-local address"),
        ("http://[2002:c0a8:101::1]/", "is an IPv6 form of 192.168.1.1, a private network"),
        ("http://[::ffff:10.0.0.1]/", "is an IPv6 form of 10.0.0.1, a private network"),
        ("http://0.0.0.0/", "is an unspecified address"),
        ("http://0.1.2.3/", "is an unspecified address"),
        ("http://[::]/", "is an unspecified address"),
        ("http://10.1.2.3/", "is a private network address"),
        ("http://172.16.0.1/", "is a private network address"),
        ("http://172.31.255.254/", "is a private network address"),
        ("http://192.168.1.1/", "is a private network address"),
        ("http://[fd00::1]/", "is a private network address"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address"),
        ("http://[fe80::1]/", "is a link-local address"),
        ("http://100.64.0.1/", "is an address of the shared address space 100.64.0.0/10"),
        ("http://224.0.0.1/", "is a multicast address"),
        ("http://[ff02::1]/", "is a multicast address"),
        ("http://240.0.0.1/", "is a reserved address"),
        ("http://255.255.255.255/", "is a reserved address"),
        ("http://192.0.2.1/", "is a special-purpose address that is not on the public internet"),
    ],
)
def test_check_url_refuses_the_servers_network_without_connecting(url: str, kind: str):
    # Literal addresses and localhost resolve on this machine alone.
    with pytest.raises(BlockedAddress, match="SYNCBEAT_ALLOWED_HOSTS") as caught:
        check_url(url, NOBODY)
    assert kind in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gopher://user:secret@files.example/feed.csv", "only http, https, ftp, ftps and "
                                                        "sftp addresses can be"),
        ("file:///etc/passwd", "only http, https, ftp, ftps and sftp addresses can be "
                               "fetched from or sent to"),
        ("http:///etc/passwd", "the address has no host name"),
        ("https://", "the address has no host name"),
        ("http://0177.0.0.1/", "the address is not valid (Invalid IPv4 address: '0177.0.0.1')"),
    ],
)
def test_check_url_refuses_what_is_not_an_http_address(url: str, message: str):
    with pytest.raises(FeedError) as caught:
        check_url(url, NOBODY)
    assert str(caught.value).startswith(message)
    assert not isinstance(caught.value, BlockedAddress)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://8.8.8.8/feed.csv", ""),
        ("https://[2001:4860:4860::8888]/feed.csv", ""),
        ("https://[::ffff:8.8.8.8]/feed.csv", ""),
        ("http://user:secret@10.1.2.3:8080/feed.csv", "10.0.0.0/8"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://[fd00::1]/", "fd00::/8"),
        ("http://[::ffff:10.1.2.3]/", "10.0.0.0/8"),
        ("http://localhost/", "localhost"),
        ("http://127.0.0.1/", "localhost 127.0.0.1"),
    ],
)
def test_check_url_accepts_public_and_allowed_addresses(url: str, allowed: str):
    check_url(url, HostPolicy.parse(allowed))


def test_check_url_accepts_a_name_that_does_not_resolve_now(resolver: dict[str, list[str]]):
    resolver["not-yet.example"] = []
    check_url("https://not-yet.example/feed.csv", NOBODY)  # checked again on connect


def test_host_policy_reads_entries_separated_by_commas_or_spaces():
    policy = HostPolicy.parse(" feeds.internal,10.0.0.0/8  fd00::/8 ,\n[::1] 192.168.1.5,")
    assert policy.allowed == ("feeds.internal", "10.0.0.0/8", "fd00::/8", "[::1]", "192.168.1.5")
    assert HostPolicy.parse(None) == HostPolicy.parse("  ") == HostPolicy()
    address = ipaddress.ip_address
    assert policy.allows("Feeds.Internal.", address("127.0.0.1"))
    assert policy.allows("anything", address("10.200.0.1"))
    assert policy.allows("anything", address("fd12::1"))
    assert policy.allows("anything", address("::1"))
    assert policy.allows("anything", address("192.168.1.5"))
    assert not policy.allows("anything", address("192.168.1.6"))
    assert not policy.allows("feeds.internal.example", address("127.0.0.1"))
    assert policy.allows("public.example", address("8.8.8.8"))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("http://feeds.internal", "is not a host name, an IP address or a network in CIDR form"),
        ("*.internal", "is not a host name, an IP address or a network in CIDR form"),
        ("feeds..internal", "is not a host name"),
        ("-feeds.internal", "is not a host name"),
        ("feeds.internal:8080", "is not a host name"),
        ("10.0.0.1/8", "is not a network in CIDR form like 10.0.0.0/8 or fd00::/8"),
        ("10.0.0.0/33", "is not a network in CIDR form"),
        ("fd00::/129", "is not a network in CIDR form"),
        ("2130706433", "is an address written as a number"),
        ("0x7f000001", "is an address written as a number"),
        ("127.1", "is an address written as a number"),
        ("0177.0.0.1", "is an address written as a number"),
    ],
)
def test_host_policy_names_a_bad_entry(entry: str, problem: str):
    with pytest.raises(ValueError) as caught:
        HostPolicy.parse(f"feeds.internal, {entry}")
    assert str(caught.value).startswith(f"SYNCBEAT_ALLOWED_HOSTS: {entry!r} {problem}")


@pytest.mark.parametrize(
    "text", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_not_blocked(text: str):
    assert blocked_kind(ipaddress.ip_address(text)) is None
