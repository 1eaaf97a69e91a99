"""What syncbeat may read and write: the data folder and the allowed folders, never its own
files, only regular files; on real files, links and FIFOs."""

from __future__ import annotations

import os
import pathlib
import threading

import pytest

from syncbeat.config import Settings, SettingsError
from syncbeat.feeds import FeedError, deliver, snapshot
from syncbeat.feeds.reach import DESTINATION, SOURCE, Reach, ReachError

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX files: /etc, /proc, FIFOs")


@pytest.fixture
def data(tmp_path: pathlib.Path) -> pathlib.Path:
    """A data folder as syncbeat leaves it: its database, its key, task files, feeds."""
    folder = tmp_path / "data"
    (folder / "feeds").mkdir(parents=True)
    (folder / "feeds" / "a.csv").write_text("sku;price\nA1;1.00\n")
    (folder / "tasks" / "7").mkdir(parents=True)
    (folder / "tasks" / "7" / "export.json").write_text('{"products": []}')
    for name in ("syncbeat.db", "syncbeat.db-wal", "secret.key"):
        (folder / name).write_text("private")
    return folder


@pytest.fixture
def reach(data: pathlib.Path) -> Reach:
    return Reach.create(data_dir=data, database=data / "syncbeat.db")


def refused(reach: Reach, location: str, *, export: bool = False) -> str:
    field = DESTINATION if export else SOURCE
    with pytest.raises(ReachError) as failure:
        reach.check_location(location, field, export=export)
    assert failure.value.field == field
    return str(failure.value)


@posix_only
@pytest.mark.parametrize("location", [
    "/etc/passwd", "../../../../etc/passwd", "feeds/../../../../../etc/passwd",
    "file:///etc/passwd", "/proc/self/environ", "/dev/zero", "~/.bashrc",
])
def test_a_source_outside_the_data_folder_is_refused(reach, data, location):
    message = refused(reach, location)
    assert message.startswith(f"source.location {location} is ")
    if not location.startswith(("/proc", "/dev")):
        assert message == (f"source.location {location} is outside the data folder ({data}) "
                           "and the folders allowed with SYNCBEAT_ALLOWED_PATHS")


@pytest.mark.parametrize(("location", "why"), [
    ("secret.key", "at the top of the data folder"),
    ("syncbeat.db", "syncbeat's database"),
    ("syncbeat.db-wal", "syncbeat's database"),
    ("syncbeat.db-shm", "syncbeat's database"),
    ("syncbeat.db-gate", "syncbeat's database"),
    ("feeds/../secret.key", "at the top of the data folder"),
    ("tasks/7/export.json", "in tasks/"),
    ("feeds/.env", "hidden"),
    (".git/config", "hidden"),
    ("", "at the top of the data folder"),  # the data folder itself
])
def test_syncbeats_own_files_are_neither_source_nor_destination(reach, location, why):
    assert why in refused(reach, location or ".")
    assert why in refused(reach, location or "./", export=True)


def test_the_database_is_refused_wherever_it_lives(tmp_path, data):
    elsewhere = tmp_path / "db"
    elsewhere.mkdir()
    reach = Reach.create(data_dir=data, allowed_paths=(elsewhere,),
                         database=elsewhere / "shop.sqlite")
    for name in ("shop.sqlite", "shop.sqlite-journal"):
        assert "syncbeat's database" in refused(reach, str(elsewhere / name))


@posix_only
def test_a_link_inside_the_data_folder_to_a_file_outside_is_refused(reach, data, tmp_path):
    (tmp_path / "outside.csv").write_text("sku\nSECRET\n")
    (data / "feeds" / "link.csv").symlink_to(tmp_path / "outside.csv")
    (data / "feeds" / "key").symlink_to(data / "secret.key")
    assert "is outside the data folder" in refused(reach, "feeds/link.csv")
    assert "at the top of the data folder" in refused(reach, "feeds/key")
    with pytest.raises(ReachError):
        reach.open_source("feeds/link.csv")


def test_a_feed_in_the_data_folder_or_an_allowed_folder_is_read(reach, data, tmp_path):
    assert reach.source_path("feeds/a.csv") == data / "feeds" / "a.csv"
    allowed = tmp_path / "srv-feeds"
    allowed.mkdir()
    (allowed / "b.csv").write_text("sku\nB1\n")
    with_allowed = Reach.create(data_dir=data, allowed_paths=(allowed,))
    with with_allowed.open_source(str(allowed / "b.csv")) as source:
        assert source.read() == b"sku\nB1\n"
    with_allowed.check_location(f"file://{allowed}/b.csv", SOURCE, export=False)
    assert "is outside" in refused(reach, str(allowed / "b.csv"))


@posix_only
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(reach, data, tmp_path):
    os.mkfifo(data / "feeds" / "pipe.csv")
    assert "is a FIFO (a named pipe), not a regular file" in refused(reach, "feeds/pipe.csv")
    result: list[BaseException] = []

    def read() -> None:
        try:
            snapshot("feeds/pipe.csv", tmp_path / "snap.csv", reach=reach)
        except BaseException as exc:
            result.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "not a regular file" in str(result[0])


@posix_only
def test_a_device_in_an_allowed_folder_is_still_refused(data):
    allows_dev = Reach.create(data_dir=data, allowed_paths=(pathlib.Path("/dev"),))
    with pytest.raises(FeedError, match="is a file of the operating system"):
        allows_dev.open_source("/dev/zero")


def test_a_file_url_of_another_machine_is_refused(reach):
    assert "names another machine" in refused(reach, "file://fileserver/feeds/a.csv")


def test_other_schemes_are_refused(reach):
    assert "cannot read gopher://" in refused(reach, "gopher://example.com/a.csv")
    assert "cannot deliver to scp://" in refused(reach, "scp://example.com/", export=True)


# -- destinations ----------------------------------------------------------------------------


@pytest.fixture
def export(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "export.json"
    path.write_text('{"count": 0, "products": []}\n')
    return path


@pytest.mark.parametrize("location", ["/tmp/x.json", "../../x.json", "../x/", "file:///tmp/x"])
def test_an_export_outside_the_data_folder_is_refused_and_nothing_is_written(
        reach, data, export, tmp_path, location):
    assert "is outside the data folder" in refused(reach, location, export=True)
    before = sorted(p for p in tmp_path.rglob("*"))
    tmp_before = _state(pathlib.Path("/tmp/x.json")), _state(pathlib.Path("/tmp/x"))
    with pytest.raises(ReachError, match=r"^destination.location .* is outside"):
        deliver(export, location, reach=reach, file_name="e.json")
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert (_state(pathlib.Path("/tmp/x.json")), _state(pathlib.Path("/tmp/x"))) == tmp_before


def _state(path: pathlib.Path) -> tuple[int, int] | None:
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


def test_an_export_into_a_new_folder_is_written(reach, data, export):
    assert deliver(export, "exports/shop/", reach=reach, file_name="e.json") == (
        "written to exports/shop/e.json")
    assert (data / "exports" / "shop" / "e.json").read_text() == export.read_text()


@posix_only
def test_an_export_to_a_link_pointing_outside_is_refused(reach, data, export, tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text("keep me")
    (data / "exports").mkdir()
    (data / "exports" / "out.json").symlink_to(victim)
    (data / "exports" / "away").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ReachError, match="is outside the data folder"):
        deliver(export, "exports/out.json", reach=reach, file_name="e.json")
    with pytest.raises(ReachError, match="is outside the data folder"):
        deliver(export, "exports/away/", reach=reach, file_name="e.json")
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "export.json", "victim.json"]


@posix_only
def test_an_export_replaces_only_a_regular_file(reach, data, export):
    (data / "exports").mkdir()
    os.mkfifo(data / "exports" / "pipe.json")
    with pytest.raises(ReachError, match="replaces only a regular file"):
        deliver(export, "exports/pipe.json", reach=reach, file_name="e.json")


def test_folders_are_made_only_inside_an_allowed_folder(reach, data, tmp_path):
    with pytest.raises(ReachError, match="not inside a folder syncbeat may create"):
        reach.make_folders(tmp_path / "elsewhere" / "deep")
    assert not (tmp_path / "elsewhere").exists()
    reach.make_folders(data / "exports" / "deep")
    assert (data / "exports" / "deep").is_dir()


# -- settings --------------------------------------------------------------------------------


def test_allowed_paths_and_hosts_come_from_the_environment(tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "exports").mkdir()
    settings = Settings.from_environ({
        "SYNCBEAT_DATA_DIR": str(tmp_path / "data"),
        "SYNCBEAT_ALLOWED_PATHS": f"{tmp_path / 'feeds'}{os.pathsep}{tmp_path / 'exports'}",
        "SYNCBEAT_ALLOWED_HOSTS": "127.0.0.1, feeds.internal",
    })
    assert settings.allowed_paths == (tmp_path / "feeds", tmp_path / "exports")
    assert settings.allowed_hosts is not None
    assert settings.allowed_hosts.allowed == ("127.0.0.1", "feeds.internal")
    assert Settings.from_environ({}).allowed_paths == ()
    assert Settings.from_environ({}).allowed_hosts is None


@pytest.mark.parametrize(("name", "value", "words"), [
    ("SYNCBEAT_ALLOWED_PATHS", "feeds", "'feeds' is not an absolute path"),
    ("SYNCBEAT_ALLOWED_PATHS", "/no/such/folder", "/no/such/folder is not an existing folder"),
    ("SYNCBEAT_ALLOWED_HOSTS", "10.0.0.0/33", "is not a network in CIDR form"),
])
def test_a_bad_allowed_value_is_one_clear_line(name, value, words):
    with pytest.raises(SettingsError) as failure:
        Settings.from_environ({name: value})
    assert str(failure.value).startswith(f"{name}: ")
    assert words in str(failure.value)
    assert "\n" not in str(failure.value)
