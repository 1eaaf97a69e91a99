"""Helpers shared by the feed tests: write a feed file, read it whole or until it breaks."""

from __future__ import annotations

import pathlib

import pytest

from syncbeat.feeds import FeedError, FeedSpec, open_feed


def write(tmp_path: pathlib.Path, data: bytes | str, name: str = "feed.csv") -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def read(path: pathlib.Path, spec: FeedSpec, fields: list[str]) -> list[object]:
    with open_feed(path, spec, fields) as feed:
        return list(feed.records())


def read_until_error(path: pathlib.Path, spec: FeedSpec, fields: list[str]) -> tuple[list, str]:
    got: list[object] = []
    with open_feed(path, spec, fields) as feed, pytest.raises(FeedError) as failure:
        for record in feed.records():
            got.append(record)
    return got, str(failure.value)
