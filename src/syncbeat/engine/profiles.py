"""What users do to profiles, the same for every face (CLI, web form, API): find, validate
with the Configure tab's defaults, save (the locations it names checked against what syncbeat
may reach, a password it was shown as *** kept), enable, disable, delete. Mistakes are typed:
ProfileError names the fields, NameTaken a name another profile has, NotFound a profile
that does not exist."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from syncbeat.domain.profile import Profile, ProfileError, parse_profile
from syncbeat.domain.statuses import TaskKind
from syncbeat.engine.context import Context
from syncbeat.engine.errors import NameTaken, NotFound
from syncbeat.feeds.reach import DESTINATION, SOURCE, ReachError
from syncbeat.feeds.secretrefs import kept_header, placeholders_as, shown_header
from syncbeat.feeds.urls import MASK, has_masked_password, shown_url, unmasked_url
from syncbeat.store import profiles as store
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.settings import load_settings


def find_profile(ctx: Context, ref: int | str) -> Profile:
    """A profile by id or name; NotFound if there is none."""
    found = None
    if not (isinstance(ref, str) and "\x00" in ref):  # PostgreSQL refuses NUL in text
        with read_tx(ctx.db) as conn:
            found = store.get_profile(conn, ref)
    if found is None:
        raise NotFound(f"no profile '{ref}'")
    return found


def parse_with_defaults(ctx: Context, data: Mapping[str, Any]) -> Profile:
    """Validate a profile's settings (a file, a form, JSON) with the Configure tab's default
    time zone and the catalog's fields; an `id` in them is ignored."""
    with read_tx(ctx.db) as conn:
        settings = load_settings(conn)
    clean = {k: v for k, v in data.items() if k != "id"}
    return parse_profile(clean, default_timezone=settings.timezone, known=ctx.catalog.known)


def save_profile_data(ctx: Context, data: Mapping[str, Any], profile_id: int | None
                      ) -> Profile:
    """Validate settings and save them as a new profile (`profile_id` None) or over one."""
    return save_profile(ctx, parse_with_defaults(ctx, data), profile_id)


def save_profile(ctx: Context, profile: Profile, profile_id: int | None) -> Profile:
    """Insert (`profile_id` None) or replace a validated profile; ProfileError names the field
    of a location out of reach, a masked password that cannot be restored; NameTaken a name
    another profile has."""
    stored = None
    if profile_id is not None:
        with read_tx(ctx.db) as conn:
            stored = store.get_profile(conn, profile_id)
    profile = keep_passwords(profile, stored)
    check_profile_reach(ctx, profile)
    try:
        with write_tx(ctx.db) as conn:
            if profile_id is None:
                return store.insert_profile(conn, profile, ctx.clock())
            return store.update_profile(conn, profile_id, profile, ctx.clock())
    except ProfileError as exc:
        if [name for name, _ in exc.errors] == ["name"]:
            raise NameTaken(exc.errors) from None
        raise


def set_enabled(ctx: Context, ref: int | str, enabled: bool) -> Profile:
    """Enable a profile (its schedule runs again) or disable it (no scheduled task starts, its
    next occurrence is dropped); the profile as it is now."""
    found = find_profile(ctx, ref)
    assert found.id is not None
    with write_tx(ctx.db) as conn:
        if not store.set_enabled(conn, found.id, enabled, ctx.clock()):
            raise NotFound(f"no profile '{ref}'")
    return find_profile(ctx, found.id)


def delete_profile(ctx: Context, ref: int | str) -> Profile:
    """Delete a profile; its tasks stay in the history, naming it. The profile deleted."""
    found = find_profile(ctx, ref)
    assert found.id is not None
    with write_tx(ctx.db) as conn:
        if not store.delete_profile_row(conn, found.id):
            raise NotFound(f"no profile '{ref}'")
    return found


def check_profile_reach(ctx: Context, profile: Profile) -> None:
    """ProfileError naming source.location or destination.location if syncbeat may not read
    or write it (a file outside the allowed folders, one of its own files, a private host)."""
    errors: list[tuple[str, str]] = []
    for field, location in _locations(profile):
        if has_masked_password(location):
            errors.append((field, f"{location} has its password hidden as ***: type the "
                                  "password again"))
            continue
        # A secret's value is not read at save: its place is checked with a stand-in, and
        # the location is told as written.
        checked = placeholders_as(location, "secret")
        try:
            ctx.reach.check_location(checked, field, export=field == DESTINATION)
        except ReachError as exc:
            errors.append((field, exc.detail.replace(shown_url(checked), shown_url(location))))
    for section, headers in _headers(profile):
        for name, value in headers.items():
            if value == MASK:
                errors.append((f"{section}.headers.{name}", "is hidden as ***: type its value "
                                                            "again"))
    if errors:
        raise ProfileError(errors)


def _headers(profile: Profile) -> list[tuple[str, Mapping[str, str]]]:
    if profile.source is not None:
        return [("source", profile.source.headers)]
    return [("destination", profile.destination_headers)]


def keep_passwords(profile: Profile, stored: Profile | None) -> Profile:
    """The profile with each location sent back as shown (password ***) given its stored
    password again, when user, host and port are unchanged; and each header sent back as ***
    its stored value."""
    if stored is None:
        return profile
    if profile.source is not None and stored.source is not None:
        location = unmasked_url(profile.source.location, stored.source.location)
        headers = _kept(profile.source.headers, stored.source.headers)
        profile = dataclasses.replace(
            profile, source=dataclasses.replace(profile.source, location=location,
                                                headers=headers))
    if profile.destination:
        profile = dataclasses.replace(
            profile, destination=unmasked_url(profile.destination, stored.destination),
            destination_headers=_kept(profile.destination_headers, stored.destination_headers))
    return profile


def _kept(headers: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, str]:
    return {name: kept_header(value, stored.get(name)) for name, value in headers.items()}


def shown_settings(profile: Profile) -> dict[str, Any]:
    """The profile's settings as faces show them: a password in a location is ***, and so is
    a credential written straight into a header."""
    data = profile.to_dict()
    for section in ("source", "destination"):
        if isinstance(data.get(section), dict) and data[section].get("location"):
            data[section]["location"] = shown_url(data[section]["location"])
        if isinstance(data.get(section), dict) and data[section].get("headers"):
            data[section]["headers"] = {name: shown_header(name, value)
                                        for name, value in data[section]["headers"].items()}
    return data


def _locations(profile: Profile) -> list[tuple[str, str]]:
    if profile.kind is TaskKind.IMPORT and profile.source is not None:
        return [(SOURCE, profile.source.location)]
    return [(DESTINATION, profile.destination)] if profile.destination else []
