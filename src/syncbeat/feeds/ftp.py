"""ftp:// and ftps:// (explicit TLS, as `AUTH TLS` on port 21) sources and export destinations.

Every connection goes to an address the host guard allowed (feeds.netguard), resolved once;
the data connection of passive mode goes to that same address, whatever the server's PASV
answer names. A login comes from the URL (`ftp://USER:PASSWORD@host/path`; anonymous without
one); an export is stored under a temporary name and renamed, so the receiver never reads half
a file."""

from __future__ import annotations

import ftplib
import posixpath
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import Reach
from syncbeat.feeds.urls import excerpt

CHUNK = 1 << 16
SCHEMES = ("ftp", "ftps")


class TransientFtpError(FeedError):
    """A failure worth another try: no connection, a timeout, a 4xx reply."""


@contextmanager
def ftp_reading(url: str, *, reach: Reach, timeout: float, shown: str
                ) -> Iterator[Iterator[bytes]]:
    """The file at `url`, as chunks read from its data connection."""
    with _session(url, reach, timeout, shown) as (client, path):
        with _said(shown, timeout, f"reading {path}"):
            data = client.transfercmd(f"RETR {path}")
        whole = False
        try:
            def chunks() -> Iterator[bytes]:
                nonlocal whole
                with _said(shown, timeout, f"reading {path}"):
                    while chunk := data.recv(CHUNK):
                        yield chunk
                whole = True

            yield chunks()
        finally:
            data.close()
        if whole:  # the server's "226 transfer complete"; a cut read does not wait for it
            with _said(shown, timeout, f"reading {path}"):
                client.voidresp()


def ftp_store(local: Path, url: str, *, reach: Reach, timeout: float, file_name: str,
              shown: str) -> str:
    """Store the export at `url` (a folder when it ends with "/", where it is `file_name`);
    the path it was stored at."""
    with _session(url, reach, timeout, shown) as (client, path):
        target = path + file_name if path.endswith("/") else path
        folder, name = posixpath.split(target)
        with _said(shown, timeout, f"storing {target}"):
            if folder:
                client.cwd(folder)
            temp = f".{name}.part"
            with local.open("rb") as body:
                client.storbinary(f"STOR {temp}", body, CHUNK)
            try:
                client.delete(name)  # a server may refuse to rename over a file
            except ftplib.error_perm:
                pass
            client.rename(temp, name)
        return target


class _GuardedTLS(ftplib.FTP_TLS):
    """FTP_TLS whose certificate is checked against the host name, while it connects to the
    address the guard allowed."""

    checked_name = ""

    def auth(self) -> str:
        address, self.host = self.host, self.checked_name
        try:
            return str(super().auth())
        finally:
            self.checked_name, self.host = self.host, address

    def ntransfercmd(self, cmd: str, rest: int | str | None = None
                     ) -> tuple[socket.socket, int | None]:
        address, self.host = self.host, self.checked_name
        try:
            conn, size = super().ntransfercmd(cmd, rest)
            return conn, size
        finally:
            self.host = address


@contextmanager
def _session(url: str, reach: Reach, timeout: float, shown: str
             ) -> Iterator[tuple[ftplib.FTP, str]]:
    from syncbeat.feeds.netguard import HostPolicy, checked_addresses

    parts = urlsplit(url)
    secure = parts.scheme.lower() == "ftps"
    host = parts.hostname or ""
    port = parts.port or 21
    path = unquote(parts.path) or "/"
    addresses = checked_addresses(host, port, reach.hosts or HostPolicy())
    client: ftplib.FTP
    if secure:
        client = _GuardedTLS(context=ssl.create_default_context(), timeout=timeout)
        client.checked_name = host
    else:
        client = ftplib.FTP(timeout=timeout)
    problem: BaseException | None = None
    for address in addresses:
        try:
            client.connect(str(address), port, timeout)
            break
        except OSError as exc:
            problem = exc
    else:
        raise _words(problem or OSError("no address"), shown, timeout, "connecting")
    try:
        with _said(shown, timeout, "logging in"):
            client.login(unquote(parts.username or "anonymous"),
                         unquote(parts.password or "") if parts.username else "syncbeat@")
            if isinstance(client, ftplib.FTP_TLS):
                client.prot_p()  # the data connection is encrypted too
            client.set_pasv(True)
        yield client, path
    finally:
        try:
            client.quit()
        except (ftplib.Error, OSError, EOFError, AttributeError):
            client.close()


@contextmanager
def _said(shown: str, timeout: float, doing: str) -> Iterator[None]:
    try:
        yield
    except (ftplib.Error, OSError, EOFError) as exc:  # ssl.SSLError is an OSError
        raise _words(exc, shown, timeout, doing) from None


def _words(exc: BaseException, shown: str, timeout: float, doing: str) -> FeedError:
    """An FTP failure as an operator message; TransientFtpError when another try may help."""
    reply = excerpt(str(exc), 200)
    if isinstance(exc, ftplib.error_perm):
        if reply.startswith("530"):
            return FeedError(f"the FTP server of {shown} refused the login ({reply})")
        if reply.startswith("550"):
            return FeedError(f"the FTP server of {shown} refused {doing}: no such file or "
                             f"folder, or no permission ({reply})")
        return FeedError(f"the FTP server of {shown} refused {doing} ({reply})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FeedError(f"the TLS certificate of {shown} is not trusted: "
                         f"{exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        return FeedError(f"the TLS connection to {shown} failed while {doing}: {reply}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return TransientFtpError(f"the FTP server of {shown} did not answer within "
                                 f"{timeout:g} seconds while {doing}")
    if isinstance(exc, ConnectionRefusedError):
        return TransientFtpError(f"could not connect to {shown}: the connection was refused")
    if isinstance(exc, ftplib.error_temp):
        return TransientFtpError(f"the FTP server of {shown} answered {reply} while {doing}")
    return TransientFtpError(f"the connection to {shown} failed while {doing}: "
                             f"{reply or type(exc).__name__}")
