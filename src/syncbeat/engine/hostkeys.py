"""The host keys of a profile's SFTP servers, the same for every face (`profile show`, the
profile's page, `profile accept-host-key`): what each server shows now against known_hosts,
and accepting one key, the one the operator was shown."""

from __future__ import annotations

from dataclasses import dataclass

from syncbeat.domain.profile import Profile
from syncbeat.engine.context import Context
from syncbeat.feeds.errors import FeedError
from syncbeat.feeds.reach import DESTINATION, SFTP, SOURCE
from syncbeat.feeds.secretrefs import Filled
from syncbeat.feeds.sftp import HostKey, accept_host_key, scan_host_key
from syncbeat.feeds.urls import url_scheme

SCAN_SECONDS = 10.0  # a page or `profile show` waits this long at most for a server's key


@dataclass(frozen=True, kw_only=True)
class ServerKey:
    """A profile's SFTP location and the key its server shows, or why it could not be seen."""

    field: str  # source.location | destination.location
    key: HostKey | None
    problem: str | None = None

    def words(self) -> str:
        """One line: the key and whether it is accepted, with how to accept it."""
        if self.key is None:
            return f"{self.field}: the server's host key could not be read: {self.problem}"
        if self.key.status == "known":
            return f"{self.field}: host key {self.key.words()} (accepted)"
        said = "NOT YET ACCEPTED" if self.key.status == "unknown" else (
            "CHANGED since it was accepted")
        return (f"{self.field}: host key {self.key.words()} {said}: if it is your server's "
                f"key, accept it with `syncbeat profile accept-host-key PROFILE "
                f"{self.key.fingerprint}`")


def _sftp_locations(profile: Profile) -> list[tuple[str, str]]:
    found = []
    if profile.source is not None:
        found.append((SOURCE, profile.source.location))
    if profile.destination:
        found.append((DESTINATION, profile.destination))
    return [(field, loc) for field, loc in found if url_scheme(loc.strip()) == SFTP]


def server_keys(ctx: Context, profile: Profile) -> list[ServerKey]:
    """The host key each SFTP server of the profile shows now (none: no SFTP location)."""
    found = []
    for field, location in _sftp_locations(profile):
        filled = Filled(ctx.secrets)
        try:
            with filled.scrubbing():
                url = filled.fill(location.strip(), field, url=True)
                found.append(ServerKey(field=field, key=scan_host_key(
                    url, reach=ctx.reach, timeout=SCAN_SECONDS)))
        except FeedError as exc:
            found.append(ServerKey(field=field, key=None, problem=str(exc)))
    return found


def accept_server_key(ctx: Context, profile: Profile, fingerprint: str) -> list[HostKey]:
    """Add to known_hosts the key `fingerprint` of the profile's SFTP servers that show it;
    FeedError if none does."""
    accepted, problems = [], []
    for field, location in _sftp_locations(profile):
        filled = Filled(ctx.secrets)
        try:
            with filled.scrubbing():
                url = filled.fill(location.strip(), field, url=True)
                accepted.append(accept_host_key(url, fingerprint, reach=ctx.reach,
                                                timeout=SCAN_SECONDS))
        except FeedError as exc:
            problems.append(f"{field}: {exc}")
    if not accepted:
        if not problems:
            raise FeedError(f"the profile '{profile.name}' has no sftp:// location")
        raise FeedError("; ".join(problems))
    return accepted


