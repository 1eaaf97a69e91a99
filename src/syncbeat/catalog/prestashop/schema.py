"""The part of a PrestaShop 1.7 / 8 database that syncbeat reads and writes, declared once.

`syncbeat catalog check` names whatever of it a shop lacks, and the PrestaShop catalog uses
the same names, so the two cannot drift. Table names are without the shop's prefix; the
reference is `install-dev/data/db_structure.sql` of PrestaShop/PrestaShop (the shop and
language tables are Doctrine entities in 1.7 and 8, with the same columns).
"""

from __future__ import annotations

from types import MappingProxyType

# table -> the columns syncbeat reads or writes in it
TABLES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    # A product: identifiers, prices (tax excluded), weight, state; quantity is not the stock.
    "product": ("id_product", "id_category_default", "id_shop_default", "id_tax_rules_group",
                "reference", "supplier_reference", "ean13", "upc", "isbn", "mpn", "price",
                "wholesale_price", "weight", "active", "indexed", "visibility",
                "cache_default_attribute", "date_add", "date_upd"),
    # Its row per shop: a price or active change writes both rows, as PrestaShop does.
    "product_shop": ("id_product", "id_shop", "id_category_default", "id_tax_rules_group",
                     "price", "wholesale_price", "active", "indexed", "visibility",
                     "cache_default_attribute", "date_add", "date_upd"),
    # Names and descriptions per shop and language.
    "product_lang": ("id_product", "id_shop", "id_lang", "name", "description",
                     "description_short", "link_rewrite"),
    # The stock, per product, combination (0: the product itself) and shop.
    "stock_available": ("id_stock_available", "id_product", "id_product_attribute", "id_shop",
                        "id_shop_group", "quantity", "physical_quantity", "reserved_quantity",
                        "depends_on_stock", "out_of_stock"),
    # Combinations (variants) and their rows per shop; price is an impact on the product's.
    "product_attribute": ("id_product_attribute", "id_product", "reference",
                          "supplier_reference", "ean13", "upc", "isbn", "mpn", "price",
                          "wholesale_price", "weight", "default_on"),
    "product_attribute_shop": ("id_product", "id_product_attribute", "id_shop", "price",
                               "wholesale_price", "weight", "default_on"),
    # A created product goes into the profile's category ([options] category), which must
    # be one of the shop's.
    "category_product": ("id_category", "id_product", "position"),
    "category_shop": ("id_category", "id_shop"),
    # PS_VERSION_DB, PS_SHOP_DEFAULT, PS_LANG_DEFAULT.
    "configuration": ("id_configuration", "id_shop_group", "id_shop", "name", "value"),
    # The shop used, its group (whether it shares its stock) and its languages.
    "shop": ("id_shop", "id_shop_group", "name", "active", "deleted"),
    "shop_group": ("id_shop_group", "name", "share_stock"),
    "lang": ("id_lang", "name", "iso_code", "active"),
    "lang_shop": ("id_lang", "id_shop"),
})

# The configuration keys syncbeat reads.
VERSION_KEY = "PS_VERSION_DB"
SHOP_KEY = "PS_SHOP_DEFAULT"
LANG_KEY = "PS_LANG_DEFAULT"
OLDEST_VERSION = (1, 7)  # 1.6 stores stock and shops otherwise
