"""Task statuses and their moves, item outcomes, and how a task's items and counters are shown."""

from __future__ import annotations

import itertools

import pytest

from syncbeat.domain.statuses import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    ItemOutcome,
    TaskStatus,
    can_move,
    sources_of,
)
from syncbeat.domain.task import Progress, shown_outcome

S = TaskStatus

# DESIGN.md, "Task statuses": each status and the statuses it may be reached from.
DESIGN_TABLE: dict[TaskStatus, set[TaskStatus]] = {
    S.PENDING: set(),  # (new)
    S.MISSED: {S.PENDING},
    S.KILLED: {S.PENDING, S.RUNNING},
    S.RUNNING: {S.PENDING},
    S.ERROR: {S.PENDING, S.RUNNING},
    S.COMPLETED: {S.RUNNING},
}
ALLOWED = {(src, target) for target, sources in DESIGN_TABLE.items() for src in sources}


def test_there_are_exactly_the_six_statuses_of_the_design() -> None:
    assert [str(s) for s in TaskStatus] == [
        "pending", "missed", "killed", "running", "error", "completed",
    ]


def test_final_and_active_statuses() -> None:
    assert FINAL_STATUSES == {S.MISSED, S.KILLED, S.ERROR, S.COMPLETED}
    assert ACTIVE_STATUSES == {S.PENDING, S.RUNNING}


@pytest.mark.parametrize(
    ("current", "target"),
    list(itertools.product(TaskStatus, TaskStatus)),
    ids=lambda s: str(s),
)
def test_a_move_is_allowed_exactly_when_the_design_table_allows_it(
    current: TaskStatus, target: TaskStatus
) -> None:
    assert can_move(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize("target", [S.MISSED, S.KILLED, S.RUNNING, S.ERROR])
def test_a_pending_task_may_be_missed_killed_started_or_fail(target: TaskStatus) -> None:
    assert can_move(S.PENDING, target)


@pytest.mark.parametrize("target", [S.KILLED, S.ERROR, S.COMPLETED])
def test_a_running_task_may_be_killed_fail_or_complete(target: TaskStatus) -> None:
    assert can_move(S.RUNNING, target)


def test_a_running_task_never_goes_back_to_pending() -> None:
    assert not can_move(S.RUNNING, S.PENDING)
    assert not can_move(S.RUNNING, S.MISSED)


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_a_final_status_moves_nowhere(final: TaskStatus) -> None:
    assert [t for t in TaskStatus if can_move(final, t)] == []


@pytest.mark.parametrize("target", list(TaskStatus), ids=str)
def test_sources_of_names_the_statuses_a_conditional_update_may_start_from(
    target: TaskStatus,
) -> None:
    assert sources_of(target) == DESIGN_TABLE[target]


def test_nothing_moves_into_pending() -> None:
    assert sources_of(S.PENDING) == frozenset()


@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        (ItemOutcome.PENDING, "pending"),
        (ItemOutcome.PROCESSED, "processed"),
        (ItemOutcome.SKIPPED, "skipped"),
        (ItemOutcome.CANCELLED, "cancelled"),
        (ItemOutcome.ERROR, "error"),
    ],
)
def test_outcome_labels_read_back(outcome: ItemOutcome, label: str) -> None:
    assert outcome.label == label
    assert ItemOutcome.from_label(label) is outcome


@pytest.mark.parametrize("word", ["Processed", " SKIPPED ", "error\n"])
def test_outcome_from_a_word_in_any_case_and_spacing(word: str) -> None:
    assert ItemOutcome.from_label(word).label == word.strip().lower()


@pytest.mark.parametrize("word", ["done", "", "process", "failed"])
def test_an_unknown_outcome_word_is_refused_with_the_words_to_use(word: str) -> None:
    with pytest.raises(ValueError) as caught:
        ItemOutcome.from_label(word)
    assert str(caught.value) == (
        f"'{word}' is not an outcome; use one of pending, processed, skipped, cancelled, error"
    )


@pytest.mark.parametrize("ended", [S.KILLED, S.MISSED, S.ERROR, S.COMPLETED])
def test_an_item_left_pending_in_an_ended_task_is_shown_cancelled(ended: TaskStatus) -> None:
    assert shown_outcome(ItemOutcome.PENDING, ended) is ItemOutcome.CANCELLED


@pytest.mark.parametrize("active", [S.PENDING, S.RUNNING])
def test_an_item_pending_in_an_active_task_is_shown_pending(active: TaskStatus) -> None:
    assert shown_outcome(0, active) is ItemOutcome.PENDING


@pytest.mark.parametrize(
    "stored",
    [ItemOutcome.PROCESSED, ItemOutcome.SKIPPED, ItemOutcome.CANCELLED, ItemOutcome.ERROR],
)
@pytest.mark.parametrize("status", list(TaskStatus), ids=str)
def test_an_item_with_an_outcome_is_shown_as_stored(
    stored: ItemOutcome, status: TaskStatus
) -> None:
    assert shown_outcome(int(stored), status) is stored


def test_progress_shows_the_counters_under_the_users_words() -> None:
    progress = Progress(total=10, pending=3, processed=4, skipped=1, cancelled=0, errors=2)
    assert progress.as_dict() == {
        "total": 10, "pending": 3, "processed": 4, "skipped": 1, "cancelled": 0, "error": 2,
    }
    assert list(progress.as_dict()) == [
        "total", "pending", "processed", "skipped", "cancelled", "error",
    ]
    assert progress.done == 7
