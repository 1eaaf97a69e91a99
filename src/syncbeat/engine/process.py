"""What a batch of an import decides and applies, apart from how the batch is claimed and
recorded (engine/batch.py, step 3 of the heartbeat): each item's outcome (`decide_batch`, also
the preview's decision), the products to write, and their writing to the catalog
(`import_batch`: at once, or product by product to find the one the catalog refuses)."""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import (
    AMBIGUOUS,
    ATTRIBUTE_BAG,
    CURRENT,
    KEY,
    BatchUnit,
    Catalog,
    Joined,
    Loader,
    Prepared,
    Product,
    Refusals,
    Refused,
    Values,
)
from syncbeat.domain.catalog_fields import ATTRIBUTE_PREFIX, KnownFields
from syncbeat.domain.convert import ConversionError
from syncbeat.domain.diff import describe_changes, diff, show
from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import ItemOutcome
from syncbeat.domain.taskspec import profile_of
from syncbeat.domain.transforms import Bound, Rule, TransformError
from syncbeat.engine.codec import decode
from syncbeat.engine.wording import mark, marked, spelled
from syncbeat.store.db import is_outage, loses_transaction, reason_of
from syncbeat.store.rows import OutcomeRow, QueuedRow

PROCESSED = int(ItemOutcome.PROCESSED)
SKIPPED = int(ItemOutcome.SKIPPED)
ERROR = int(ItemOutcome.ERROR)
NO_CHANGE = "no change"
NOT_FOUND = "not in the catalog and create_missing is off"
REWRITTEN = "no change; written again because skip_unchanged is off"
CREATED = "created"
LOG_EXAMPLES = 20  # products named per batch line; the report has every one


@dataclass
class BatchResult:
    """What one batch did: per-item outcomes and the lines for the actions log."""

    outcomes: list[OutcomeRow] = field(default_factory=list)  # one an item worked
    changed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    export_size: int | None = None

    def counts(self) -> Counter[int]:
        """How many items got each outcome."""
        return Counter(o for _, o, _ in self.outcomes)

    def packed(self) -> bytes:
        """The result as a catalog keeps it (`base.BatchUnit.keep`): compressed JSON."""
        return zlib.compress(json.dumps(
            {"outcomes": self.outcomes, "changed": self.changed, "errors": self.errors},
            separators=(",", ":")).encode(), 1)

    @classmethod
    def unpacked(cls, data: bytes) -> BatchResult:
        """A result `packed` made."""
        kept = json.loads(zlib.decompress(data))
        return cls(outcomes=[(int(s), int(o), d) for s, o, d in kept["outcomes"]],
                   changed=list(kept["changed"]), errors=list(kept["errors"]))


@dataclass(frozen=True)
class ImportPlan:
    """An import profile, prepared once per batch for the hot loop."""

    match: str
    fields: list[str]  # catalog fields written
    # (catalog field, input index, conversion, position of its current value in a joined row,
    # the field's rule or None for a plain column)
    readers: list[tuple[str, int, Callable[[str, str], Any], int, Bound | None]]
    fetch_fields: list[str]  # the catalog fields read to compare: the written ones and the key
    create_missing: bool
    skip_unchanged: bool
    category: int | None = None  # where new products go ([options] category)
    # Does the plan write free attributes (which need the product's whole bag)? Set from
    # `fields`: asked once a product, so not worked out each time.
    attributes: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes",
                           any(name.startswith(ATTRIBUTE_PREFIX) for name in self.fields))

    @classmethod
    def of(cls, profile: Profile, known: KnownFields) -> ImportPlan:
        """The plan of an import profile (a task's: `TaskSpec.profile`), for a catalog with
        `known` fields."""
        converter = known.converter
        read = profile.feed_fields
        match = profile.match_catalog
        fetch_fields = list(dict.fromkeys([*profile.mapping, match]))
        readers = [
            (catalog_field, read.index(feed_field) if isinstance(feed_field, str) else -1,
             converter(catalog_field), CURRENT + fetch_fields.index(catalog_field),
             None if isinstance(feed_field, str)
             else _bound(feed_field, read, catalog_field, converter(catalog_field)))
            for catalog_field, feed_field in profile.mapping.items()
        ]
        return cls(
            match=match, fields=list(profile.mapping), readers=readers,
            fetch_fields=fetch_fields, create_missing=profile.create_missing,
            skip_unchanged=profile.skip_unchanged, category=profile.category,
        )

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], known: KnownFields) -> ImportPlan:
        """The plan of a task's spec as stored (`domain.taskspec`: its profile's keys)."""
        return cls.of(profile_of(spec), known)


def _bound(rule: Rule, read: list[str], name: str, convert: Callable[[str, str], Any]) -> Bound:
    """The rule bound for a plan. Every batch reads its task's spec afresh: a rule is bound
    (its steps made one function, `transforms._fused`) once a process, not once a batch."""
    key = (name, json.dumps(rule.data, sort_keys=True, default=repr), tuple(read), convert)
    bound = _BOUND.get(key)
    if bound is None:
        if len(_BOUND) >= _BOUND_MOST:
            _BOUND.clear()
        bound = _BOUND[key] = rule.bind(read, name, convert)
    return bound


_BOUND: dict[tuple[Any, ...], Bound] = {}
_BOUND_MOST = 256


def join_found(
    plan: ImportPlan, rows: Sequence[QueuedRow], found: dict[str, Product]
) -> list[Joined]:
    """Queued items (`store.rows.QueuedRow`) with the products `Catalog.fetch` found."""
    joined: list[Joined] = []
    for row in rows:
        key = row[KEY]
        hit = found.get(key) if key is not None else None  # a row without a key is an error
        if hit is None:
            joined.append((*row, None))
            continue
        values = hit.values
        current = [values.get(name) for name in plan.fetch_fields]
        if plan.attributes:
            current.append(values.get(ATTRIBUTE_BAG))
        joined.append((*row, hit.id, *current))
    return joined


class Decision(NamedTuple):
    """What a batch's items come to, before anything is written."""

    result: BatchResult  # each item's outcome, and the log's lines
    updates: dict[int, Values]  # product id -> every written field, for `Catalog.apply`
    creates: dict[str, Values]  # key -> the new product's fields


def import_batch(
    conn: Connection, catalog: Catalog, unit: BatchUnit, plan: ImportPlan,
    rows: Sequence[Joined], now: datetime, *, loaders: Sequence[Loader] | None = None,
    careful: bool = False, decided: Decision | None = None, prepared: Prepared | None = None,
) -> BatchResult:
    """Apply a batch of queued feed rows to the catalog, in `unit` (`Catalog.batch`); one
    bad row only marks that row error, and so does a product the catalog refuses.

    `careful` applies each product in a savepoint of its own: the retry of a batch that failed
    as a whole, so the product the database refuses is found and only it is marked error.
    `decided`: the rows' decision, made before (in a read snapshot, still as read), and
    `prepared` its writes (`Catalog.prepare`), given only beside it.
    """
    result, updates, creates = decided or decide_batch(plan, rows, loaders)
    if careful:
        _apply_one_by_one(conn, catalog, unit, plan, result, updates, creates, rows, now)
        return result
    try:
        if prepared is not None:
            catalog.write(conn, prepared)
        else:
            catalog.apply(conn, plan.fields, updates, list(creates.values()), now,
                          category=plan.category)
    except Refused as refused:
        # Nothing was written: the refused products' items become errors, the others are
        # written as they were, without trying the batch product by product.
        by_product, by_key = mark_refusals(result, rows, refused.refusals, creates)
        catalog.apply(conn, plan.fields,
                      {i: v for i, v in updates.items() if i not in by_product},
                      [v for key, v in creates.items() if key not in by_key], now,
                      category=plan.category)
    return result


def mark_refusals(
    result: BatchResult, rows: Sequence[Joined], refusals: Refusals,
    creates: dict[str, Values],
) -> tuple[dict[int, str], dict[str, str]]:
    """The items of the products a catalog refuses (`Catalog.refusals`; a new one by its
    position in `creates`) become errors saying why; the refused product ids and keys."""
    keys = list(creates)
    by_product = {i: _REFUSED + why for i, why in refusals.updates.items()}
    by_key = {keys[at]: _REFUSED + why for at, why in refusals.creates.items()}
    _mark_refused(result, rows, by_product, by_key)
    return by_product, by_key


def decide_batch(
    plan: ImportPlan, rows: Sequence[Joined], loaders: Sequence[Loader] | None = None
) -> Decision:
    """Each item's outcome and the products to write: the one decision of a batch and of
    the preview. `loaders` (by fetch field, `base.Loader`) read current values handed over
    raw; feed text equal to a raw value is no change."""
    result = BatchResult()
    updates: dict[int, Values] = {}
    creates: dict[str, Values] = {}
    outcomes = result.outcomes
    none: list[Loader] = [None] * CURRENT
    loads = none + list(loaders or [None] * len(plan.fetch_fields))
    rules = [rule for *_, rule in plan.readers]
    # A rule's change is marked, and worded when the detail is read (engine/wording.py).
    readers = [(name, index, convert, at, loads[at] is not None, rule, mark(position))
               for position, (name, index, convert, at, rule) in enumerate(plan.readers)]
    # The loop below runs once per product: it avoids helper objects on purpose.
    for row in rows:
        seq, key, raw, queued, product_id = row[:CURRENT]
        if queued:
            continue  # an item given an error while queueing stays as it is
        values = decode(raw)
        current = None if product_id is None else updates.get(product_id)  # changed already
        as_stored = current is None and product_id is not None and product_id != AMBIGUOUS
        incoming: list[tuple[str, int, Any]] = []
        changed: list[str] = []
        marks = 0
        problems: list[str] | None = None
        for name, index, convert, at, plain, rule, its_mark in readers:
            if rule is None:
                text = values[index]
                if not text or text.isspace():
                    continue  # no value for this field (missing or blank): leave it as it is
                if plain and as_stored and text == row[at]:
                    continue  # written as the catalog holds it: unchanged, nothing to convert
                try:
                    value = convert(text, name)
                except ConversionError as exc:
                    problems = [*(problems or []), str(exc)]
                    continue
            else:
                try:
                    value = rule.value(values)
                except TransformError as exc:
                    problems = [*(problems or []), f"{name}: {exc}"]
                    continue
                except ConversionError as exc:
                    problems = [*(problems or []), str(exc)]
                    continue
                if value is None:
                    continue  # no value: leave the field as it is
                if plain and as_stored and str(value) == row[at]:
                    continue  # the catalog holds it written so: unchanged
            incoming.append((name, at, value))
            if as_stored:
                old = row[at]
                load = loads[at]
                if load is not None and old is not None:
                    old = load(old)
            elif current is not None:
                old = current.get(name)
            else:
                continue  # a new product, or an ambiguous key: nothing to compare with
            if old != value and not _same(old, value):
                if rule is None:
                    changed.append(f"{name}: {show(old)} -> {show(value)}")
                else:  # what the rule did, worded when read
                    changed.append(f"{name}: {show(old)} -> {show(value)}{its_mark}")
                    marks += 1
        if problems:
            _error(result, seq, key, "; ".join(problems))
            continue
        if product_id is None:
            _new_product(plan, result, creates, seq, key, incoming)
            continue
        if product_id == AMBIGUOUS:
            _error(result, seq, key, f"several products have {plan.match} '{key}': "
                   "match by a field that is unique (reference)")
            continue
        if changed or not plan.skip_unchanged:
            if current is None:
                current = _values(plan, row, loads)
                updates[product_id] = current
            for name, _, value in incoming:
                current[name] = value
        if changed:
            detail = marked(changed, marks, rules, values) if marks else "; ".join(changed)
            outcomes.append((seq, PROCESSED, detail))
            if len(result.changed) <= LOG_EXAMPLES:  # the log's lines say it in words
                if marks:
                    detail = "; ".join(spelled(changed, rules, values))
                _note(result.changed, f"{key}: {detail}")
        elif plan.skip_unchanged:
            outcomes.append((seq, SKIPPED, NO_CHANGE))
        else:
            outcomes.append((seq, PROCESSED, REWRITTEN))
    return Decision(result, updates, creates)


def _values(plan: ImportPlan, row: Joined, loads: list[Loader]) -> Values:
    """A joined row's product as {field: value}, for `Catalog.apply`."""
    values: Values = {}
    for at, name in enumerate(plan.fetch_fields, start=CURRENT):
        value = row[at]
        load = loads[at]
        values[name] = load(value) if load is not None and value is not None else value
    if plan.attributes:
        values[ATTRIBUTE_BAG] = row[CURRENT + len(plan.fetch_fields)]
    return values


def _new_product(
    plan: ImportPlan, result: BatchResult, creates: dict[str, Values], seq: int, key: str,
    incoming: list[tuple[str, int, Any]],
) -> None:
    given = {name: value for name, _, value in incoming}
    pending = creates.get(key)
    if pending is not None:  # the key came earlier in this batch: that row created it
        changes = diff(pending, given)
        pending.update(given)
        detail = describe_changes(changes) if changes else NO_CHANGE
        result.outcomes.append((seq, PROCESSED if changes else SKIPPED, detail))
    elif not plan.create_missing:
        result.outcomes.append((seq, SKIPPED, NOT_FOUND))
    elif "reference" not in given and plan.match != "reference":
        _error(result, seq, key, "not in the catalog, and a new product needs a "
               "reference: map a feed field to reference")
    else:
        creates[key] = {plan.match: key, **given}
        result.outcomes.append((seq, PROCESSED, CREATED))
        _note(result.changed, f"{key}: created")


def _apply_one_by_one(
    conn: Connection, catalog: Catalog, unit: BatchUnit, plan: ImportPlan,
    result: BatchResult, updates: dict[int, Values], creates: dict[str, Values],
    rows: Sequence[Joined], now: datetime,
) -> None:
    """Apply each product in a savepoint of its own; the items of a product the database
    refuses (every key that reached it: "7" and "007" by id) become errors saying why."""
    by_product: dict[int, str] = {}
    by_key: dict[str, str] = {}
    for product_id, values in updates.items():
        reason = _refusal(unit, partial(catalog.apply, category=plan.category), conn,
                          plan.fields, {product_id: values}, [], now)
        if reason is not None:
            by_product[product_id] = reason
    for key, values in creates.items():
        reason = _refusal(unit, partial(catalog.apply, category=plan.category), conn,
                          plan.fields, {}, [values], now)
        if reason is not None:
            by_key[key] = reason
    _mark_refused(result, rows, by_product, by_key)


def _mark_refused(
    result: BatchResult, rows: Sequence[Joined], by_product: dict[int, str],
    by_key: dict[str, str],
) -> None:
    """The items of products the catalog refused (by product id; a new one by its key)
    become errors saying why, and leave the log's changed lines."""
    if not by_product and not by_key:
        return
    why: dict[int, tuple[str, str]] = {}  # seq -> (key, reason)
    for row in rows:
        seq, key, _, queued, product_id = row[:CURRENT]
        reason = by_key.get(key) if product_id is None else by_product.get(product_id)
        if reason is not None and not queued:
            why[seq] = (key, reason)
    result.outcomes = [
        (seq, ERROR, why[seq][1]) if seq in why and outcome != ERROR else (seq, outcome, detail)
        for seq, outcome, detail in result.outcomes
    ]
    refused = {key for key, _ in why.values()}
    result.changed = [line for line in result.changed if line.split(": ", 1)[0] not in refused]
    for seq, (key, reason) in why.items():
        _note(result.errors, f"item {seq} ({key}): {reason}")


def _refusal(unit: BatchUnit, work: Callable[..., None], *args: Any) -> str | None:
    """Run `work` in a savepoint; why the database refused it, or None."""
    try:
        with unit.savepoint():
            work(*args)
    except Refused as exc:  # known before writing: the catalog's own words
        return _REFUSED + str(exc)
    except Exception as exc:  # the database refused this one product: say why, go on
        if is_outage(exc) or loses_transaction(exc):
            raise  # not the product's fault: the batch is tried again, or waits
        return _REFUSED + _in_words(exc)
    return None


_REFUSED = "the catalog refused the change: "


def _in_words(exc: Exception) -> str:
    """A database's refusal as an operator reads it."""
    reason = reason_of(exc)
    lowered = reason.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        for column in ("reference", "ean13"):
            if column in lowered:
                return f"another product has this {column} already"
        return "another product has the same unique value already"
    if "not null" in lowered or "null value" in lowered:
        return f"a required field is empty ({reason})"
    if "too long" in lowered or "out of range" in lowered or "overflow" in lowered:
        return f"a value does not fit the catalog ({reason})"
    return reason


def _same(old: Any, new: Any) -> bool:
    # A free attribute stored as a number (42) is no change from the feed's text "42".
    return bool(old == new or (old is not None and new.__class__ is str and str(old) == new))


def _error(result: BatchResult, seq: int, key: str | None, message: str) -> None:
    result.outcomes.append((seq, ERROR, message))
    _note(result.errors, f"item {seq} ({key}): {message}")


def _note(lines: list[str], line: str) -> None:
    if len(lines) <= LOG_EXAMPLES:
        lines.append(line)


def export_values(values: Values, fields: dict[str, str]) -> dict[str, Any]:
    """A product as the export writes it: output field -> catalog value."""
    return {out: values.get(catalog_field) for out, catalog_field in fields.items()}


def elapsed(started: float) -> float:
    """Seconds since `started` (a perf_counter reading)."""
    return time.perf_counter() - started
