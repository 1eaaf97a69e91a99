"""The operator's allowances, read by the real `syncbeat` command at start: without them a
feed outside the data folder or on the server's own network is refused (and never reached);
with SYNCBEAT_ALLOWED_PATHS or SYNCBEAT_ALLOWED_HOSTS it runs; passwords stay hidden."""

from __future__ import annotations

import re

from feedserver import feed_server

FEED = b"sku,title\nA-1,One\n"


def profile(location: str) -> str:
    return (f'name = "Remote"\nkind = "import"\n[source]\nlocation = "{location}"\n'
            'format = "csv"\n[match]\nfeed = "sku"\n[mapping]\nname = "title"\n'
            '[options]\ncreate_missing = true\n')


def test_a_host_of_the_servers_own_network_needs_the_operators_allowance(sb):
    with feed_server(FEED) as server:
        url = server.url(credentials="shop:s3cret")
        path = sb.profile_file(profile(url))
        refused = sb.fails("profile", "add", str(path), code=1)
        assert re.search(r"source\.location: http://shop:\*\*\*@127\.0\.0\.1:\d+/feed\.csv: "
                         r"the host 127\.0\.0\.1 is a loopback address", refused.err), refused
        assert "s3cret" not in refused.err
        assert server.requests == []

        allowed = sb.with_env(SYNCBEAT_ALLOWED_HOSTS="127.0.0.1")
        allowed("profile", "add", str(path))
        shown = allowed("profile", "show", "Remote")
        assert "shop:***@127.0.0.1" in shown.out and "s3cret" not in shown.out
        ran = allowed("run", "Remote", "--wait")
        assert re.fullmatch(r"task \d+ completed", ran.lines[-1]), str(ran)
        assert len(server.requests) == 2  # the add's look at the feed (to warn), the run
        log = allowed("task", "log", ran.lines[-1].split()[1])
        assert "started: read http://shop:***@127.0.0.1" in log.out and "s3cret" not in log.out
        # The same profile, run by a process without the allowance, never reaches the server.
        again = sb.run("run", "Remote", "--wait")
        assert again.code == 1 and "loopback" in again.out + again.err, str(again)
        assert len(server.requests) == 2


def test_a_folder_outside_the_data_folder_needs_the_operators_allowance(sb, tmp_path):
    srv = tmp_path / "srv-feeds"
    srv.mkdir()
    (srv / "a.csv").write_bytes(FEED)
    path = sb.profile_file(profile(str(srv / "a.csv")))
    refused = sb.fails("profile", "add", str(path), code=1)
    assert f"source.location: {srv / 'a.csv'} is outside the data folder" in refused.err
    allowed = sb.with_env(SYNCBEAT_ALLOWED_PATHS=str(srv))
    allowed("profile", "add", str(path))
    ran = allowed("run", "Remote", "--wait")
    assert re.fullmatch(r"task \d+ completed", ran.lines[-1]), str(ran)
    bad = sb.with_env(SYNCBEAT_ALLOWED_PATHS="srv-feeds").fails("profile", "list", code=2)
    assert bad.err_lines == ["syncbeat: SYNCBEAT_ALLOWED_PATHS: 'srv-feeds' is not an absolute "
                             "path (write folders like /srv/feeds:/srv/exports)"]
