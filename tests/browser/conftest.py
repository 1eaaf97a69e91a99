"""The browser tier: the real `syncbeat serve` in a subprocess, driven by Debian's Chromium
through Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from browsertools import PASSWORD, sign_in

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SLOW_PROFILE = """
name = "Slow supplier (for killing)"
kind = "import"
batch_size = 2
source = { location = "feeds/slow.csv", format = "csv" }
match = { feed = "sku", catalog = "reference" }
mapping = { quantity = "stock" }
"""


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(data_dir: Path, *args: str) -> str:
    """A command run as a user runs it: in the folder holding the data folder, named by its
    name (so the pages show paths as `make run` users see them: syncbeat-data/feeds/...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    env["SYNCBEAT_ADMIN_PASSWORD"] = PASSWORD
    done = subprocess.run([sys.executable, "-m", "syncbeat.cli", "--data-dir", data_dir.name,
                           *args], env=env, capture_output=True, text=True, timeout=60,
                          check=False, cwd=data_dir.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _serve(data_dir: Path, *extra: str) -> Iterator[Server]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "syncbeat.cli", "--data-dir", data_dir.name, "serve",
         "--port", str(port), *extra],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # 503 too: it answers, and with --no-worker no heartbeat has run
                if httpx.get(f"{url}/api/health", timeout=1).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "serve.log").read_text())
            time.sleep(0.1)
        yield Server(url=url, data_dir=data_dir, process=process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo, served with its worker from a shop's folder, as `make run` serves it;
    ticks every 0.2 s when idle."""
    data_dir = tmp_path_factory.mktemp("shop") / "syncbeat-data"
    _cli(data_dir, "init")
    _cli(data_dir, "demo")
    _cli(data_dir, "settings", "tick_interval_seconds=0.2")
    feeds = data_dir / "feeds"
    # 10,000 batches of 2, each key once (a key met again is an error given while queueing,
    # which no batch works): running long enough, however fast batches get, for a test to
    # kill it while it runs. The demo has DEMO-0001 to DEMO-0500; the others are unknown.
    rows = "\n".join(f"DEMO-{i + 1:04d},{i % 7}" for i in range(20_000))
    (feeds / "slow.csv").write_text(f"sku,stock\n{rows}\n", encoding="utf-8")
    (data_dir / "slow.toml").write_text(SLOW_PROFILE, encoding="utf-8")
    _cli(data_dir, "profile", "add", str(data_dir / "slow.toml"))
    yield from _serve(data_dir)


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No worker, and a heartbeat last seen 12 minutes ago."""
    from syncbeat.engine.context import utcnow
    from syncbeat.store.db import make_engine, write_tx
    from syncbeat.store.settings import record_heartbeat

    data_dir = tmp_path_factory.mktemp("idle")
    _cli(data_dir, "init")
    db = make_engine(f"sqlite:///{data_dir / 'syncbeat.db'}")
    with write_tx(db) as conn:
        record_heartbeat(conn, utcnow() - timedelta(minutes=12, seconds=5), {"worker": "old"})
    db.dispose()
    yield from _serve(data_dir, "--no-worker")


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No demo, no worker: for the sign-in tests, whose failures throttle its address."""
    data_dir = tmp_path_factory.mktemp("plain")
    _cli(data_dir, "init")
    yield from _serve(data_dir, "--no-worker")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def signed_in(browser: Any, server: Server) -> Iterator[Any]:
    """A browser context signed in to the demo server."""
    context = browser.new_context(viewport={"width": 1440, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, server.url)
    page.close()
    yield context
    context.close()


@pytest.fixture
def page(signed_in: Any) -> Iterator[Any]:
    opened = signed_in.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()
