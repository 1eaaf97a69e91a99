"""The shop a PrestaShop catalog works on, read once from the shop's database: its id, its
language, its languages, where its stock rows live, its home category and its time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import CatalogUnusable
from syncbeat.catalog.location import PrestashopLocation
from syncbeat.catalog.prestashop.schema import LANG_KEY, SHOP_KEY

HOME_KEY = "PS_HOME_CATEGORY"  # where a created product goes, unless the catalog says
TIMEZONE_KEY = "PS_TIMEZONE"  # PrestaShop writes date_add and date_upd in the shop's time


class ShopNotUsable(CatalogUnusable):
    """The shop or language of the catalog URL is not there; `syncbeat catalog check` says
    more."""


@dataclass(frozen=True, kw_only=True)
class Shop:
    """What every statement of the catalog needs to know about the shop."""

    shop: int
    lang: int
    langs: tuple[int, ...]  # the shop's languages (lang_shop): a created product's names
    stock_shop: int  # stock_available.id_shop of the shop's rows: 0 when its group shares
    stock_group: int  # stock_available.id_shop_group: 0 unless the group shares its stock
    category: int  # a created product's category, unless the profile says
    zone: tzinfo
    product_type: bool = False  # has product.product_type (PrestaShop 8): created "standard"

    def local(self, moment: datetime) -> datetime:
        """`moment` as PrestaShop writes it in date_upd: the shop's wall-clock time."""
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def aware(self, stored: object) -> datetime | None:
        """A date_upd read from the shop, with its time zone; None for a zero date
        ('0000-00-00 00:00:00', which the driver gives as text)."""
        return stored.replace(tzinfo=self.zone) if isinstance(stored, datetime) else None


def read_shop(conn: Connection, location: PrestashopLocation, category: int | None) -> Shop:
    """The shop of `location` (its defaults from the configuration where the URL is silent)."""
    t = location.table
    config: dict[str, str] = {}
    rows = conn.exec_driver_sql(
        f"SELECT name, value FROM `{t('configuration')}` WHERE name IN (%s, %s, %s, %s) "
        "ORDER BY (id_shop IS NULL AND id_shop_group IS NULL) DESC, id_configuration",
        (SHOP_KEY, LANG_KEY, HOME_KEY, TIMEZONE_KEY))
    for name, value in rows:
        config.setdefault(str(name), "" if value is None else str(value).strip())
    shop_id = location.shop or _number(config.get(SHOP_KEY), "PS_SHOP_DEFAULT")
    lang_id = location.lang or _number(config.get(LANG_KEY), "PS_LANG_DEFAULT")
    found = conn.exec_driver_sql(
        f"SELECT s.id_shop_group, s.id_category, g.share_stock FROM `{t('shop')}` s "
        f"JOIN `{t('shop_group')}` g ON g.id_shop_group = s.id_shop_group "
        "WHERE s.id_shop = %s AND s.deleted = 0", (shop_id,)).first()
    if found is None:
        raise ShopNotUsable(f"the shop {shop_id} is not in {t('shop')}")
    group, root, shared = int(found[0]), int(found[1]), bool(found[2])
    langs = tuple(int(r[0]) for r in conn.exec_driver_sql(
        f"SELECT id_lang FROM `{t('lang_shop')}` WHERE id_shop = %s ORDER BY id_lang",
        (shop_id,)))
    if lang_id not in langs:
        raise ShopNotUsable(f"the language {lang_id} is not one of the shop {shop_id}'s")
    home = config.get(HOME_KEY, "")
    product_type = conn.exec_driver_sql(
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = %s AND COLUMN_NAME = 'product_type'", (t("product"),)).scalar_one()
    return Shop(shop=shop_id, lang=lang_id, langs=langs,
                stock_shop=0 if shared else shop_id, stock_group=group if shared else 0,
                category=category or (int(home) if home.isdigit() else root),
                zone=_zone(config.get(TIMEZONE_KEY)), product_type=bool(product_type))


def _number(value: str | None, key: str) -> int:
    if not value or not value.isdigit():
        raise ShopNotUsable(f"the shop's configuration has no {key}")
    return int(value)


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
