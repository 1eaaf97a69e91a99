"""Heartbeat step 3: work through one batch of a running task, in one transaction."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from syncbeat.catalog.base import AMBIGUOUS, Catalog, Values
from syncbeat.domain.catalog_fields import converter
from syncbeat.domain.convert import ConversionError
from syncbeat.domain.diff import describe_changes, diff, show
from syncbeat.domain.statuses import ItemOutcome
from syncbeat.engine.codec import decode

PROCESSED = int(ItemOutcome.PROCESSED)
SKIPPED = int(ItemOutcome.SKIPPED)
ERROR = int(ItemOutcome.ERROR)
NO_CHANGE = "no change"
NOT_FOUND = "not in the catalog and create_missing is off"
REWRITTEN = "no change; written again because skip_unchanged is off"
LOG_EXAMPLES = 20  # products named per batch line; the report has every one


@dataclass
class BatchResult:
    """What one batch did: per-item outcomes and the lines for the actions log."""

    outcomes: list[tuple[int, int, str | None]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    export_size: int | None = None

    def counts(self) -> Counter[int]:
        """How many items got each outcome."""
        return Counter(o for _, o, _ in self.outcomes)


@dataclass(frozen=True)
class ImportPlan:
    """An import profile's spec, prepared once per batch for the hot loop."""

    match: str
    fields: list[str]  # catalog fields written
    readers: list[tuple[str, int, Callable[[str, str], Any]]]  # (catalog field, input index, conv)
    create_missing: bool
    skip_unchanged: bool

    @property
    def fetch_fields(self) -> list[str]:
        """The catalog fields read to compare: the written ones and the match key."""
        return list(dict.fromkeys([*self.fields, self.match]))

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ImportPlan:
        """Read the profile spec the task started with."""
        feed_fields = [spec["match"]["feed"]]
        for feed_field in spec["mapping"].values():
            if feed_field not in feed_fields:
                feed_fields.append(feed_field)
        readers = [
            (catalog_field, feed_fields.index(feed_field), converter(catalog_field))
            for catalog_field, feed_field in spec["mapping"].items()
        ]
        options = spec.get("options", {})
        return cls(
            match=spec["match"]["catalog"], fields=list(spec["mapping"]), readers=readers,
            create_missing=bool(options.get("create_missing", False)),
            skip_unchanged=bool(options.get("skip_unchanged", True)),
        )


def import_batch(
    conn: Connection, catalog: Catalog, plan: ImportPlan, rows: Sequence[tuple[Any, ...]],
    now: datetime, *, careful: bool = False, found: dict[str, tuple[int, Values]] | None = None,
) -> BatchResult:
    """Apply a batch of queued feed rows to the catalog; one bad row only marks that row error.

    `careful` applies each product in a savepoint of its own: the retry of a batch that failed
    as a whole, so the product the database refuses is found and only it is marked error.
    """
    result = BatchResult()
    todo = [r for r in rows if r[3] == 0]  # items given an error while queueing stay as they are
    if found is None:
        keys = list(dict.fromkeys(r[1] for r in todo))
        found = catalog.fetch(conn, plan.match, keys, plan.fetch_fields)
    updates: dict[int, Values] = {}
    creates: dict[str, Values] = {}
    outcomes = result.outcomes
    readers = plan.readers
    # The loop below runs once per product: it avoids helper objects on purpose.
    for seq, key, raw, _ in todo:
        values = decode(raw)
        incoming: Values = {}
        problems: list[str] | None = None
        for name, index, convert in readers:
            text = values[index]
            if not text or text.isspace():
                continue  # no value for this field (missing or blank): leave it as it is
            try:
                incoming[name] = convert(text, name)
            except ConversionError as exc:
                problems = [*(problems or []), str(exc)]
        if problems:
            _error(result, seq, key, "; ".join(problems))
            continue
        hit = found.get(key)
        if hit is not None and hit[0] == AMBIGUOUS:
            _error(result, seq, key, f"several products have {plan.match} '{key}': "
                   "match by a field that is unique (reference)")
            continue
        if hit is not None:
            product_id, current = hit
            changed = [
                f"{name}: {show(old)} -> {show(value)}"
                for name, value in incoming.items()
                if (old := current.get(name)) != value and not _same(old, value)
            ]
            if changed:
                current.update(incoming)
                updates[product_id] = current
                detail = "; ".join(changed)
                outcomes.append((seq, PROCESSED, detail))
                _note(result.changed, f"{key}: {detail}")
            elif plan.skip_unchanged:
                outcomes.append((seq, SKIPPED, NO_CHANGE))
            else:
                updates[product_id] = current
                outcomes.append((seq, PROCESSED, REWRITTEN))
        elif key in creates:
            pending = creates[key]
            changes = diff(pending, incoming)
            pending.update(incoming)
            detail = describe_changes(changes) if changes else NO_CHANGE
            outcomes.append((seq, PROCESSED if changes else SKIPPED, detail))
        elif plan.create_missing:
            new = {plan.match: key, **incoming}
            if "reference" not in new:
                _error(result, seq, key, "not in the catalog, and a new product needs a "
                       "reference: map a feed field to reference")
                continue
            creates[key] = new
            outcomes.append((seq, PROCESSED, "created"))
            _note(result.changed, f"{key}: created")
        else:
            outcomes.append((seq, SKIPPED, NOT_FOUND))
    if careful:
        seq_keys = {seq: key for seq, key, _, _ in todo}
        _apply_one_by_one(conn, catalog, plan, result, updates, creates, found, seq_keys, now)
    else:
        catalog.apply(conn, plan.fields, updates, list(creates.values()), now)
    return result


def _apply_one_by_one(
    conn: Connection, catalog: Catalog, plan: ImportPlan, result: BatchResult,
    updates: dict[int, Values], creates: dict[str, Values],
    found: dict[str, tuple[int, Values]], seq_keys: dict[int, str], now: datetime,
) -> None:
    refused: dict[str, str] = {}
    for key, (product_id, _) in found.items():
        if product_id in updates:
            one = {product_id: updates[product_id]}
            _try(conn, key, refused, catalog.apply, conn, plan.fields, one, [], now)
    for key, values in creates.items():
        _try(conn, key, refused, catalog.apply, conn, plan.fields, {}, [values], now)
    if refused:
        result.outcomes = [
            (seq, ERROR, refused[seq_keys[seq]]) if seq_keys.get(seq) in refused else (seq, o, d)
            for seq, o, d in result.outcomes
        ]
        result.changed = [line for line in result.changed
                          if line.split(": ", 1)[0] not in refused]
        for seq, key in seq_keys.items():
            if key in refused:
                _note(result.errors, f"item {seq} ({key}): {refused[key]}")


def _try(
    conn: Connection, key: str, refused: dict[str, str], work: Callable[..., None], *args: Any
) -> None:
    savepoint = conn.begin_nested()
    try:
        work(*args)
    except Exception as exc:  # the database refused this one product: say why, go on
        savepoint.rollback()
        refused[key] = f"the catalog refused the change: {_in_words(exc)}"
    else:
        savepoint.commit()


def _in_words(exc: Exception) -> str:
    """A database's refusal as an operator reads it."""
    reason = str(getattr(exc, "orig", exc)).splitlines()[0]
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
