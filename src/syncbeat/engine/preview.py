"""The preview of an import profile: the first rows of its source, mapped, and what each
would change in the catalog; nothing is saved, nothing is written.

The source is checked as a save checks it, then read like a task reads it (only a regular file
within reach, only an allowed host), but at most its first PREVIEW_BYTES are copied (an xlsx
file, which cannot be read without its end, whole up to PREVIEW_XLSX_BYTES), within
PREVIEW_SECONDS, and only the rows shown are parsed: memory stays flat whatever the source."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncbeat.domain.convert import ConversionError
from syncbeat.domain.diff import show
from syncbeat.domain.profile import Profile, SourceSpec
from syncbeat.domain.statuses import ItemOutcome, TaskKind
from syncbeat.domain.transforms import TransformError
from syncbeat.engine.context import Context
from syncbeat.engine.process import (
    CREATED,
    ImportPlan,
    decide_batch,
    join_found,
    mark_refusals,
)
from syncbeat.engine.profiles import check_profile_reach
from syncbeat.engine.queueing import item_rows
from syncbeat.engine.secrets import missing_secrets
from syncbeat.engine.seen import SeenInMemory
from syncbeat.engine.start import feed_spec
from syncbeat.engine.wording import Wording
from syncbeat.feeds import FeedError, RowError, open_feed
from syncbeat.feeds.archives import Unpacking
from syncbeat.feeds.sources import head
from syncbeat.store.db import read_tx
from syncbeat.store.rows import QueuedRow

ROWS = 10
PREVIEW_BYTES = 1 << 20  # the first MiB of a source is enough for its first rows
PREVIEW_XLSX_BYTES = 16 << 20  # an xlsx file is a zip: it is read whole, up to 16 MiB
PREVIEW_SECONDS = 20.0  # a remote source must send them within this time
PENDING = int(ItemOutcome.PENDING)


@dataclass(frozen=True, kw_only=True)
class PreviewRow:
    seq: int
    key: str | None
    values: dict[str, str | None]  # feed field -> text, as read
    # catalog field -> what its rule computes from this row ("10.99 (net_price 7.40 x ...)"),
    # or why it cannot; only fields mapped by a rule
    computed: dict[str, str] = field(default_factory=dict)
    item_outcome: int  # the item's outcome in a run (`ItemOutcome`): the report's word
    detail: str  # what changed, why skipped, or the error: the report's words

    @property
    def outcome(self) -> str:
        """What a run would do, in one word: update, create, skip, error."""
        if self.item_outcome == ItemOutcome.PROCESSED:
            return "create" if self.detail == CREATED else "update"
        return "skip" if self.item_outcome == ItemOutcome.SKIPPED else "error"

    def as_dict(self) -> dict[str, Any]:
        """The row as the API returns it."""
        return {"seq": self.seq, "key": self.key, "values": self.values,
                "computed": self.computed, "outcome": self.outcome,
                "item_outcome": ItemOutcome(self.item_outcome).label, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class Preview:
    columns: list[str]
    computed: list[str] = field(default_factory=list)  # the catalog fields mapped by a rule
    rows: list[PreviewRow] = field(default_factory=list)
    error: str | None = None  # the source could not be read at all

    def as_dict(self) -> dict[str, Any]:
        """The preview as the API returns it."""
        return {"columns": self.columns, "computed": self.computed,
                "rows": [r.as_dict() for r in self.rows], "error": self.error}


def preview_import(ctx: Context, profile: Profile, rows: int = ROWS) -> Preview:
    """Read the first `rows` records of the profile's source and compare them with the catalog;
    ProfileError (naming source.location) if the source is out of reach, as when saved."""
    if profile.kind is not TaskKind.IMPORT or profile.source is None:
        raise ValueError("only an import profile has a source to preview")
    check_profile_reach(ctx, profile)
    columns = profile.feed_fields
    with tempfile.TemporaryDirectory(prefix="syncbeat-preview-") as tmp:
        cut = False
        try:
            path, cut = _first_bytes(ctx, profile.source, Path(tmp))
            with open_feed(path, feed_spec(profile.source), columns) as reader:
                records = list(itertools.islice(reader.records(), rows))
        except FeedError as exc:
            more = f" (the preview reads the first {PREVIEW_BYTES >> 20} MiB)" if cut else ""
            return Preview(columns=columns, error=f"{exc}{more}")
    if cut and not records:
        return Preview(columns=columns, error=f"the first {PREVIEW_BYTES >> 20} MiB of the "
                                              "source hold no whole row: the preview reads no "
                                              "further (a task reads the whole feed)")
    plan = ImportPlan.of(profile, ctx.catalog.known)
    return Preview(columns=columns, rows=_compare(ctx, plan, columns, records,
                                                            profile.duplicates == "error"),
                   computed=[name for name, *_, rule in plan.readers if rule is not None])


def feed_warning(ctx: Context, profile: Profile) -> str | None:
    """Why a task of this import profile would fail to read its feed now (the message the
    task would give), or None: a profile is saved all the same, the feed may come later.
    A secret it names that is not set is said first, for an export too."""
    missing = missing_secrets(ctx, profile)
    if missing:
        return "; ".join(missing)
    if profile.kind is not TaskKind.IMPORT or profile.source is None:
        return None
    found = preview_import(ctx, profile, rows=1)
    return found.error


def _first_bytes(ctx: Context, source: SourceSpec, tmp: Path) -> tuple[Path, bool]:
    location, fmt = source.location, source.format
    target = tmp / f"source.{fmt}"
    unpacking = Unpacking(member=source.archive_member, format=fmt)
    zipped = source.archive_member or location.split("?", 1)[0].lower().endswith(".zip")
    if fmt == "xlsx" or zipped:  # read whole: a zip's table of contents is at its end
        kind = "xlsx" if fmt == "xlsx" else "zip"
        cut = head(location, target, reach=ctx.reach, limit=PREVIEW_XLSX_BYTES,
                   seconds=PREVIEW_SECONDS, cut=False,
                   why=f"the preview reads {kind} files up to", secrets=ctx.secrets,
                   headers=source.headers, unpacking=unpacking)
        if fmt == "xlsx":
            return target, False
    else:
        cut = head(location, target, reach=ctx.reach, limit=PREVIEW_BYTES,
                   seconds=PREVIEW_SECONDS, secrets=ctx.secrets, headers=source.headers,
                   unpacking=unpacking)
    if cut and fmt in ("csv", "jsonl"):
        # A line cut in two would show as a short row: end at the last whole line.
        with target.open("r+b") as copy:
            data = copy.read()
            copy.truncate(data.rfind(b"\n") + 1)
    return target, cut


def _compare(ctx: Context, plan: ImportPlan, columns: list[str], records: list[Any],
             once: bool = True) -> list[PreviewRow]:
    """Each record's outcome, decided as a task decides it: queued by the same checks,
    joined with its product by `Catalog.fetch`, then `process.decide_batch`."""
    queued, _, _ = item_rows(records, 0, SeenInMemory() if once else None)
    keys = [key for _, key, _, outcome, _ in queued if key is not None and outcome == PENDING]
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.fetch(conn, plan.match, list(dict.fromkeys(keys)),
                                  plan.fetch_fields)
    # As `store.items.read_batch` reads them (`QueuedRow`): without the detail.
    queued_rows: list[QueuedRow] = [(seq, key, data, outcome)
                                    for seq, key, data, outcome, _ in queued]
    joined = join_found(plan, queued_rows, found)
    decision = decide_batch(plan, joined)
    with read_tx(ctx.db) as conn:  # what the catalog would refuse, as a run would find
        refused = ctx.catalog.refusals(conn, plan.fields, decision.updates,
                                       list(decision.creates.values()), category=plan.category)
    mark_refusals(decision.result, joined, refused, decision.creates)
    decided = {seq: (outcome, detail) for seq, outcome, detail in decision.result.outcomes}
    wording = Wording([rule for *_, rule in plan.readers])
    result = []
    for (seq, key, given, queued_as, why), record in zip(queued, records, strict=True):
        outcome, detail = decided.get(seq, (queued_as, why))
        detail = wording.detail(detail, given)
        values = {} if isinstance(record, RowError) else dict(zip(columns, record, strict=False))
        computed = {} if isinstance(record, RowError) else _computed(plan, list(record))
        result.append(PreviewRow(seq=seq, key=key, values=values, computed=computed,
                                 item_outcome=outcome, detail=detail or ""))
    return result


def _computed(plan: ImportPlan, values: list[str | None]) -> dict[str, str]:
    """What each rule makes of a row, shown even when the product would not change."""
    shown: dict[str, str] = {}
    for name, *_, rule in plan.readers:
        if rule is None:
            continue
        try:
            value, trace = rule.compute(values)
        except (TransformError, ConversionError) as exc:
            shown[name] = f"error: {exc}"
            continue
        if value is None:
            shown[name] = "(no value: left as it is)"
        else:
            shown[name] = show(value) + (f" ({rule.explain(trace)})" if trace else "")
    return shown
