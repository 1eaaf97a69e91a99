"""What a field's rule did, in an item's detail: worded when the detail is read.

A batch writes "price: 9.99 -> 10.99" and a mark of the rule after it; the report, the item
pages and the API word the mark from the item's stored input and the rule of the task's own
spec (what the task ran with, whatever became of its profile since): "price: 9.99 -> 10.99
(net_price 7.40 x 1.35 = 9.99, + 0.50 = 10.49, ending .99)". Wording costs a changed row
more than its rule does; in the batch it would hold the write lock for every row, and most
details are never read. The log's lines, which name a few products a task, are worded at
once (`spelled`).

A detail with marks starts with MARK; each mark is MARK, the position of the field in the
spec's mapping, MARK. A processed item's detail never starts with MARK otherwise (it starts
with a field's name), and a batch words at once the rare detail whose values hold MARK.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy.engine import Connection

from syncbeat.domain.convert import ConversionError, to_text
from syncbeat.domain.statuses import ItemOutcome, TaskKind
from syncbeat.domain.task import Item, Task
from syncbeat.domain.transforms import Bound, TransformError
from syncbeat.engine.codec import decode
from syncbeat.store.history import Change
from syncbeat.store.items import list_items
from syncbeat.store.rows import WordingRow

MARK = "\x1e"  # ASCII record separator: never in a field's name

Rules = Sequence[Bound | None]  # by position in a spec's mapping: its rule, or None


def mark(position: int) -> str:
    """The mark of the rule of the mapping's field at `position`, written after its change."""
    return f"{MARK}{position}{MARK}"


def marked(changes: Sequence[str], marks: int, rules: Rules,
           values: Sequence[str | None]) -> str:
    """A detail of `changes`, `marks` of them marked, to word when read; worded at once if
    a value in them holds MARK."""
    joined = "; ".join(changes)
    if joined.count(MARK) == 2 * marks:
        return MARK + joined
    return "; ".join(spelled(changes, rules, values))


def spelled(changes: Sequence[str], rules: Rules, values: Sequence[str | None]) -> list[str]:
    """The changes with each mark replaced by what its rule did with `values`."""
    out = []
    for change in changes:
        if change.endswith(MARK):
            text, position = change[:-1].rsplit(MARK, 1)
            change = text + _words(rules[int(position)], values)
        out.append(change)
    return out


def _words(rule: Bound | None, values: Sequence[str | None]) -> str:
    if rule is None:
        return ""
    try:
        _, trace = rule.compute(values)
    except (TransformError, ConversionError, IndexError):  # the batch computed it: not seen
        return ""
    return f" ({rule.explain(trace)})" if trace is not None else ""


@dataclasses.dataclass(frozen=True)
class Wording:
    """The rules of a task's spec, to word the marks of its items' details."""

    rules: Rules

    @classmethod
    def of(cls, task: Task) -> Wording | None:
        """The wording of an import task whose spec maps a field by a rule; else None (its
        details have no marks)."""
        spec = task.started_spec() if task.kind is TaskKind.IMPORT else None
        if spec is None or all(isinstance(v, str) for v in spec.profile.mapping.values()):
            return None
        read = spec.profile.feed_fields
        # The field's converter does not change what a rule did; text never fails.
        return cls([None if isinstance(rule, str) else rule.bind(read, name, to_text)
                    for name, rule in spec.profile.mapping.items()])

    def detail(self, detail: str | None, raw_input: str | None) -> str | None:
        """`detail` with its marks worded from the item's stored input."""
        if not detail or not detail.startswith(MARK):
            return detail
        parts = detail[1:].split(MARK)
        values = decode(raw_input) if raw_input is not None else []
        out = [parts[0]]
        for at in range(1, len(parts) - 1, 2):
            position = int(parts[at])
            rule = self.rules[position] if position < len(self.rules) else None
            out.append(_words(rule, values))
            out.append(parts[at + 1])
        return "".join(out)

    def detail_of(self, row: WordingRow) -> str | None:
        """A report row's detail, worded."""
        return self.detail(row.detail, row.input)

    def items(self, found: list[Item]) -> list[Item]:
        """The items with their details worded."""
        return [dataclasses.replace(item, detail=self.detail(item.detail, item.input))
                if item.detail and item.detail.startswith(MARK) else item for item in found]


def read_items(
    conn: Connection, task: Task, *, outcome: ItemOutcome | None = None, after: int = 0,
    limit: int = 100,
) -> list[Item]:
    """A page of the task's items as users read them (`store.items.list_items`), each
    rule's change worded: what the task's pages and the API show."""
    found = list_items(conn, task.id, task.status, outcome=outcome, after=after, limit=limit)
    wording = Wording.of(task)
    return wording.items(found) if wording is not None else found


def worded_changes(changes: list[Change]) -> list[Change]:
    """A product's history (`store.history.tasks_that_changed`) with each rule's change
    worded by the rules of the task that made it."""
    wordings: dict[int, Wording | None] = {}
    out = []
    for change in changes:
        if change.detail and change.detail.startswith(MARK):
            if change.task.id not in wordings:
                wordings[change.task.id] = Wording.of(change.task)
            wording = wordings[change.task.id]
            if wording is not None:
                change = dataclasses.replace(
                    change, detail=wording.detail(change.detail, change.input))
        out.append(change)
    return out
