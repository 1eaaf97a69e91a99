"""The preview of an import profile: the first rows of its source, mapped, and what each
would change in the catalog; nothing is saved, nothing is written.

The source is checked as a save checks it, then read like a task reads it (only a regular file
within reach, only an allowed host), but at most its first PREVIEW_BYTES are copied (an xlsx
file, which cannot be read without its end, whole up to PREVIEW_XLSX_BYTES), within
PREVIEW_SECONDS, and only the rows shown are parsed: memory stays flat whatever the source."""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncbeat.domain.diff import describe_changes, diff
from syncbeat.domain.profile import Profile
from syncbeat.domain.statuses import TaskKind
from syncbeat.engine.context import Context
from syncbeat.engine.process import NO_CHANGE, NOT_FOUND, REWRITTEN, ImportPlan
from syncbeat.engine.profiles import check_profile_reach
from syncbeat.engine.start import feed_spec
from syncbeat.feeds import FeedError, RowError, open_feed
from syncbeat.feeds.sources import head
from syncbeat.store.db import read_tx

ROWS = 10
PREVIEW_BYTES = 1 << 20  # the first MiB of a source is enough for its first rows
PREVIEW_XLSX_BYTES = 16 << 20  # an xlsx file is a zip: it is read whole, up to 16 MiB
PREVIEW_SECONDS = 20.0  # a remote source must send them within this time


@dataclass(frozen=True, kw_only=True)
class PreviewRow:
    seq: int
    key: str | None
    values: dict[str, str | None]  # feed field -> text, as read
    outcome: str  # what a run would do: update, create, no change, skip, error
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """The row as the API returns it."""
        return {"seq": self.seq, "key": self.key, "values": self.values,
                "outcome": self.outcome, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class Preview:
    columns: list[str]
    rows: list[PreviewRow] = field(default_factory=list)
    error: str | None = None  # the source could not be read at all

    def as_dict(self) -> dict[str, Any]:
        """The preview as the API returns it."""
        return {"columns": self.columns, "rows": [r.as_dict() for r in self.rows],
                "error": self.error}


def preview_import(ctx: Context, profile: Profile, rows: int = ROWS) -> Preview:
    """Read the first `rows` records of the profile's source and compare them with the catalog;
    ProfileError (naming source.location) if the source is out of reach, as when saved."""
    if profile.kind is not TaskKind.IMPORT or profile.source is None:
        raise ValueError("only an import profile has a source to preview")
    check_profile_reach(ctx, profile)
    columns = profile.feed_fields
    spec = profile.to_dict()
    with tempfile.TemporaryDirectory(prefix="syncbeat-preview-") as tmp:
        cut = False
        try:
            path, cut = _first_bytes(ctx, profile.source.location, profile.source.format,
                                     Path(tmp))
            with open_feed(path, feed_spec(spec), columns) as reader:
                records = list(itertools.islice(reader.records(), rows))
        except FeedError as exc:
            more = f" (the preview reads the first {PREVIEW_BYTES >> 20} MiB)" if cut else ""
            return Preview(columns=columns, error=f"{exc}{more}")
    if cut and not records:
        return Preview(columns=columns, error=f"the first {PREVIEW_BYTES >> 20} MiB of the "
                                              "source hold no whole row: the preview reads no "
                                              "further (a task reads the whole feed)")
    return Preview(columns=columns, rows=_compare(ctx, spec, columns, records))


def _first_bytes(ctx: Context, location: str, fmt: str, tmp: Path) -> tuple[Path, bool]:
    target = tmp / f"source.{fmt}"
    if fmt == "xlsx":
        head(location, target, reach=ctx.reach, limit=PREVIEW_XLSX_BYTES,
             seconds=PREVIEW_SECONDS, cut=False, why="the preview reads xlsx files up to")
        return target, False
    cut = head(location, target, reach=ctx.reach, limit=PREVIEW_BYTES, seconds=PREVIEW_SECONDS)
    if cut and fmt in ("csv", "jsonl"):
        # A line cut in two would show as a short row: end at the last whole line.
        with target.open("r+b") as copy:
            data = copy.read()
            copy.truncate(data.rfind(b"\n") + 1)
    return target, cut


def _compare(ctx: Context, spec: dict[str, Any], columns: list[str], records: list[Any]
             ) -> list[PreviewRow]:
    plan = ImportPlan.from_spec(spec)
    parsed: list[tuple[int, str | None, dict[str, str | None], Any]] = []
    for seq, record in enumerate(records, start=1):
        if isinstance(record, RowError):
            parsed.append((seq, record.key, {}, record.message))
            continue
        values = dict(zip(columns, record, strict=False))
        key = (record[0] or "").strip() or None
        parsed.append((seq, key, values, record if key else "the row has no value for its key"))
    keys = [key for _, key, _, rec in parsed if key and not isinstance(rec, str)]
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.fetch(conn, plan.match, list(dict.fromkeys(keys)),
                                  plan.fetch_fields)
    result = []
    for seq, key, values, record in parsed:
        if isinstance(record, str):
            result.append(PreviewRow(seq=seq, key=key, values=values, outcome="error",
                                     detail=record))
            continue
        outcome, detail = _outcome(plan, key, record, found)
        result.append(PreviewRow(seq=seq, key=key, values=values, outcome=outcome,
                                 detail=detail))
    return result


def _outcome(plan: ImportPlan, key: str | None, record: tuple[Any, ...],
             found: dict[str, Any]) -> tuple[str, str]:
    incoming: dict[str, Any] = {}
    problems: list[str] = []
    for name, index, convert, *_ in plan.readers:
        text = record[index]
        if text is None:
            continue
        try:
            incoming[name] = convert(text, name)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        return "error", "; ".join(problems)
    hit = found.get(key or "")
    if hit is None:
        if not plan.create_missing:
            return "skip", NOT_FOUND
        if "reference" not in {plan.match, *incoming}:
            return "error", "not in the catalog, and a new product needs a reference"
        return "create", "created: " + json.dumps(
            {k: str(v) for k, v in incoming.items()}, ensure_ascii=False)
    changes = diff(hit[1], incoming)
    if changes:
        return "update", describe_changes(changes)
    return ("skip", NO_CHANGE) if plan.skip_unchanged else ("update", REWRITTEN)
