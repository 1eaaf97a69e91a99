"""The profile's page shows the host key its SFTP server shows, and accepts it with a button
(issue 11), against a real SFTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from webtools import csrf_of, import_data

from sftpserver import sftp_server
from syncbeat.engine.context import sqlite_file
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach


def test_the_page_shows_the_key_and_its_button_accepts_that_key(api, web, ctx: Any, tmp_path):
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"),
                             database=sqlite_file(ctx.db))
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.csv").write_text("sku;title;net_price;stock\nP1;One;2.00;5\n")
    with sftp_server(tmp_path) as server:
        made = api.post("/api/profiles", json=import_data(source={
            "location": server.url("/feeds/a.csv"), "format": "csv", "delimiter": ";"}))
        assert made.status_code == 201, made.text
        assert "is not known yet" in made.json()["warning"]
        pid = made.json()["id"]
        page = web.get(f"/profiles/{pid}/edit").text
        assert f"ecdsa-sha2-nistp256 {server.fingerprint}</code>, not accepted yet" in page
        assert f'name="fingerprint" value="{server.fingerprint}"' in page
        assert not (ctx.data_dir / "known_hosts").exists()
        forged = web.post(f"/profiles/{pid}/host-key", data={
            "csrf_token": csrf_of(page), "fingerprint": "SHA256:forged"})
        assert "nothing was accepted" in forged.text
        assert not (ctx.data_dir / "known_hosts").exists()
        done = web.post(f"/profiles/{pid}/host-key", data={
            "csrf_token": csrf_of(page), "fingerprint": server.fingerprint})
        assert done.status_code == 200
        assert "accepted." in done.text and "Accept this key" not in done.text
        # Now the feed is read: the preview shows its row.
        preview = web.get(f"/profiles/{pid}/preview").text
        assert ">P1<" in preview and "not known yet" not in preview
