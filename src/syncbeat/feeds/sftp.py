"""sftp:// sources and export destinations, over paramiko, with the server's host key checked
against `known_hosts` in the data folder. A key seen for the first time is never accepted by
itself: the task says which key the server showed, and an operator accepts it (`syncbeat
profile accept-host-key`, or the button on the profile's page) after comparing it with the one
the server's owner gives; a key that changed is refused."""

from __future__ import annotations

import os
import posixpath
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import Reach
from syncbeat.feeds.urls import shown_url

if TYPE_CHECKING:
    import paramiko

KNOWN_HOSTS = "known_hosts"  # in the data folder, in OpenSSH's format
CHUNK = 1 << 15
PORT = 22


class TransientSftpError(FeedError):
    """A failure worth another try: no connection, a timeout, a dropped session."""


@dataclass(frozen=True, kw_only=True)
class HostKey:
    """The key an SFTP server showed, and how it stands against known_hosts."""

    host: str  # as known_hosts names it: "files.example" or "[files.example]:2222"
    kind: str  # "ssh-ed25519", "ecdsa-sha2-nistp256", ...
    fingerprint: str  # "SHA256:..."
    status: str  # "known" | "unknown" | "changed"

    def words(self) -> str:
        """The key in one line."""
        return f"{self.kind} {self.fingerprint}"


class UnknownHostKey(FeedError):
    """The server showed a key known_hosts does not hold (or holds another one)."""

    def __init__(self, message: str, key: HostKey) -> None:
        super().__init__(message)
        self.key = key


def naming_profile(message: str, profile: int | str | None) -> str:
    """A message that says `accept-host-key PROFILE`, with the profile's id in its place."""
    if profile is None:
        return message
    return message.replace("accept-host-key PROFILE ", f"accept-host-key {profile} ")


def known_hosts_of(reach: Reach) -> Path:
    """The known_hosts file of this data folder."""
    return reach.data_dir / KNOWN_HOSTS


@contextmanager
def sftp_reading(url: str, *, reach: Reach, timeout: float, shown: str
                 ) -> Iterator[Iterator[bytes]]:
    """The file at `url`, as chunks."""
    with _session(url, reach, timeout, shown) as (client, path):
        try:
            remote = client.open(path, "rb")
        except OSError as exc:
            raise _refused(exc, shown, f"reading {path}") from None
        with remote:
            def chunks() -> Iterator[bytes]:
                with _said(shown, timeout, f"reading {path}"):
                    while chunk := remote.read(CHUNK):
                        yield chunk

            yield chunks()


def sftp_store(local: Path, url: str, *, reach: Reach, timeout: float, file_name: str,
               shown: str) -> str:
    """Store the export at `url` (a folder when it ends with "/"), as .NAME.part renamed."""
    with _session(url, reach, timeout, shown) as (client, path):
        target = path + file_name if path.endswith("/") else path
        folder, name = posixpath.split(target)
        temp = posixpath.join(folder, f".{name}.part")
        with _said(shown, timeout, f"storing {target}"):
            try:
                with local.open("rb") as body:
                    client.putfo(body, temp, confirm=True)
                try:
                    client.posix_rename(temp, target)
                except OSError:  # a server without the extension: rename refuses to replace
                    _remove_quietly(client, target)
                    client.rename(temp, target)
            except OSError as exc:
                if isinstance(exc, TimeoutError | socket.timeout):
                    raise
                raise _refused(exc, shown, f"storing {target}") from None
        return target


def scan_host_key(url: str, *, reach: Reach, timeout: float) -> HostKey:
    """Connect only as far as the server's key, and tell it with its status."""
    transport, host = _transport(url, reach, timeout, shown=shown_url(url))
    try:
        return _status(reach, host, transport.get_remote_server_key())
    finally:
        transport.close()


def accept_host_key(url: str, fingerprint: str, *, reach: Reach, timeout: float) -> HostKey:
    """Add the server's key to known_hosts if it is the one `fingerprint` names (what the
    operator was shown); FeedError if the server shows another one now."""
    import paramiko

    transport, host = _transport(url, reach, timeout, shown=shown_url(url))
    try:
        key = transport.get_remote_server_key()
    finally:
        transport.close()
    found = _status(reach, host, key)
    if found.fingerprint != fingerprint.strip():
        raise FeedError(f"the server {host} shows the key {found.words()} now, not "
                        f"{fingerprint.strip()}: nothing was accepted")
    path = known_hosts_of(reach)
    keys = paramiko.HostKeys()
    if path.exists():
        keys.load(str(path))
    if found.status == "changed":
        keys.pop(host, None)
    keys.add(host, key.get_name(), key)
    temp = path.with_name(f".{KNOWN_HOSTS}.{os.getpid()}")
    keys.save(str(temp))
    os.chmod(temp, 0o600)
    os.replace(temp, path)
    return HostKey(host=host, kind=found.kind, fingerprint=found.fingerprint, status="known")


def _status(reach: Reach, host: str, key: Any) -> HostKey:
    import paramiko

    path = known_hosts_of(reach)
    keys = paramiko.HostKeys()
    if path.exists():
        try:
            keys.load(str(path))
        except (OSError, paramiko.SSHException) as exc:
            raise FeedError(f"the known hosts file {path} cannot be read: {exc}") from None
    known = keys.lookup(host)
    status = "unknown"
    if known is not None:
        status = "known" if known.get(key.get_name()) == key else "changed"
    return HostKey(host=host, kind=key.get_name(), fingerprint=key.fingerprint, status=status)


def _transport(url: str, reach: Reach, timeout: float, shown: str
               ) -> tuple[paramiko.Transport, str]:
    import paramiko

    from syncbeat.feeds.netguard import HostPolicy, checked_addresses

    parts = urlsplit(url)
    name = parts.hostname or ""
    port = parts.port or PORT
    host = name if port == PORT else f"[{name}]:{port}"
    addresses = checked_addresses(name, port, reach.hosts or HostPolicy())
    problem: BaseException = OSError("no address")
    for address in addresses:
        try:
            sock = socket.create_connection((str(address), port), timeout)
            break
        except OSError as exc:
            problem = exc
    else:
        raise _words(problem, shown, timeout, "connecting")
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = transport.handshake_timeout = timeout
        with _said(shown, timeout, "connecting"):
            transport.start_client(timeout=timeout)
    except BaseException:
        transport.close()
        raise
    return transport, host


@contextmanager
def _session(url: str, reach: Reach, timeout: float, shown: str
             ) -> Iterator[tuple[paramiko.SFTPClient, str]]:
    import paramiko

    parts = urlsplit(url)
    transport, host = _transport(url, reach, timeout, shown)
    try:
        found = _status(reach, host, transport.get_remote_server_key())
        if found.status == "unknown":
            raise UnknownHostKey(
                f"the SFTP server {host} is not known yet: it shows the host key "
                f"{found.words()}. If that is your server's key, accept it with `syncbeat "
                f"profile accept-host-key PROFILE {found.fingerprint}` or on the profile's "
                "page; syncbeat never accepts a key by itself", found)
        if found.status == "changed":
            raise UnknownHostKey(
                f"the host key of the SFTP server {host} changed: it shows {found.words()}, "
                f"not the key in {known_hosts_of(reach)}. Someone may stand between syncbeat "
                "and the server; if its owner says the key really changed, accept the new "
                "one on the profile's page", found)
        with _said(shown, timeout, "logging in"):
            try:
                transport.auth_password(unquote(parts.username or ""),
                                        unquote(parts.password or ""))
            except paramiko.AuthenticationException:
                raise FeedError(f"the SFTP server of {shown} refused the login") from None
            client = paramiko.SFTPClient.from_transport(transport)
            assert client is not None
            client.get_channel().settimeout(timeout)
        with client:
            yield client, unquote(parts.path) or "/"
    finally:
        transport.close()


def _remove_quietly(client: paramiko.SFTPClient, path: str) -> None:
    try:
        client.remove(path)
    except OSError:
        pass


@contextmanager
def _said(shown: str, timeout: float, doing: str) -> Iterator[None]:
    import paramiko

    try:
        yield
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise _words(exc, shown, timeout, doing) from None


def _refused(exc: OSError, shown: str, doing: str) -> FeedError:
    return FeedError(f"the SFTP server of {shown} refused {doing}: "
                     f"{exc.strerror or exc or 'no such file or no permission'}")


def _words(exc: BaseException, shown: str, timeout: float, doing: str) -> FeedError:
    if isinstance(exc, TimeoutError | socket.timeout):
        return TransientSftpError(f"the SFTP server of {shown} did not answer within "
                                  f"{timeout:g} seconds while {doing}")
    if isinstance(exc, ConnectionRefusedError):
        return TransientSftpError(f"could not connect to {shown}: the connection was refused")
    return TransientSftpError(f"the connection to {shown} failed while {doing}: "
                              f"{str(exc) or type(exc).__name__}")
