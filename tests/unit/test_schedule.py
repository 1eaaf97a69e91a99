"""Cron expressions, occurrences in a profile's time zone, and what a heartbeat does when due."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncbeat.domain.schedule import (
    DuePlan,
    ScheduleError,
    check_cron,
    next_occurrence,
    occurrences,
    plan_due,
    zone,
)

VILNIUS = "Europe/Vilnius"
LOCAL = ZoneInfo(VILNIUS)
TEN_MINUTES = timedelta(minutes=10)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(at: datetime) -> str:
    """An instant as the shop's clock on the wall shows it, with its offset."""
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M %z")


# --- check_cron -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [("*/15 * * * *", "*/15 * * * *"), ("  0   3 * *  1-5 ", "0 3 * * 1-5")],
)
def test_a_valid_cron_expression_is_normalised(written: str, normalised: str) -> None:
    assert check_cron(written) == normalised


@pytest.mark.parametrize(
    "expr", ["61 * * * *", "* 24 * * *", "* * 32 * *", "* * * 13 *", "a b c d e", "* * 31 2 *"]
)
def test_an_impossible_field_is_refused_in_words(expr: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        check_cron(expr)
    assert str(caught.value).startswith(f"'{expr}' is not a valid cron expression (")


@pytest.mark.parametrize("expr", ["0 0 * * * *", "0 * * *", "", "@daily"])
def test_only_five_fields_are_accepted(expr: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        check_cron(expr)
    assert str(caught.value) == (
        f"'{expr}' is not a valid cron expression: it needs 5 fields "
        "(minute hour day-of-month month day-of-week)"
    )


def test_a_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Bad minute"):
        check_cron("61 * * * *")


# --- zone -------------------------------------------------------------------------------------


def test_a_known_time_zone() -> None:
    assert zone(VILNIUS) == LOCAL


@pytest.mark.parametrize("name", ["Mars/Base", "europe/vilnius", "", "../etc", "Europe"])
def test_an_unknown_time_zone_is_refused_in_words(name: str) -> None:
    # "Europe" is a folder of the time zone database, not a zone: a user may well type it.
    with pytest.raises(ScheduleError) as caught:
        zone(name)
    assert str(caught.value) == f"'{name}' is not a known time zone (for example Europe/Vilnius)"


# --- occurrences ------------------------------------------------------------------------------


def test_occurrences_are_strictly_after_and_in_aware_utc() -> None:
    found = occurrences("*/15 * * * *", VILNIUS, utc(2026, 5, 4, 12, 0), 3)
    assert found == [utc(2026, 5, 4, 12, 15), utc(2026, 5, 4, 12, 30), utc(2026, 5, 4, 12, 45)]
    assert all(at.tzinfo is UTC for at in found)


def test_a_daily_time_is_the_shops_local_time() -> None:
    # Vilnius is UTC+3 in summer, UTC+2 in winter.
    assert next_occurrence("0 9 * * *", VILNIUS, utc(2026, 7, 1)) == utc(2026, 7, 1, 6, 0)
    assert next_occurrence("0 9 * * *", VILNIUS, utc(2026, 12, 1)) == utc(2026, 12, 1, 7, 0)


def test_spring_forward_a_time_in_the_skipped_hour_runs_once_just_after_the_jump() -> None:
    # 2026-03-29 at 03:00 Vilnius clocks jump to 04:00: 03:30 does not exist that day.
    found = occurrences("30 3 * * *", VILNIUS, utc(2026, 3, 28, 12, 0), 3)
    assert [local(at) for at in found] == [
        "2026-03-29 04:00 +0300",
        "2026-03-30 03:30 +0300",
        "2026-03-31 03:30 +0300",
    ]


def test_fall_back_a_time_in_the_repeated_hour_runs_once_at_its_first_pass() -> None:
    # 2026-10-25 at 04:00 Vilnius clocks go back to 03:00: 03:30 happens twice that night.
    found = occurrences("30 3 * * *", VILNIUS, utc(2026, 10, 24, 12, 0), 3)
    assert [local(at) for at in found] == [
        "2026-10-25 03:30 +0300",
        "2026-10-26 03:30 +0200",
        "2026-10-27 03:30 +0200",
    ]


@pytest.mark.parametrize(
    "after",
    [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 31), utc(2026, 10, 25, 1, 29)],
    ids=["at-the-first-pass", "just-after-it", "inside-the-second-pass"],
)
def test_fall_back_after_the_first_pass_the_next_run_is_tomorrow(after: datetime) -> None:
    # The heartbeat asks for the next occurrence right after starting the 03:30 task.
    assert next_occurrence("30 3 * * *", VILNIUS, after) == utc(2026, 10, 26, 1, 30)


def test_fall_back_fixed_minutes_in_the_repeated_hour_run_once_each() -> None:
    found = occurrences("15,45 3 * * *", VILNIUS, utc(2026, 10, 24, 12, 0), 3)
    assert [local(at) for at in found] == [
        "2026-10-25 03:15 +0300",
        "2026-10-25 03:45 +0300",
        "2026-10-26 03:15 +0200",
    ]


def test_fall_back_an_hourly_job_runs_every_real_hour() -> None:
    # Debian cron (and cronsim): a job with a wildcard hour follows the clock, so local 03:00
    # comes twice, one real hour apart; no instant repeats and none is skipped.
    found = occurrences("0 * * * *", VILNIUS, utc(2026, 10, 24, 21, 0), 6)
    assert [local(at) for at in found] == [
        "2026-10-25 01:00 +0300",
        "2026-10-25 02:00 +0300",
        "2026-10-25 03:00 +0300",
        "2026-10-25 03:00 +0200",
        "2026-10-25 04:00 +0200",
        "2026-10-25 05:00 +0200",
    ]
    assert len(set(found)) == len(found)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(found))


def test_spring_forward_an_hourly_job_runs_every_real_hour() -> None:
    found = occurrences("0 * * * *", VILNIUS, utc(2026, 3, 28, 22, 0), 4)
    assert [local(at) for at in found] == [
        "2026-03-29 01:00 +0200",
        "2026-03-29 02:00 +0200",
        "2026-03-29 04:00 +0300",
        "2026-03-29 05:00 +0300",
    ]
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(found))


@pytest.mark.parametrize(
    ("expr", "after"),
    [
        ("*/15 * * * *", utc(2026, 10, 24, 22, 0)),
        ("*/20 3 * * *", utc(2026, 10, 24, 22, 0)),
        ("30 * * * *", utc(2026, 10, 24, 22, 0)),
        ("*/15 * * * *", utc(2026, 3, 28, 23, 0)),
        ("30 3 * * *", utc(2026, 3, 27, 0, 0)),
    ],
)
def test_occurrences_across_a_transition_are_strictly_increasing(
    expr: str, after: datetime
) -> None:
    found = occurrences(expr, VILNIUS, after, 12)
    assert len(found) == 12
    assert found[0] > after
    assert all(a < b for a, b in itertools.pairwise(found))


# --- plan_due ---------------------------------------------------------------------------------


def test_on_time_the_pending_occurrence_starts_and_nothing_is_missed() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 12, 0), now=utc(2026, 5, 4, 12, 0), window=TEN_MINUTES,
    )
    assert plan == DuePlan(
        start=utc(2026, 5, 4, 12, 0), missed=(), skipped=0, next_at=utc(2026, 5, 4, 12, 15)
    )


def test_a_few_seconds_late_is_still_on_time() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 12, 0), now=utc(2026, 5, 4, 12, 0, 7), window=TEN_MINUTES,
    )
    assert plan.start == utc(2026, 5, 4, 12, 0)
    assert plan.missed == ()
    assert plan.next_at == utc(2026, 5, 4, 12, 15)


def test_after_four_hours_down_the_newest_starts_and_the_old_one_is_missed() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 8, 0), now=utc(2026, 5, 4, 12, 5), window=TEN_MINUTES,
    )
    assert plan.start == utc(2026, 5, 4, 12, 0)
    assert plan.missed == (utc(2026, 5, 4, 8, 0),)
    # 08:15, 08:30, ... 11:45: neither started nor recorded as tasks, only counted.
    assert plan.skipped == 15
    assert plan.next_at == utc(2026, 5, 4, 12, 15)
    assert plan.next_at > utc(2026, 5, 4, 12, 5)


def test_when_the_newest_is_outside_the_window_nothing_starts_and_it_is_missed_too() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 8, 0), now=utc(2026, 5, 4, 12, 11), window=TEN_MINUTES,
    )
    assert plan.start is None
    assert plan.missed == (utc(2026, 5, 4, 8, 0), utc(2026, 5, 4, 12, 0))
    assert plan.skipped == 15
    assert plan.next_at == utc(2026, 5, 4, 12, 15)


def test_the_pending_occurrence_itself_outside_the_window_is_missed() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 12, 0), now=utc(2026, 5, 4, 12, 11), window=TEN_MINUTES,
    )
    assert plan == DuePlan(
        start=None, missed=(utc(2026, 5, 4, 12, 0),), skipped=0, next_at=utc(2026, 5, 4, 12, 15)
    )


def test_the_window_edge_still_starts() -> None:
    plan = plan_due(
        "*/15 * * * *", VILNIUS,
        pending_at=utc(2026, 5, 4, 12, 0), now=utc(2026, 5, 4, 12, 10), window=TEN_MINUTES,
    )
    assert plan.start == utc(2026, 5, 4, 12, 0)


@pytest.mark.parametrize(
    ("pending_at", "now"),
    [
        (utc(2026, 5, 4, 12, 0), utc(2026, 5, 4, 12, 3)),
        (utc(2026, 5, 4, 8, 0), utc(2026, 5, 4, 12, 5)),
        (utc(2026, 5, 4, 8, 0), utc(2026, 5, 4, 12, 11)),
        (utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 1, 5)),
    ],
)
def test_every_instant_in_a_plan_is_aware_utc(pending_at: datetime, now: datetime) -> None:
    plan = plan_due("0 * * * *", VILNIUS, pending_at=pending_at, now=now, window=TEN_MINUTES)
    instants = [*plan.missed, plan.next_at] + ([plan.start] if plan.start else [])
    assert instants
    assert all(at.utcoffset() == timedelta(0) and at.tzinfo is UTC for at in instants)


def test_down_across_fall_back_the_repeated_hour_counts_once_per_real_hour() -> None:
    # Pending 02:00+03 (23:00 UTC); back at 03:05+02 (01:05 UTC): 03:00+03 passed in between.
    plan = plan_due(
        "0 * * * *", VILNIUS,
        pending_at=utc(2026, 10, 24, 23, 0), now=utc(2026, 10, 25, 1, 5), window=TEN_MINUTES,
    )
    assert plan.start == utc(2026, 10, 25, 1, 0)
    assert plan.missed == (utc(2026, 10, 24, 23, 0),)
    assert plan.skipped == 1
    assert plan.next_at == utc(2026, 10, 25, 2, 0)


def test_a_pending_occurrence_still_in_the_future_is_not_planned() -> None:
    with pytest.raises(ValueError):
        plan_due(
            "*/15 * * * *", VILNIUS,
            pending_at=utc(2026, 5, 4, 12, 15), now=utc(2026, 5, 4, 12, 5), window=TEN_MINUTES,
        )


# A week down on an every-minute schedule: more occurrences than plan_due walks one by one.
WEEK_START = utc(2026, 5, 1, 0, 0)
WEEK_LATER = utc(2026, 5, 8, 0, 0)


def test_a_week_down_starts_the_newest_occurrence() -> None:
    plan = plan_due(
        "* * * * *", "UTC",
        pending_at=WEEK_START, now=WEEK_LATER + timedelta(seconds=30), window=TEN_MINUTES,
    )
    assert plan.start == WEEK_LATER
    assert plan.missed == (WEEK_START,)
    assert plan.next_at == WEEK_LATER + timedelta(minutes=1)


def test_a_week_down_counts_every_skipped_occurrence() -> None:
    plan = plan_due(
        "* * * * *", "UTC",
        pending_at=WEEK_START, now=WEEK_LATER + timedelta(seconds=30), window=TEN_MINUTES,
    )
    # Every minute strictly between the missed 05-01 00:00 and the started 05-08 00:00.
    assert plan.skipped == 7 * 24 * 60 - 1


def test_a_week_down_an_occurrence_exactly_at_now_starts() -> None:
    # For a short downtime an occurrence at exactly `now` starts (see the on-time test);
    # a long downtime must not lose it: it is neither started, missed nor the next one.
    plan = plan_due("* * * * *", "UTC", pending_at=WEEK_START, now=WEEK_LATER, window=TEN_MINUTES)
    assert plan.start == WEEK_LATER
    assert plan.next_at == WEEK_LATER + timedelta(minutes=1)
