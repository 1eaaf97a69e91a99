"""Where syncbeat keeps its data and what it may reach, read from the environment at start
(injectable for tests). None of it can be changed through the web, the API or `settings`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from syncbeat.catalog.location import (
    ENV_CATALOG,
    BuiltinLocation,
    CatalogLocation,
    CatalogUrlError,
    parse_catalog,
)
from syncbeat.store.vault import ENV_SECRET_KEY

if TYPE_CHECKING:
    from syncbeat.feeds.netguard import HostPolicy

ENV_DATA_DIR = "SYNCBEAT_DATA_DIR"
ENV_DATABASE_URL = "SYNCBEAT_DATABASE_URL"
ENV_ALLOWED_PATHS = "SYNCBEAT_ALLOWED_PATHS"
ENV_ALLOWED_HOSTS = "SYNCBEAT_ALLOWED_HOSTS"
DEFAULT_DATA_DIR = "./syncbeat-data"


class SettingsError(ValueError):
    """A process setting with a mistake, in one line that names its variable."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Process settings: the data folder, the database, the folders and hosts beyond the data
    folder and public addresses that feeds may reach. Run-time settings live in the DB."""

    data_dir: Path
    database_url: str
    allowed_paths: tuple[Path, ...] = ()
    allowed_hosts: HostPolicy | None = None  # None: public addresses only
    catalog: CatalogLocation = field(default_factory=BuiltinLocation)
    secret_key: str | None = field(default=None, repr=False)  # None: data folder's key file

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read SYNCBEAT_DATA_DIR and SYNCBEAT_DATABASE_URL (defaults: ./syncbeat-data, SQLite),
        SYNCBEAT_ALLOWED_PATHS, SYNCBEAT_ALLOWED_HOSTS, SYNCBEAT_CATALOG (default: builtin) and
        SYNCBEAT_SECRET_KEY;
        SettingsError names a bad value."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)
        url = env.get(ENV_DATABASE_URL) or f"sqlite:///{(data_dir / 'syncbeat.db').resolve()}"
        return cls(data_dir=data_dir, database_url=url,
                   allowed_paths=allowed_paths(env.get(ENV_ALLOWED_PATHS)),
                   allowed_hosts=allowed_hosts(env.get(ENV_ALLOWED_HOSTS)),
                   catalog=catalog_location(env.get(ENV_CATALOG)),
                   secret_key=(env.get(ENV_SECRET_KEY) or "").strip() or None)

def allowed_paths(text: str | None) -> tuple[Path, ...]:
    """The folders of SYNCBEAT_ALLOWED_PATHS (separated like PATH: /srv/feeds:/srv/exports);
    each must be an existing folder, written as an absolute path."""
    found = []
    for entry in (text or "").split(os.pathsep):
        if not entry.strip():
            continue
        path = Path(entry.strip()).expanduser()
        if not path.is_absolute():
            raise SettingsError(f"{ENV_ALLOWED_PATHS}: {entry!r} is not an absolute path "
                                f"(write folders like /srv/feeds{os.pathsep}/srv/exports)")
        if not path.is_dir():
            raise SettingsError(f"{ENV_ALLOWED_PATHS}: {entry} is not an existing folder")
        found.append(path)
    return tuple(found)


def catalog_location(text: str | None) -> CatalogLocation:
    """The catalog of SYNCBEAT_CATALOG: builtin (the default) or a prestashop:// URL."""
    try:
        return parse_catalog(text)
    except CatalogUrlError as exc:
        raise SettingsError(str(exc)) from None


def allowed_hosts(text: str | None) -> HostPolicy | None:
    """The hosts of SYNCBEAT_ALLOWED_HOSTS, or None when it is not set."""
    if not (text or "").strip():
        return None
    from syncbeat.feeds.netguard import HostPolicy  # imported when set: it imports httpx

    try:
        return HostPolicy.parse(text)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
