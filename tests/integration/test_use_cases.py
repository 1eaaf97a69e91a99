"""The use-case layer every face calls (engine/profiles.py, settings.py, tokens.py): what it
saves and the typed errors each face turns into its own answer."""

from __future__ import annotations

import pytest
from helpers import import_profile

from syncbeat.domain.profile import ProfileError
from syncbeat.engine import profiles, settings, tokens
from syncbeat.engine.errors import NameTaken, NotFound, SettingRefused
from syncbeat.store.db import read_tx
from syncbeat.store.profiles import list_profiles


def _names(ctx):
    with read_tx(ctx.db) as conn:
        return [(p.name, p.enabled) for p in list_profiles(conn)]


def test_a_profile_is_saved_found_disabled_and_deleted(ctx):
    saved = profiles.save_profile_data(ctx, {**import_profile(), "id": 99}, None)
    assert saved.id != 99  # an id in the settings never chooses the row
    assert profiles.find_profile(ctx, "Supplier A stock") == saved
    assert profiles.find_profile(ctx, str(saved.id)) == saved
    assert profiles.set_enabled(ctx, saved.id, False).enabled is False
    assert _names(ctx) == [("Supplier A stock", False)]
    assert profiles.delete_profile(ctx, "Supplier A stock").id == saved.id
    assert _names(ctx) == []


def test_a_profile_that_does_not_exist_is_not_found(ctx):
    for ref in ("nope", "42", "a\x00b"):
        with pytest.raises(NotFound, match="no profile"):
            profiles.find_profile(ctx, ref)
    with pytest.raises(NotFound):
        profiles.set_enabled(ctx, 42, True)
    with pytest.raises(NotFound):
        profiles.delete_profile(ctx, 42)


def test_a_name_taken_is_its_own_error_other_mistakes_name_their_fields(ctx):
    first = profiles.save_profile_data(ctx, import_profile(), None)
    with pytest.raises(NameTaken) as taken:
        profiles.save_profile_data(ctx, import_profile(), None)
    assert taken.value.errors == [
        ("name", f"a profile named 'Supplier A stock' exists already (id {first.id})")]
    with pytest.raises(ProfileError) as wrong:
        profiles.save_profile_data(ctx, import_profile(name="B", batch_size=0), None)
    assert not isinstance(wrong.value, NameTaken)
    assert [name for name, _ in wrong.value.errors] == ["batch_size"]
    assert _names(ctx) == [("Supplier A stock", True)]


def test_a_new_profile_takes_the_configured_time_zone(ctx):
    settings.change_settings(ctx, {"timezone": "Europe/Vilnius"})
    assert profiles.save_profile_data(ctx, import_profile(), None).timezone == "Europe/Vilnius"


def test_settings_change_and_a_refused_one_names_itself_and_saves_nothing(ctx):
    assert settings.change_settings(ctx, {"retention_days": "7"}).retention_days == 7
    with pytest.raises(SettingRefused) as caught:
        settings.change_settings(ctx, {"lease_seconds": "60", "retention_days": "0"})
    assert caught.value.name == "retention_days"
    with pytest.raises(SettingRefused) as unknown:
        settings.change_settings(ctx, {"nope": "1"})
    assert unknown.value.name is None
    now = settings.current_settings(ctx)
    assert (now.retention_days, now.lease_seconds) == (7, 120)


def test_tokens_are_issued_listed_and_revoked(ctx):
    token, secret = tokens.issue_token(ctx.db, name=" cron ", scope="heartbeat", by="admin",
                                       now=ctx.clock())
    assert tokens.check_token(ctx.db, secret, ctx.clock()) == token
    assert [(t.name, t.scope) for t in tokens.tokens(ctx.db)] == [("cron", "heartbeat")]
    for name, scope, field in (("", "api:read", "name"), ("x", "root", "scope")):
        with pytest.raises(tokens.TokenRefused) as refused:
            tokens.issue_token(ctx.db, name=name, scope=scope, by=None, now=ctx.clock())
        assert refused.value.field == field
    assert tokens.revoke_token(ctx.db, token.id)
    assert not tokens.revoke_token(ctx.db, token.id)
    assert tokens.check_token(ctx.db, secret, ctx.clock()) is None
