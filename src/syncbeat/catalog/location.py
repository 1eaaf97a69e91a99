"""Where the catalog lives: `builtin` (syncbeat's own products table) or a PrestaShop shop's
database, `prestashop://USER:PASSWORD@HOST:3306/DBNAME?prefix=ps_&shop=1&lang=1`.

Parsed once at start from SYNCBEAT_CATALOG or --catalog. The password is kept for the
connection only: every text meant for people (`shown`, errors) has it as `***`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from syncbeat.feeds.urls import MASK, shown_url

if TYPE_CHECKING:
    import sqlalchemy as sa

ENV_CATALOG = "SYNCBEAT_CATALOG"
BUILTIN = "builtin"
SCHEME = "prestashop"
DEFAULT_PREFIX = "ps_"
DEFAULT_PORT = 3306
PARAMETERS = ("prefix", "shop", "lang")
PREFIX_RE = re.compile(r"[A-Za-z0-9_]{0,32}")  # PrestaShop's own installer takes the same
EXAMPLE = "prestashop://USER:PASSWORD@HOST:3306/DBNAME?prefix=ps_&shop=1&lang=1"
DRIVER = "mysql+pymysql"  # see docs/performance.md, "MySQL driver"


class CatalogUrlError(ValueError):
    """A catalog setting with a mistake, in one line without the password."""


Problem = Callable[[str], CatalogUrlError]


@dataclass(frozen=True, kw_only=True)
class BuiltinLocation:
    """The products table in syncbeat's own database (the default)."""

    kind: str = field(default=BUILTIN, init=False)

    @property
    def shown(self) -> str:
        """The setting as people see it."""
        return BUILTIN


@dataclass(frozen=True, kw_only=True)
class PrestashopLocation:
    """A PrestaShop shop's MySQL/MariaDB database. `shop` and `lang` None: the shop's own
    defaults (PS_SHOP_DEFAULT, PS_LANG_DEFAULT in its configuration table)."""

    user: str
    password: str = field(repr=False)
    host: str
    port: int = DEFAULT_PORT
    database: str
    prefix: str = DEFAULT_PREFIX
    shop: int | None = None
    lang: int | None = None
    kind: str = field(default=SCHEME, init=False)

    @property
    def shown(self) -> str:
        """The URL with the password as ***: for logs, errors, pages and `settings`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        secret = f":{MASK}" if self.password else ""
        query = [f"prefix={self.prefix}"]
        query += [f"{name}={value}" for name, value in (("shop", self.shop), ("lang", self.lang))
                  if value is not None]
        return (f"{SCHEME}://{quote(self.user, safe='')}{secret}@{host}:{self.port}/"
                f"{quote(self.database, safe='')}?{'&'.join(query)}")

    @property
    def server(self) -> str:
        """host:port, for messages about reaching the server."""
        return f"{self.host}:{self.port}"

    def table(self, name: str) -> str:
        """A PrestaShop table's name with this shop's prefix: table("product") -> ps_product."""
        return f"{self.prefix}{name}"

    def sqlalchemy_url(self) -> sa.URL:
        """The URL to connect with (the real password: never show it)."""
        import sqlalchemy as sa

        return sa.URL.create(DRIVER, username=self.user, password=self.password or None,
                             host=self.host, port=self.port, database=self.database,
                             query={"charset": "utf8mb4"})


CatalogLocation = BuiltinLocation | PrestashopLocation


def parse_catalog(text: str | None) -> CatalogLocation:
    """The catalog named by SYNCBEAT_CATALOG or --catalog; CatalogUrlError says what is wrong,
    in one line that names the problem and never the password."""
    value = (text or "").strip()
    if not value or value.lower() == BUILTIN:
        return BuiltinLocation()
    shown = shown_url(value)  # the password masked, even in a URL that does not parse

    def bad(problem: str) -> CatalogUrlError:
        return CatalogUrlError(f"{ENV_CATALOG}: {shown}: {problem}")

    scheme, sep, _ = value.partition("://")
    if not sep:
        raise bad(f"write {BUILTIN} or a URL like {EXAMPLE}")
    if scheme.lower() != SCHEME:
        raise bad(f"unknown kind of catalog '{scheme}': write {BUILTIN} or {SCHEME}://...")
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise bad(f"the port '{raw}' is not a port number (1 to 65535, e.g. 3306)") from None
    if port == 0:
        raise bad("the port 0 is not a port number (1 to 65535, e.g. 3306)")
    if not parts.hostname:
        raise bad("the server's host name is missing (...@HOST:3306/DBNAME)")
    if parts.username is None or not unquote(parts.username):
        raise bad("the database user is missing (prestashop://USER:PASSWORD@HOST...)")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise bad("the database name is missing (...@HOST:3306/DBNAME)")
    if "/" in database:
        raise bad(f"'{database}' is not a database name (write only one name after the host)")
    if parts.fragment:
        raise bad(f"'#{parts.fragment}' has no meaning here: remove it")
    options = _query(parts.query, bad)
    prefix = options.get("prefix", DEFAULT_PREFIX)
    if not PREFIX_RE.fullmatch(prefix):
        raise bad(f"the table prefix '{prefix}' may hold only letters, digits and _ "
                  "(at most 32), e.g. prefix=ps_")
    return PrestashopLocation(
        user=unquote(parts.username), password=unquote(parts.password or ""),
        host=parts.hostname, port=port or DEFAULT_PORT, database=database, prefix=prefix,
        shop=_id(options, "shop", "the shop", bad), lang=_id(options, "lang", "the language", bad))


def _query(query: str, bad: Problem) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in PARAMETERS:
            raise bad(f"unknown parameter '{name}' (known: {', '.join(PARAMETERS)})")
        if name in found:
            raise bad(f"the parameter '{name}' is given twice")
        found[name] = value
    return found


def _id(options: dict[str, str], name: str, words: str, bad: Problem) -> int | None:
    if name not in options:
        return None
    value = options[name]
    if not (value.isascii() and value.isdigit()) or int(value) == 0 or len(value) > 10:
        raise bad(f"{name}={value}: {words} is a whole number, its id in PrestaShop "
                  f"(e.g. {name}=1), or leave it out for the shop's default")
    return int(value)
