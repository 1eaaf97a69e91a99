"""Deadline: an overall time limit for one HTTP exchange, headers included.

httpx's timeouts bound each wait for the server, not the whole exchange: a server that sends a
byte of its headers or body every few seconds would hold a worker for days. A Deadline watches
the connections an exchange opens (through httpcore's trace hook) and shuts them down when the
time is up, which wakes up any read in progress.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_OPENED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Deadline:
    """Pass `extensions` to the request; `expired` says whether the time ran out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._streams: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @property
    def extensions(self) -> dict[str, Any]:
        """Request extensions that report every connection to this deadline."""
        return {"trace": self._trace}

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event in _OPENED and info.get("return_value") is not None:
            with self._lock:
                self._streams.append(info["return_value"])
                if self.expired:  # connected just as the time ran out
                    _shut(info["return_value"])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for stream in self._streams:
                _shut(stream)


def _shut(stream: Any) -> None:
    sock = stream.get_extra_info("socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already, or handed over to its TLS wrapper


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """A Deadline running for the `with` block (none if `seconds` is 0)."""
    watch = Deadline(seconds)
    if seconds > 0:
        watch._timer.start()
    try:
        yield watch
    finally:
        watch._timer.cancel()
