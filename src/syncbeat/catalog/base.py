"""What the engine needs of a catalog: fetch by keys, apply a batch, iterate for export."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

Values = dict[str, Any]
AMBIGUOUS = -1  # the product id `fetch` gives a key that several products share


class Catalog(Protocol):
    """A shop's products. Calls run inside the engine's batch transaction `conn`."""

    def fetch(
        self, conn: Connection, match: str, keys: Sequence[str], fields: Sequence[str]
    ) -> dict[str, tuple[int, Values]]:
        """For each key found: (product id, {field: current value})."""
        ...

    def apply(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime,
    ) -> None:
        """Write changed products (id -> all `fields`) and create new ones."""
        ...

    def export_ids(
        self, conn: Connection, *, active: bool | None, changed_since: datetime | None,
        after_id: int, limit: int,
    ) -> list[tuple[int, str]]:
        """The next (id, reference) pairs to export, by id."""
        ...

    def export_rows(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> Iterator[tuple[int, Values]]:
        """The export fields of these products."""
        ...
