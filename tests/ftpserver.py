"""A real FTP server (pyftpdlib) on 127.0.0.1, plain or with explicit TLS (AUTH TLS), serving
a folder, for the tests of ftp:// and ftps:// sources and destinations."""

from __future__ import annotations

import datetime
import ipaddress
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "shop"
PASSWORD = "ftp-S3cret:pw"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "ftp-cert.pem", folder / "ftp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class FtpServer:
    """Serves `root` to USER/PASSWORD; `tls`: (certificate, key) for AUTH TLS, required on
    the control and data connections. `logins` counts the connections that arrived."""

    def __init__(self, root: Path, tls: tuple[Path, Path] | None = None) -> None:
        with warnings.catch_warnings():
            # pyftpdlib runs on asyncore, which Python 3.11 calls deprecated; it is the
            # test's server, not syncbeat's code.
            warnings.simplefilter("ignore", DeprecationWarning)
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
            from pyftpdlib.servers import FTPServer

        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, str(root), perm="elradfmwMT")
        server = self
        self.connections = 0
        base = TLS_FTPHandler if tls else FTPHandler

        class Handler(base):  # type: ignore[misc, valid-type]
            def on_connect(self) -> None:
                server.connections += 1

        Handler.authorizer = authorizer
        if tls:
            Handler.certfile, Handler.keyfile = str(tls[0]), str(tls[1])
            Handler.tls_control_required = True
            Handler.tls_data_required = True
        self.server = FTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.address[1])
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self.server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        self.server.close_all()

    def url(self, path: str, scheme: str = "ftp", login: str = f"{USER}:ftp-S3cret%3Apw") -> str:
        return f"{scheme}://{login}@127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(10)


@contextmanager
def ftp_server(root: Path, tls: tuple[Path, Path] | None = None) -> Iterator[FtpServer]:
    """An FtpServer for the length of a `with` block."""
    server = FtpServer(root, tls)
    try:
        yield server
    finally:
        server.stop()
