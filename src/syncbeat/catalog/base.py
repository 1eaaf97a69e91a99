"""What the engine needs of a catalog: every method it (or a face) calls, and the row layouts
that cross the seam, declared once.

A catalog has four plain methods, which every catalog implements: `fetch` products by keys,
`apply` a batch of changes, list products for an export (`export_ids`: all, or those changed
after the `change_mark` the last export started from) and read them (`export_rows`).
It has four fast paths, which the engine asks first; each may answer None, "not for this
call", and the engine then takes the plain methods, with the same outcome. The built-in
catalog answers them from the store's own database (a join with the queued items, one
INSERT ... SELECT, SQL-built JSON); a catalog in another database (a PrestaShop shop in
MariaDB) cannot join the store's tables and answers None: `PlainCatalog` does so.

For the products an import's feed did not list (`[options] missing`), every catalog also
lists the products of a scope (`scope_products`) and acts on those missing (`apply_missing`);
a fifth fast path, `unlisted_products`, finds them with one anti-join with the items.

Values are field values as the domain reads them (`domain.catalog_fields`): a price is a
Decimal, a quantity an int, active a bool, text a str, a free attribute as stored in the bag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy.engine import Connection

from syncbeat.catalog.location import CatalogLocation
from syncbeat.domain.catalog_fields import KnownFields
from syncbeat.domain.missing import Scope
from syncbeat.store.rows import INPUT as INPUT  # the positions of a queued row, for catalogs
from syncbeat.store.rows import KEY as KEY
from syncbeat.store.rows import OUTCOME as OUTCOME
from syncbeat.store.rows import SEQ as SEQ

Values = dict[str, Any]
AMBIGUOUS = -1  # the product id `fetch` gives a key that several products share
ATTRIBUTE_BAG = "__attributes"  # in Values: the product's whole bag of free attributes

# A queued item as the store reads it: `store.rows.QueuedRow`, (seq, key, input, outcome).
# A joined row (`Catalog.queued_with_products`, `engine.process.join_found`) goes on with the
# product id (None: not found; AMBIGUOUS), then the product's current value of each fetch
# field, then, when free attributes are read, the product's whole bag. Cursor tuples on the
# hot path, read by these positions: no object a row.
PRODUCT_ID = 4
CURRENT = 5  # where a joined row's current values start
Joined = tuple[Any, ...]

# How a current value handed over raw reads as its field's value (None: it is the value).
# A raw value is text written the way a feed writes the same value ("12.50", "7", "1"), so
# feed text equal to it is no change: the engine then neither converts nor compares it.
Loader = Callable[[Any], Any] | None


class Product(NamedTuple):
    """A product found by `fetch`, or read by `export_rows`."""

    id: int  # AMBIGUOUS from `fetch` when several products share the key (values empty)
    values: Values


class Listed(NamedTuple):
    """A product to export, as `export_ids` lists it."""

    id: int
    reference: str
    # Its changed stamp, when the next export, listing from this one's mark, could list it
    # again unchanged (a catalog whose marks are times of a second's resolution, written
    # before their commit): the export remembers it, and the next one skips the product
    # if it lists it with the same stamp. None: the mark tells (a change count).
    stamp: str | None = None


class JoinedBatch(NamedTuple):
    """The next queued items of a task, each with its product (`Joined` rows, by seq)."""

    rows: list[Joined]
    loaders: list[Loader]  # one a fetch field, in the order of the rows' current values


class Queued(NamedTuple):
    """What `queue_export` queued."""

    added: int  # items queued (0: every product is)
    last_id: int  # the last product id queued (the after_id given, when none)


class ExportTable(NamedTuple):
    """A batch's export fields column by column: no dict a product."""

    ids: tuple[int, ...]  # the products found, by id
    kinds: list[str]  # a field's JSON kind: "text", "int", "bool", "number" (canonical text)
    columns: list[Sequence[Any]]  # a field's values, in the order of `ids`


# A field's reading of feed text (`domain.convert`: to_text, to_decimal, ...).
Converter = Callable[[str, str], Any]


class Refusals(NamedTuple):
    """The products of a batch that a catalog cannot hold, each with why: one line in an
    operator's words naming the field and the limit ("ean13: 13 digits, not '12345'")."""

    updates: dict[int, str]  # product id (as in `apply`'s updates) -> why
    creates: dict[int, str]  # position in `apply`'s creates -> why

    def __bool__(self) -> bool:
        return bool(self.updates or self.creates)


NO_REFUSALS = Refusals({}, {})


class Refused(ValueError):
    """What `apply` raises, before writing anything, when some products are `refusals`: the
    engine's product-by-product retry then names each product with its own reason."""

    def __init__(self, refusals: Refusals) -> None:
        self.refusals = refusals
        super().__init__("; ".join([*refusals.updates.values(), *refusals.creates.values()]))


class CatalogUnusable(Exception):
    """The catalog cannot be worked with as it is set up (its database unreachable, a shop
    or table the URL names missing, a privilege lacking): one line for the operator, never
    with a password. Raised from the driver's error when there is one, which says whether it
    is an outage (`store.db.is_outage`): waited out, not the task's failure."""


class BatchMark(NamedTuple):
    """One batch of an import, as a catalog in another database keeps it beside its writes."""

    run: str  # this run of the task (a token made when it started: task ids may be reused)
    task: int
    first: int  # the batch's first seq
    last: int  # its last seq
    # Every item up to this seq is recorded in the store (the task's cursor when the batch
    # began): the records of batches there are no longer needed. Batches in flight at once
    # record out of order, so "before this batch" is not enough.
    recorded: int = 0


class Prepared(NamedTuple):
    """A batch's writes made ready before its write transaction (`Catalog.prepare`)."""

    dialect: str  # the store's database they were made for ("sqlite", "postgresql")
    writes: object  # the catalog's own statements: only its `write` reads them


class BatchUnit(Protocol):
    """A batch's writes to the catalog, as one unit with what the batch did.

    A catalog in the store's database commits with the store: nothing to keep. A catalog in
    another database commits first, and keeps the batch's record in the same transaction as
    its writes: a worker killed between that commit and the store's finds the record when
    the batch is tried again, and applies nothing twice (docs/design.md, "Exactly once")."""

    done: tuple[int, bytes] | None  # (last seq, record) of an earlier attempt that landed
    keeps: bool  # does `keep` keep anything (else the engine need not make a record)?

    def keep(self, last: int, record: bytes) -> None:
        """Keep the record of the batch's items up to `last`, with its writes."""
        ...

    def savepoint(self) -> AbstractContextManager[object]:
        """A savepoint for one product's writes (the product-by-product retry)."""
        ...


class InStore:
    """The unit of a catalog in the store's database: the store's transaction is the unit."""

    done: tuple[int, bytes] | None = None
    keeps = False

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def keep(self, last: int, record: bytes) -> None:
        """Nothing to keep: the batch's writes commit with its outcomes."""

    def savepoint(self) -> AbstractContextManager[object]:
        """A savepoint in the store's transaction."""
        return self.conn.begin_nested()


# A product as people see it (`catalog list`, the Catalog tab, /api/products): id, reference,
# ean13, name, price (text), quantity, active, updated_at (ISO text), and what else the
# catalog shows (the built-in catalog's free attributes).
Shown = dict[str, Any]


class Page(NamedTuple):
    """A page of products by reference, and how many match."""

    products: list[Shown]
    total: int


class Catalog(Protocol):
    """A shop's products. Calls run inside the engine's transaction `conn` on the store; a
    catalog in another database works in its own transaction and ignores `conn`.

    `known` are the catalog's own fields, as a profile's [mapping], [filter], [fields] and
    [match] name them, each with how feed text reads as its value; the built-in catalog's
    are `domain.catalog_fields.BUILTIN_FIELDS`."""

    known: KnownFields

    @property
    def location(self) -> CatalogLocation:
        """Where it is, as SYNCBEAT_CATALOG says (`shown` for people)."""
        ...

    def close(self) -> None:
        """Give back the connections the catalog holds (a catalog in another database)."""
        ...

    def refusals(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], *, category: int | None = None,
    ) -> Refusals:
        """Which of these products `apply` would refuse, and why, known before writing (a
        value the catalog cannot hold): the engine may mark those items error and apply
        the others, instead of retrying the batch product by product."""
        ...

    def batch(self, conn: Connection, mark: BatchMark) -> AbstractContextManager[BatchUnit]:
        """The unit of one import batch's writes: every `apply` made inside is committed
        (with what `keep` keeps) when the block ends, or rolled back when it raises."""
        ...

    def fetch(
        self, conn: Connection, match: str, keys: Sequence[str], fields: Sequence[str]
    ) -> dict[str, Product]:
        """The products whose `match` field is one of `keys` (feed text: "007" is id 7),
        by key, with `fields` (and ATTRIBUTE_BAG when a field is a free attribute); a key
        several products share gives Product(AMBIGUOUS, {}); a key not found is absent."""
        ...

    def apply(
        self, conn: Connection, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> None:
        """Write changed products (id -> every one of `fields`) and create new ones (each
        with a reference), in `category` when the catalog has categories (None: its
        default); their changed time becomes `now`. A refusal raises: the engine
        retries the batch product by product to find which product it was. A product
        `refusals` names raises `Refused` before anything is written."""
        ...

    def prepare(
        self, dialect: str, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> Prepared | None:
        """What `apply` would write, made ready outside a transaction (beside a batch
        decided in a read snapshot, `queued_with_products`), for a store on `dialect`:
        `write` then holds the store's write lock for the statements alone. None: not
        here, and the engine calls `apply`."""
        ...

    def write(self, conn: Connection, prepared: Prepared) -> None:
        """Write what this catalog's `prepare` made, once, in the write transaction of the
        batch it was made for, as `apply` would have written it then (a number or stamp
        that must come from the transaction is taken here). A refusal raises as from
        `apply`; `Refused` before anything is written."""
        ...

    def change_mark(self, conn: Connection, now: datetime) -> str:
        """Where the catalog's changes stand as an export starts, before it lists anything:
        text that the profile's next export hands back to `export_ids` as `since`. Every
        change that may be missing from what the export then lists must be "after" it, even
        one whose transaction took its time before `now` and commits after the listing."""
        ...

    def export_ids(
        self, conn: Connection, *, active: bool | None, since: str | None, mark: str | None,
        after_id: int, limit: int,
    ) -> list[Listed]:
        """The next products to export after `after_id`, by id, at most `limit`: only those
        whose active flag is `active` (None: all) and changed after the `change_mark`
        `since` (None: all). A catalog whose marks are times may list products changed a
        little before `since` too (a change stamped before the mark, committed after it):
        those the last export may have listed unchanged, and those the next export (after
        this one's own mark, `mark`) may list again, carry their `stamp`."""
        ...

    def export_rows(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> Iterator[Product]:
        """The export fields of those of these products that still exist (values may hold
        more fields than asked: the engine reads only `fields`)."""
        ...

    # Products missing from the feed ([options] missing, [scope]): every catalog has these.

    def scope_products(
        self, conn: Connection, *, match: str, scope: Scope | None, fields: Sequence[str],
        after_id: int, limit: int,
    ) -> list[Product]:
        """The next products after `after_id`, by id, at most `limit`, that `scope` holds
        (None: every product) and that have a value of `match` (not empty); their values
        hold `match` and `fields`. A scope field the catalog does not have raises
        `MissingError`."""
        ...

    def apply_missing(
        self, conn: Connection, mode: str, ids: Sequence[int], now: datetime
    ) -> dict[int, str]:
        """Do `mode` to these products: "zero_stock" sets quantity 0, "disable" sets active
        false, "delete" removes them; a changed product's changed time becomes `now`. Doing
        it again changes nothing more (a retried step may). Returns the products it left,
        each with why (as `refusals` says it); a mode it does not do raises `MissingError`."""
        ...

    # For people: the faces' lists and lookups.

    def browse(self, conn: Connection, *, search: str | None, limit: int, offset: int) -> Page:
        """Products by reference, those whose reference or name holds `search` (any case)."""
        ...

    def show(self, conn: Connection, key: str) -> Shown | None:
        """A product by reference, or by id when `key` is a number no reference matches."""
        ...

    # The fast paths: None is "not for this call", and the engine uses the methods above.

    def unlisted_products(
        self, conn: Connection, task_id: int, *, match: str, scope: Scope | None,
        fields: Sequence[str], limit: int,
    ) -> list[Product] | None:
        """The first `limit` products, by id, that `scope_products` would list and whose
        `match` value is the key of no item of `task_id`: one anti-join with the items. Only
        a catalog in the store's database can."""
        ...

    def queued_with_products(
        self, conn: Connection, task_id: int, after: int, limit: int, match: str,
        fields: Sequence[str],
    ) -> JoinedBatch | None:
        """The task's queued items with seq in (after, after + limit], each joined with its
        product by `match`: what `join_found` makes of `read_batch` and `fetch`, in one
        statement. Only a catalog in the store's database can."""
        ...

    def changed_since(
        self, conn: Connection, mark: str, ids: Sequence[int], match: str, keys: Sequence[str]
    ) -> bool | None:
        """Since the `change_mark` `mark`, has a product of `ids` changed or gone, or has a
        product whose `match` is one of `keys` come? A batch decided in a read snapshot (its
        items read with `queued_with_products`) asks it in its write transaction before it
        applies: yes, and it decides again there. None: the catalog cannot tell. Only a
        catalog in the store's database can."""
        ...

    def queue_export(
        self, conn: Connection, task_id: int, *, first_seq: int, active: bool | None,
        since: str | None, after_id: int, limit: int,
    ) -> Queued | None:
        """Queue as pending items of `task_id` (seq from `first_seq`, key the reference,
        input the id as text) the products `export_ids` would list, in `conn`'s write
        transaction. Only a catalog in the store's database, whose products carry no
        stamps, can."""
        ...

    def export_table(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> ExportTable | None:
        """`export_rows` of these products, column by column."""
        ...

    def export_json(
        self, conn: Connection, ids: Sequence[int], names: Sequence[str], fields: Sequence[str]
    ) -> str | None:
        """Every one of these products as the JSON object {name: field value} that
        `feeds.jsonvalues.dumps` writes, joined with ",\\n"; None also when a product is gone
        (the engine then reports it skipped)."""
        ...


class MissingError(ValueError):
    """What a catalog cannot do for the products missing from a feed (a [scope] field it
    cannot test, a mode it does not do); str(e) says why, naming the setting."""


class PlainCatalog:
    """The fast paths of a catalog that has none: every one answers None."""

    def unlisted_products(
        self, conn: Connection, task_id: int, *, match: str, scope: Scope | None,
        fields: Sequence[str], limit: int,
    ) -> list[Product] | None:
        """Not here: the engine walks `scope_products` and looks their keys up."""
        return None

    def queued_with_products(
        self, conn: Connection, task_id: int, after: int, limit: int, match: str,
        fields: Sequence[str],
    ) -> JoinedBatch | None:
        """Not here: the engine reads the items and calls `fetch`."""
        return None

    def changed_since(
        self, conn: Connection, mark: str, ids: Sequence[int], match: str, keys: Sequence[str]
    ) -> bool | None:
        """Not here: a batch is decided in its write transaction."""
        return None

    def prepare(
        self, dialect: str, fields: Sequence[str], updates: Mapping[int, Values],
        creates: Sequence[Values], now: datetime, *, category: int | None = None,
    ) -> Prepared | None:
        """Not here: the engine calls `apply`."""
        return None

    def write(self, conn: Connection, prepared: Prepared) -> None:
        """Never called: `prepare` makes nothing."""
        raise TypeError("this catalog prepares no writes: call apply")

    def queue_export(
        self, conn: Connection, task_id: int, *, first_seq: int, active: bool | None,
        since: str | None, after_id: int, limit: int,
    ) -> Queued | None:
        """Not here: the engine queues what `export_ids` lists."""
        return None

    def export_table(
        self, conn: Connection, ids: Sequence[int], fields: Sequence[str]
    ) -> ExportTable | None:
        """Not here: the engine calls `export_rows`."""
        return None

    def export_json(
        self, conn: Connection, ids: Sequence[int], names: Sequence[str], fields: Sequence[str]
    ) -> str | None:
        """Not here: the engine writes the JSON."""
        return None
