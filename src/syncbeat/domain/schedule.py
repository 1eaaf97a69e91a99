"""Schedule math: cron occurrences in a profile's time zone, and what is due or missed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used; str() is the operator's message."""


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`, or a ScheduleError in words."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones
        raise ScheduleError(
            f"'{name}' is not a known time zone (for example Europe/Vilnius)"
        ) from None


_NOT_ZONES = ("posix/", "right/", "SystemV/")


def zone_choices(own: str, names: Iterable[str]) -> list[str]:
    """The IANA zones to offer, the shop's own first: "Area/City" names and UTC, not the
    system's "localtime", "Factory", "posixrules" or its posix/ and right/ copies."""
    real = sorted({n for n in names if ("/" in n and not n.startswith(_NOT_ZONES))
                   or n == "UTC"})
    return ([own] if own in real else []) + [n for n in real if n != own]


def in_zone(at: datetime, tz_name: str) -> datetime:
    """`at` on the clock of the profile's zone, carrying its offset (+02:00)."""
    return at.astimezone(zone(tz_name))


def shown_in_zone(at: datetime, tz_name: str, fmt: str = "%a %Y-%m-%d %H:%M") -> str:
    """"Tue 2026-12-01 08:00 EET (UTC+02:00)": a run as the profile's zone reads it."""
    local = in_zone(at, tz_name)
    offset = local.strftime("%z")
    return f"{local.strftime(fmt)} {local.strftime('%Z')} (UTC{offset[:3]}:{offset[3:]})"


def check_cron(expr: str) -> str:
    """Return the expression normalised, or raise ScheduleError naming the problem."""
    parts = expr.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"'{expr}' is not a valid cron expression: it needs 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    try:
        CronSim(" ".join(parts), datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise ScheduleError(f"'{expr}' is not a valid cron expression ({exc})") from None
    return " ".join(parts)


def describe(expr: str) -> str:
    """The schedule in words ("Every 15 minutes")."""
    try:
        return CronSim(expr, datetime(2000, 1, 1, tzinfo=UTC)).explain()
    except Exception:  # explain() is best effort; the expression itself was validated
        return expr


def occurrences(expr: str, tz: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences strictly after `after`, in UTC.

    Evaluated in the profile's zone, with Debian cron's rules across daylight saving:
    a time in the skipped hour runs once, just after the jump; a time in the repeated hour
    runs once, at its first pass.
    """
    it = CronSim(expr, after.astimezone(zone(tz)))
    result: list[datetime] = []
    for local in it:
        at = local.astimezone(UTC)
        if at <= after:
            continue  # the repeated hour can yield a time we already passed
        if result and at <= result[-1]:
            continue
        result.append(at)
        if len(result) == count:
            break
    return result


def next_occurrence(expr: str, tz: str, after: datetime) -> datetime:
    """The first occurrence strictly after `after`, in UTC."""
    return occurrences(expr, tz, after, 1)[0]


@dataclass(frozen=True, kw_only=True)
class DuePlan:
    """What to do with an overdue scheduled occurrence."""

    start: datetime | None  # the occurrence to start now, if any
    missed: tuple[datetime, ...]  # occurrences that become missed tasks
    skipped: int  # occurrences in between that are not materialised at all
    next_at: datetime  # the next occurrence after now, to be the profile's pending task


MAX_SCAN = 20_000  # occurrences walked after downtime: two weeks of a */1 schedule


def plan_due(
    expr: str, tz: str, *, pending_at: datetime, now: datetime, window: timedelta
) -> DuePlan:
    """Decide for a pending occurrence whose time has come.

    The newest occurrence not after `now` starts if it is inside the start window; the pending
    one (if older) becomes missed, and occurrences between the two are counted, not replayed.
    """
    if pending_at > now:
        raise ValueError("plan_due is for occurrences whose time has come")
    newest = pending_at
    between = 0
    cursor = pending_at
    for _ in range(MAX_SCAN):
        following = next_occurrence(expr, tz, cursor)
        if following > now:
            break
        between += 1
        newest = following
        cursor = following
    else:
        # Too long a downtime to walk: jump to the newest occurrence not after now, and
        # count the rest as MAX_SCAN ("at least").
        newest = _last_not_after(expr, tz, now)
        between = MAX_SCAN
    next_at = next_occurrence(expr, tz, now)
    in_window = now - newest <= window
    missed: list[datetime] = []
    if newest != pending_at:
        missed.append(pending_at)
        skipped = between - 1  # the newest is not skipped, it starts or is missed itself
    else:
        skipped = 0
    if not in_window:
        missed.append(newest)
        return DuePlan(start=None, missed=tuple(missed), skipped=skipped, next_at=next_at)
    return DuePlan(start=newest, missed=tuple(missed), skipped=skipped, next_at=next_at)


def _last_not_after(expr: str, tz: str, now: datetime) -> datetime:
    # Reverse iteration starts strictly before its start: start a second after now.
    start = (now + timedelta(seconds=1)).replace(microsecond=0)
    it = CronSim(expr, start.astimezone(zone(tz)), reverse=True)
    return next(it).astimezone(UTC)
