"""A real SFTP server (paramiko's server classes) on 127.0.0.1, serving a folder to one user
with a password, for the tests of sftp:// sources and destinations."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paramiko

USER = "shop"
PASSWORD = "sftp-S3cret"


class _Auth(paramiko.ServerInterface):
    def check_auth_password(self, username: str, password: str) -> int:
        if (username, password) == (USER, PASSWORD):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _Handle(paramiko.SFTPHandle):
    def stat(self) -> Any:
        return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))


def _folder(root: Path) -> type[paramiko.SFTPServerInterface]:
    class Folder(paramiko.SFTPServerInterface):
        def _path(self, path: str) -> Path:
            return root / path.lstrip("/")

        def _error(self, exc: OSError) -> int:
            return paramiko.SFTPServer.convert_errno(exc.errno or 2)

        def open(self, path: str, flags: int, attr: Any) -> Any:
            try:
                fd = os.open(self._path(path), flags, 0o644)
            except OSError as exc:
                return self._error(exc)
            mode = "wb" if flags & os.O_WRONLY else "rb" if not flags & os.O_RDWR else "r+b"
            handle = _Handle(flags)
            handle.readfile = handle.writefile = os.fdopen(fd, mode)
            return handle

        def stat(self, path: str) -> Any:
            try:
                return paramiko.SFTPAttributes.from_stat(os.stat(self._path(path)))
            except OSError as exc:
                return self._error(exc)

        lstat = stat

        def list_folder(self, path: str) -> Any:
            try:
                return [paramiko.SFTPAttributes.from_stat(os.stat(p), p.name)
                        for p in self._path(path).iterdir()]
            except OSError as exc:
                return self._error(exc)

        def remove(self, path: str) -> int:
            try:
                os.remove(self._path(path))
            except OSError as exc:
                return self._error(exc)
            return paramiko.SFTP_OK

        def rename(self, old: str, new: str) -> int:
            if self._path(new).exists():
                return paramiko.SFTP_FAILURE
            os.rename(self._path(old), self._path(new))
            return paramiko.SFTP_OK

        def posix_rename(self, old: str, new: str) -> int:
            try:
                os.replace(self._path(old), self._path(new))
            except OSError as exc:
                return self._error(exc)
            return paramiko.SFTP_OK

    return Folder


class SftpServer:
    """Serves `root` to USER/PASSWORD with the host key `key`; `connections` counts the
    connections that arrived."""

    def __init__(self, root: Path, key: paramiko.PKey | None = None) -> None:
        self.key = key or paramiko.ECDSAKey.generate()
        self.root = root
        self.connections = 0
        self.drop = 0  # connections to hang up on at once, as a server briefly down would
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self._stop = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            if self.drop:
                self.drop -= 1
                sock.close()
                continue
            transport = paramiko.Transport(sock)
            transport.add_server_key(self.key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _folder(self.root))
            self._transports.append(transport)
            try:
                transport.start_server(server=_Auth())
            except (paramiko.SSHException, OSError, EOFError):
                transport.close()  # a client that only read the key, or hung up

    @property
    def fingerprint(self) -> str:
        return str(self.key.fingerprint)

    def url(self, path: str, login: str = f"{USER}:{PASSWORD}") -> str:
        return f"sftp://{login}@127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(10)
        for transport in self._transports:
            transport.close()
        self.listener.close()


@contextmanager
def sftp_server(root: Path, key: paramiko.PKey | None = None) -> Iterator[SftpServer]:
    """An SftpServer for the length of a `with` block."""
    server = SftpServer(root, key)
    try:
        yield server
    finally:
        server.stop()


# The server side logs a client that hangs up as an error; the tests need no such noise.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)
