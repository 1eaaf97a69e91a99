"""The PrestaShop catalog: a shop's own MySQL/MariaDB database (its check, so far)."""
