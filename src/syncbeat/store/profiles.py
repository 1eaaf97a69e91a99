"""Named operations on profiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from syncbeat.domain.ids import parse_ref
from syncbeat.domain.profile import Profile, ProfileError, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.tables import profiles, tasks


def _values(profile: Profile, now: datetime) -> dict[str, Any]:
    return dict(
        name=profile.name, kind=str(profile.kind), enabled=profile.enabled,
        schedule=profile.schedule, timezone=profile.timezone, batch_size=profile.batch_size,
        spec=profile.to_dict(), updated_at=now,
    )


def _from_row(row: Any) -> Profile:
    spec = dict(row.spec)
    spec["id"] = row.id
    return parse_profile(spec, known=None)  # its fields were checked when it was saved


def insert_profile(conn: Connection, profile: Profile, now: datetime) -> Profile:
    """Save a new profile; a ProfileError on the name if it is taken."""
    _check_name_free(conn, profile.name, None)
    new_id = conn.execute(
        sa.insert(profiles).values(**_values(profile, now), created_at=now).returning(profiles.c.id)
    ).scalar_one()
    return get_profile(conn, new_id)  # type: ignore[return-value]


def update_profile(conn: Connection, profile_id: int, profile: Profile, now: datetime) -> Profile:
    """Replace a profile's settings. Its placeholder for the next occurrence is dropped so the
    heartbeat schedules it anew from the new schedule."""
    _check_name_free(conn, profile.name, profile_id)
    conn.execute(
        sa.update(profiles).where(profiles.c.id == profile_id).values(**_values(profile, now))
    )
    drop_scheduled_placeholder(conn, profile_id)
    return get_profile(conn, profile_id)  # type: ignore[return-value]


def _check_name_free(conn: Connection, name: str, own_id: int | None) -> None:
    query = sa.select(profiles.c.id).where(profiles.c.name == name)
    other = conn.execute(query).scalar()
    if other is not None and other != own_id:
        raise ProfileError([("name", f"a profile named '{name}' exists already (id {other})")])


def drop_scheduled_placeholder(conn: Connection, profile_id: int) -> None:
    """Delete the profile's scheduled task that has not started yet (it has no items)."""
    conn.execute(
        sa.delete(tasks).where(
            tasks.c.profile_id == profile_id,
            tasks.c.status == str(TaskStatus.PENDING),
            tasks.c.trigger == "schedule",
        )
    )


def get_profile(conn: Connection, ref: int | str) -> Profile | None:
    """A profile by id, or by name."""
    ref = parse_ref(ref) if isinstance(ref, str) else ref
    where = profiles.c.id == ref if isinstance(ref, int) else profiles.c.name == ref
    row = conn.execute(sa.select(profiles).where(where)).first()
    return _from_row(row) if row else None


def lock_profile(conn: Connection, profile_id: int) -> None:
    """Hold the profile's row lock until commit (a no-op on SQLite, whose writers take turns)."""
    conn.execute(sa.select(profiles.c.id).where(profiles.c.id == profile_id).with_for_update())


def list_profiles(conn: Connection, *, scheduled_only: bool = False) -> list[Profile]:
    """All profiles by name; or only the enabled ones with a schedule."""
    query = sa.select(profiles).order_by(profiles.c.name)
    if scheduled_only:
        query = query.where(profiles.c.enabled.is_(True), profiles.c.schedule.is_not(None))
    return [_from_row(row) for row in conn.execute(query)]


def set_enabled(conn: Connection, profile_id: int, enabled: bool, now: datetime) -> bool:
    """Enable or disable a profile; True if it exists."""
    profile = get_profile(conn, profile_id)
    if profile is None:
        return False
    spec = profile.to_dict()
    spec["enabled"] = enabled
    conn.execute(
        sa.update(profiles)
        .where(profiles.c.id == profile_id)
        .values(enabled=enabled, spec=spec, updated_at=now)
    )
    if not enabled:
        drop_scheduled_placeholder(conn, profile_id)
    return True


def delete_profile_row(conn: Connection, profile_id: int) -> bool:
    """Delete a profile; its tasks stay, naming it, with no link to it."""
    drop_scheduled_placeholder(conn, profile_id)
    conn.execute(
        sa.update(tasks).where(tasks.c.profile_id == profile_id).values(profile_id=None)
    )
    return conn.execute(sa.delete(profiles).where(profiles.c.id == profile_id)).rowcount == 1
