"""The typed errors of the use cases (actions, profiles, settings): each face turns them into
its own answer (the CLI a line and an exit code, the API a status and JSON, the pages a
message), and none of them is told how."""

from __future__ import annotations

from syncbeat.domain.profile import ProfileError


class ActionError(Exception):
    """An action that cannot be done; `code` says why in HTTP terms (404, 409)."""

    def __init__(self, message: str, code: int = 409) -> None:
        super().__init__(message)
        self.code = code


class NotFound(ActionError):
    """What the action names does not exist (a profile, a task)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 404)


class NameTaken(ProfileError):
    """A profile's name that another profile has: its only mistake, a conflict."""


class SettingRefused(ValueError):
    """A run-time setting that is unknown or out of range; `name` is the setting named, if
    it is one."""

    def __init__(self, message: str, name: str | None) -> None:
        super().__init__(message)
        self.name = name
