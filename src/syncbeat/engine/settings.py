"""The run-time settings (the Configure tab, `syncbeat settings`, /api/settings), read and
changed the same way by every face; a refused change is a SettingRefused naming the setting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncbeat.engine.context import Context
from syncbeat.engine.errors import SettingRefused
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.settings import SETTING_NAMES, RuntimeSettings, load_settings, save_settings


def current_settings(ctx: Context) -> RuntimeSettings:
    """The settings in force: stored values over the defaults."""
    with read_tx(ctx.db) as conn:
        return load_settings(conn)


def change_settings(ctx: Context, changes: Mapping[str, Any]) -> RuntimeSettings:
    """Validate and save the settings given (text or values); the others stay. SettingRefused
    names a setting that is unknown, not a number or out of range, and nothing is saved."""
    try:
        with write_tx(ctx.db) as conn:
            return save_settings(conn, dict(changes))
    except ValueError as exc:
        name = str(exc).partition(": ")[0]
        raise SettingRefused(str(exc), name if name in SETTING_NAMES else None) from None
