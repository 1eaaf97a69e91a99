"""sftp:// sources and export destinations (issue 11), against a real SFTP server (paramiko's
server classes) on 127.0.0.1: the host key is never accepted silently, only the one shown is
accepted, a changed key is refused; passwords and secrets never show."""

from __future__ import annotations

import itertools
import json
import stat
from typing import Any

import paramiko
import pytest
from helpers import add_profile, drain, import_profile, product, task_of

from sftpserver import PASSWORD, sftp_server
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.hostkeys import accept_server_key, server_keys
from syncbeat.engine.secrets import set_secret
from syncbeat.feeds import FeedError

NUMBERS = itertools.count(1)


def import_of(ctx: Any, location: str) -> Any:
    return add_profile(ctx, import_profile(
        name=f"SFTP {next(NUMBERS)}",
        source={"location": location, "format": "csv", "delimiter": ";"}))


def run(ctx: Any, profile: Any) -> Any:
    task_id = run_now(ctx, profile.id)
    drain(ctx)
    return task_of(ctx, task_id)


def test_a_first_seen_key_is_shown_never_accepted_then_accepted_as_shown(loopback, root):
    with sftp_server(root) as server:
        profile = import_of(loopback, server.url("/feeds/stock.csv"))
        first = run(loopback, profile)
        assert first.status is TaskStatus.ERROR
        host = f"[127.0.0.1]:{server.port}"
        assert first.message == (
            f"the SFTP server {host} is not known yet: it shows the host key "
            f"ecdsa-sha2-nistp256 {server.fingerprint}. If that is your server's key, accept "
            f"it with `syncbeat profile accept-host-key {profile.id} {server.fingerprint}` or on "
            "the profile's page; syncbeat never accepts a key by itself")
        assert not (loopback.data_dir / "known_hosts").exists()
        assert product(loopback, "P1")["price"] == "1.00"  # type: ignore[index]
        [shown] = server_keys(loopback, profile)
        assert shown.key is not None and shown.key.status == "unknown"
        assert shown.key.fingerprint == server.fingerprint
        with pytest.raises(FeedError, match=r"shows the key .* now, not SHA256:wrong"):
            accept_server_key(loopback, profile, "SHA256:wrong")
        assert not (loopback.data_dir / "known_hosts").exists()
        accept_server_key(loopback, profile, server.fingerprint)
        known = loopback.data_dir / "known_hosts"
        assert stat.S_IMODE(known.stat().st_mode) == 0o600
        assert known.read_text().startswith(f"{host} ecdsa-sha2-nistp256 ")
        task = run(loopback, profile)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert [product(loopback, r)["price"] for r in ("P1", "P2")] == [  # type: ignore[index]
        "4.50", "5.50"]


def test_a_changed_key_is_refused(loopback, root):
    with sftp_server(root) as server:
        profile = import_of(loopback, server.url("/feeds/stock.csv"))
        accept_server_key(loopback, profile, server.fingerprint)
        port = server.port
    with sftp_server(root) as other:
        moved = import_of(loopback, other.url("/feeds/stock.csv"))
        # Another server (a new key) answering where the known one did.
        (loopback.data_dir / "known_hosts").write_text(
            (loopback.data_dir / "known_hosts").read_text().replace(str(port), str(other.port)))
        task = run(loopback, moved)
    assert task.status is TaskStatus.ERROR
    assert task.message.startswith(
        f"the host key of the SFTP server [127.0.0.1]:{other.port} changed: it shows "
        f"ecdsa-sha2-nistp256 {other.fingerprint}, not the key in ")


def test_an_export_is_stored_whole_with_a_secret_password(loopback, root):
    set_secret(loopback, "sftp_password", PASSWORD)
    with sftp_server(root) as server:
        profile = add_profile(loopback, {
            "name": "To SFTP", "kind": "export", "fields": {"sku": "reference"},
            "destination": {"location": server.url("/incoming/",
                                                   login="shop:{secret:sftp_password}")}})
        refused = run(loopback, profile)
        assert refused.status is TaskStatus.ERROR
        assert refused.message.startswith("the export file was written but not delivered: ")
        assert (f"accept it with `syncbeat profile accept-host-key {profile.id} "
                f"{server.fingerprint}`") in refused.message
        assert list((root / "incoming").iterdir()) == []
        accept_server_key(loopback, profile, server.fingerprint)
        task = run(loopback, profile)
    assert task.status is TaskStatus.COMPLETED, task.message
    [stored] = list((root / "incoming").iterdir())
    assert json.loads(stored.read_text())["count"] == 2
    assert PASSWORD not in task.message


def test_a_wrong_password_or_a_missing_file_is_said_without_the_password(loopback, root):
    with sftp_server(root) as server:
        wrong = import_of(loopback, server.url("/feeds/stock.csv", login="shop:wrong-pw"))
        accept_server_key(loopback, wrong, server.fingerprint)
        login = run(loopback, wrong)
        missing = run(loopback, import_of(loopback, server.url("/feeds/gone.csv")))
    assert login.message == (f"the SFTP server of sftp://shop:***@127.0.0.1:{server.port}"
                             "/feeds/stock.csv refused the login")
    assert missing.message.startswith(
        f"the SFTP server of sftp://shop:***@127.0.0.1:{server.port}/feeds/gone.csv refused "
        "reading /feeds/gone.csv: ")
    assert "wrong-pw" not in login.message and "S3cret" not in missing.message


def test_the_host_guard_refuses_an_sftp_server_on_the_servers_own_network(ctx, root):
    with sftp_server(root) as server:
        task = run(ctx, import_of(ctx, server.url("/feeds/stock.csv")))
    assert task.status is TaskStatus.ERROR
    assert "the host 127.0.0.1 is a loopback address of the server itself" in task.message
    assert server.connections == 0


def test_the_key_is_accepted_from_the_cli_and_the_page(loopback, root, db_url):
    from click.testing import CliRunner

    from syncbeat.cli import main

    with sftp_server(root) as server:
        profile = import_of(loopback, server.url("/feeds/stock.csv"))
        env = {"SYNCBEAT_ALLOWED_HOSTS": "127.0.0.1"}
        args = ["--data-dir", str(loopback.data_dir), "--database-url", db_url]
        shown = CliRunner().invoke(main, [*args, "profile", "show", str(profile.id)], env=env)
        assert shown.exit_code == 0, shown.output
        assert (f"source.location: host key ecdsa-sha2-nistp256 {server.fingerprint} NOT YET "
                f"ACCEPTED: if it is your server's key, accept it with `syncbeat profile "
                f"accept-host-key {profile.id} {server.fingerprint}`") in shown.output
        done = CliRunner().invoke(main, [*args, "profile", "accept-host-key", str(profile.id),
                                         server.fingerprint], env=env)
        assert done.exit_code == 0, done.output
        assert done.output == (f"host key ecdsa-sha2-nistp256 {server.fingerprint} of "
                               f"[127.0.0.1]:{server.port} accepted\n")
        again = CliRunner().invoke(main, [*args, "profile", "show", str(profile.id)], env=env)
        assert f"{server.fingerprint} (accepted)" in again.output
    assert paramiko  # the server above is paramiko's own


def test_a_server_out_of_reach_is_said_without_the_password_written_in_the_url(loopback):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    profile = import_of(loopback, f"sftp://shop:PLAINPW@127.0.0.1:{port}/feeds/stock.csv")
    [shown] = server_keys(loopback, profile)
    assert shown.key is None and shown.problem is not None
    assert f"sftp://shop:***@127.0.0.1:{port}/" in shown.problem, shown.problem
    assert "PLAINPW" not in shown.problem
    with pytest.raises(FeedError) as refused:
        accept_server_key(loopback, profile, "SHA256:nothing")
    assert "PLAINPW" not in str(refused.value) and "shop:***@" in str(refused.value)


def test_a_delivery_the_server_hangs_up_on_is_tried_again(loopback, root):
    with sftp_server(root) as server:
        profile = add_profile(loopback, {
            "name": "To SFTP again", "kind": "export", "fields": {"sku": "reference"},
            "destination": {"location": server.url("/incoming/")}})
        accept_server_key(loopback, profile, server.fingerprint)
        before = server.connections
        server.drop = 2  # the next two connections are hung up on at once
        task = run(loopback, profile)
        assert task.status is TaskStatus.COMPLETED, task.message
        assert server.connections - before == 3  # two hung up on, the third delivered
        [stored] = list((root / "incoming").iterdir())
        assert json.loads(stored.read_text())["count"] == 2
        # Hung up on every time: the task says how often it tried, without the password.
        server.drop = 10
        failed = run(loopback, profile)
    assert failed.status is TaskStatus.ERROR
    assert "failed (tried 4 times)" in failed.message, failed.message
    assert PASSWORD not in failed.message
