"""Peak memory of a real `syncbeat serve` while N sign-ins arrive at once (issue 10).

Each attempt comes "from" its own address (X-Forwarded-For, which uvicorn trusts from
127.0.0.1) with its own user name, so no throttle stops it: every one reaches the password
hash, as in a flood from many machines. Prints the server's resident memory before, its
peak (VmHWM) after, and the answers.

    .venv/bin/python benchmarks/signin_flood.py --parallel 8
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024  # MB
    return fields


def _form(client: httpx.Client, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{url}/login").text)
    assert found, "no sign-in form"
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    env["SYNCBEAT_ADMIN_PASSWORD"] = "flood-admin-password"
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "syncbeat.cli", "--data-dir", tmp]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
            with httpx.Client() as warm:  # one real sign-in: argon2 loaded, pages rendered
                warm.post(f"{url}/login", data={"username": "admin",
                                                "password": "flood-admin-password",
                                                "csrf_token": _form(warm, url)})
            time.sleep(1)
            before = _status(server.pid)["VmRSS"]
            start = threading.Barrier(args.parallel)
            answers: collections.Counter[int] = collections.Counter()

            def attempt(i: int) -> None:
                with httpx.Client(timeout=60) as client:
                    token = _form(client, url)
                    start.wait()
                    answers[client.post(
                        f"{url}/login",
                        data={"username": f"flood{i}", "password": "wrong-password",
                              "csrf_token": token},
                        headers={"X-Forwarded-For": f"10.77.{i // 250}.{i % 250 + 1}"},
                    ).status_code] += 1

            began = time.perf_counter()
            threads = [threading.Thread(target=attempt, args=(i,))
                       for i in range(args.parallel)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - began
            after = _status(server.pid)
            print(f"{args.parallel} sign-ins at once: answers {dict(sorted(answers.items()))} "
                  f"in {seconds:.1f} s; serve's memory {before} MB before, peak "
                  f"{after['VmHWM']} MB, {after['VmRSS']} MB after")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)


if __name__ == "__main__":
    main()
