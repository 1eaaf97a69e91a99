"""Reach: which files syncbeat may read and write, and which hosts it may connect to.

The rule, checked when a profile is saved, again when a task starts or an export is delivered,
and by the preview:

- A location that is a path (relative to the data folder unless absolute; a `file://` URL is the
  same path) must resolve, after `..` and symbolic links, inside the data folder or inside a
  folder the operator allowed at start with SYNCBEAT_ALLOWED_PATHS.
- Inside the data folder, syncbeat's own files are out of reach: a feed or an export lives in a
  sub-folder (`feeds/`, `exports/`, any other), never at the top of the data folder (where the
  SQLite database with its -wal/-shm/-journal files, `secret.key` and `secrets.key` live, and
  whatever syncbeat keeps there later), never in `tasks/` (every task's snapshot and export file).
- Wherever it is: a hidden file or folder (a name starting with "."), the SQLite database and its
  companion files, and `/proc`, `/sys`, `/dev` are refused, even inside an allowed folder.
- Only regular files are read, checked on the opened file descriptor (no device, FIFO or socket,
  and no symbolic link swapped in after the check). A delivery creates folders only inside an
  allowed folder and replaces only a regular file.
- An http(s) URL must pass `feeds.netguard` (no loopback, private, link-local... address unless
  allowed with SYNCBEAT_ALLOWED_HOSTS), and every connection goes through its guarded client.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.urls import shown_url, url_problem, url_scheme

if TYPE_CHECKING:
    import httpx

    from syncbeat.feeds.netguard import HostPolicy

FTP_SCHEMES = ("ftp", "ftps")
SFTP = "sftp"
SOURCE = "source.location"
DESTINATION = "destination.location"
MAX_DOWNLOAD_BYTES = 2 << 30  # a remote feed's snapshot stops at 2 GiB
DOWNLOAD_SECONDS = 900.0  # and at 15 minutes, however slowly the server sends
MAX_UNPACKED_BYTES = 8 << 30  # a gzip or zip feed unpacks to 8 GiB at most (a zip bomb: error)
TASK_FILES = "tasks"  # the data folder's sub-folder of task files (engine.context.task_dir)
SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))
NAME_MAX = 255  # bytes of one name in a path (Linux, macOS and Windows file systems)
PATH_MAX = 4096  # bytes of a whole path (Linux)
_DB_COMPANIONS = ("", "-wal", "-shm", "-journal", "-gate")  # -gate: store/gate.py
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0))


class ReachError(FeedError):
    """A location syncbeat may not touch; `field` and `detail` feed a ProfileError."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        self.detail = detail
        super().__init__(f"{field} {detail}")


@dataclass(frozen=True, kw_only=True)
class Reach:
    """The files and hosts syncbeat may touch. Build it with `Reach.create`."""

    data_dir: Path  # resolved
    allowed_paths: tuple[Path, ...] = ()  # resolved
    # None: public addresses only. (feeds.netguard imports httpx, which most commands never
    # need: it is imported when a URL is checked.)
    hosts: HostPolicy | None = None
    database: Path | None = None  # the SQLite file, resolved, wherever it lives
    max_download: int = MAX_DOWNLOAD_BYTES
    download_seconds: float = DOWNLOAD_SECONDS
    max_unpacked: int = MAX_UNPACKED_BYTES
    # The data folder as the operator named it (`--data-dir syncbeat-data`), in messages: a
    # file looked for in it reads as they know it, relative to where they run syncbeat.
    shown_data_dir: Path | None = None

    @classmethod
    def create(cls, *, data_dir: Path, allowed_paths: tuple[Path, ...] = (),
               hosts: HostPolicy | None = None, database: Path | None = None,
               max_download: int = MAX_DOWNLOAD_BYTES,
               download_seconds: float = DOWNLOAD_SECONDS,
               max_unpacked: int = MAX_UNPACKED_BYTES,
               shown_data_dir: Path | None = None) -> Reach:
        """A Reach with every folder resolved, so comparisons see through symbolic links."""
        return cls(shown_data_dir=shown_data_dir, data_dir=data_dir.resolve(),
                   allowed_paths=tuple(p.resolve() for p in allowed_paths),
                   hosts=hosts,
                   database=database.resolve() if database else None,
                   max_download=max_download, download_seconds=download_seconds,
                   max_unpacked=max_unpacked)

    # ------------------------------------------------------------ the decision
    def refusal(self, path: Path) -> str | None:
        """Why the resolved `path` is out of reach, or None if syncbeat may touch it."""
        if self.database is not None and path in {
                self.database.with_name(self.database.name + end) for end in _DB_COMPANIONS}:
            return "is syncbeat's database"
        if os.name == "posix" and any(path.is_relative_to(s) for s in SYSTEM_FOLDERS):
            return "is a file of the operating system, not a feed"
        roots = [r for r in (self.data_dir, *self.allowed_paths) if path.is_relative_to(r)]
        if not roots:
            allowed = (f" ({', '.join(map(str, self.allowed_paths))})"
                       if self.allowed_paths else "")
            return (f"is outside the data folder ({self.data_dir}) and the folders allowed "
                    f"with SYNCBEAT_ALLOWED_PATHS{allowed}")
        if any(part.startswith(".") for root in roots for part in path.relative_to(root).parts):
            return "is a hidden file or in a hidden folder, which syncbeat never reads or writes"
        if path.is_relative_to(self.data_dir):
            inner = path.relative_to(self.data_dir).parts
            if len(inner) <= 1:
                return ("is at the top of the data folder, where syncbeat keeps its own files; "
                        "put feeds and exports in a folder such as feeds/ or exports/")
            if inner[0] == TASK_FILES:
                return f"is in {TASK_FILES}/, the folder of syncbeat's own task files"
        return None

    # ------------------------------------------------------------ paths
    def shown_path(self, path: Path) -> str:
        """`path` (resolved) as a message names it: inside the data folder, under the name
        the operator gave the folder; elsewhere, as it is."""
        if self.shown_data_dir is None or not path.is_relative_to(self.data_dir):
            return str(path)
        return str(self.shown_data_dir / path.relative_to(self.data_dir))

    def resolve(self, location: str, field: str) -> Path:
        """The path a file location names (relative to the data folder), fully resolved."""
        location = location.strip()
        shown = shown_url(location)
        if "\x00" in location:
            raise ReachError(field, f"{shown!r} holds a NUL character, which no file name can")
        if url_scheme(location) == "file":
            parts = urlsplit(location)
            if parts.netloc not in ("", "localhost"):
                raise ReachError(field, f"{shown} names another machine ({parts.hostname}); "
                                        "a file:// URL can only name a file of this one")
            path = Path(url2pathname(parts.path))
        else:
            path = Path(location).expanduser()
        if not path.is_absolute():
            path = self.data_dir / path
        longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
        if longest > NAME_MAX or len(os.fsencode(str(path))) > PATH_MAX:
            raise ReachError(field, f"{shown[:80]}... is too long for a file name: at most "
                                    f"{NAME_MAX} bytes a name and {PATH_MAX} in all")
        try:
            return path.resolve()
        except (OSError, RuntimeError) as exc:  # a loop of symbolic links
            raise ReachError(field, f"{shown} cannot be followed: {exc}") from None

    def _checked(self, path: Path, location: str, field: str) -> Path:
        problem = self.refusal(path)
        if problem:
            raise ReachError(field, f"{shown_url(location.strip())} {problem}")
        return path

    def source_path(self, location: str, field: str = SOURCE) -> Path:
        """The file a source location names, if syncbeat may read it; else ReachError."""
        return self._checked(self.resolve(location, field), location, field)

    def destination_path(self, location: str, file_name: str, field: str = DESTINATION
                         ) -> tuple[Path, bool]:
        """The file an export is written to, and whether the destination is a folder (ending
        with "/" or existing), where it is written as `file_name`; ReachError if out of reach."""
        path = self.resolve(location, field)
        folder = location.strip().endswith(("/", os.sep)) or path.is_dir()
        if folder:
            path = path / file_name
        self._checked(path, location, field)
        if path.exists() and not path.is_file():
            raise ReachError(field, f"{shown_url(location.strip())} is not a regular file; "
                                    "an export replaces only a regular file")
        return path, folder

    def check_location(self, location: str, field: str, *, export: bool) -> None:
        """Check a profile's location as it is saved: a path in reach (a regular file if it
        exists), or an http(s), ftp(s) or sftp URL to an allowed host. Raises ReachError."""
        scheme = url_scheme(location.strip())
        if scheme in ("http", "https", *FTP_SCHEMES, SFTP):
            self.check_url(location, field)
        elif scheme and scheme != "file":
            verb = "deliver to" if export else "read"
            raise ReachError(field, f"{shown_url(location)}: syncbeat cannot {verb} {scheme}:// "
                                    "locations; use a file path or an http(s), ftp(s) or sftp URL")
        elif export:
            self.destination_path(location, "export.json", field)
        else:
            path = self.source_path(location, field)
            if path.exists() and not path.is_file():
                raise ReachError(field, f"{shown_url(location.strip())} {_kind_of(path)}")

    def open_source(self, location: str, field: str = SOURCE) -> BinaryIO:
        """The source file opened for reading, checked on its descriptor: a regular file, and
        still inside reach (a symbolic link swapped in after the check is refused)."""
        path = self.source_path(location, field)
        shown = shown_url(location.strip())
        named = self.shown_path(path)
        looked = "" if named == location.strip() else f" (looked for {named})"
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except FileNotFoundError:
            raise FeedError(f"the file {shown} does not exist{looked}") from None
        except PermissionError:
            raise FeedError(f"syncbeat is not allowed to read {shown} (permission denied)"
                            ) from None
        except OSError as exc:
            raise FeedError(f"the file {shown} cannot be read: {exc.strerror or exc}") from None
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise FeedError(f"{shown} is a folder, not a file{looked}")
            if not stat.S_ISREG(mode):  # a FIFO or a device would never end
                raise ReachError(field, f"{shown} {_kind_of_mode(mode)}")
            self._checked(_opened_path(fd, path), location, field)
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def make_folders(self, folder: Path, field: str = DESTINATION) -> None:
        """Create `folder` (resolved) and its missing parents, but never an allowed folder
        itself nor anything outside one."""
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        roots = (self.data_dir, *self.allowed_paths)
        for path in missing:
            if not any(path.is_relative_to(r) and path != r for r in roots):
                raise ReachError(field, f"{folder} is not inside a folder syncbeat may create "
                                        "folders in")
        folder.mkdir(parents=True, exist_ok=True)

    def check_written(self, fd: int, temp: Path, target: Path, location: str,
                      field: str = DESTINATION) -> None:
        """Check that the temporary file `temp`, just created beside `target` to replace it,
        really is in the target's folder (no folder was swapped for a link meanwhile)."""
        actual = _opened_path(fd, temp)
        if actual.parent != target.parent:
            raise ReachError(field, f"{shown_url(location)} moved while it was written "
                                    f"({actual.parent})")
        self._checked(target, location, field)

    # ------------------------------------------------------------ network
    def check_url(self, url: str, field: str) -> None:
        """An http(s) or ftp(s) URL's host must be allowed: ReachError if it is not."""
        from syncbeat.feeds.netguard import HostPolicy, check_url

        problem = url_problem(url)
        if problem:
            raise ReachError(field, f"{shown_url(url.strip())}: the address is not valid "
                                    f"({problem})")
        try:
            check_url(url.strip(), self.hosts or HostPolicy())
        except FeedError as exc:
            raise ReachError(field, f"{shown_url(url.strip())}: {exc}") from None

    def client(self, *, timeout: float, follow_redirects: bool = True) -> httpx.Client:
        """An HTTP client that connects only to allowed addresses, after redirects too."""
        from syncbeat.feeds.netguard import HostPolicy, guarded_client

        return guarded_client(self.hosts or HostPolicy(), timeout=timeout,
                              follow_redirects=follow_redirects)


def _opened_path(fd: int, path: Path) -> Path:
    """Where an open file really is: Linux tells through /proc; elsewhere the path it was
    opened by must still name the same file."""
    link = f"/proc/self/fd/{fd}"
    if os.path.islink(link):
        return Path(os.readlink(link))
    opened, named = os.fstat(fd), os.stat(path)
    if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
        raise FeedError(f"{path} changed while it was opened")
    return path


def _kind_of(path: Path) -> str:
    return _kind_of_mode(path.stat().st_mode)


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (a named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"
