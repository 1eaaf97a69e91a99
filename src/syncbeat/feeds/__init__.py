"""Feeds: streaming readers for import feeds, source snapshots, the export file and delivery."""

from syncbeat.feeds.base import FORMATS, FeedReader, FeedSpec, Record
from syncbeat.feeds.destinations import deliver
from syncbeat.feeds.errors import FeedError, RowError
from syncbeat.feeds.export import ExportWriter, finish_export
from syncbeat.feeds.opener import open_feed
from syncbeat.feeds.sources import snapshot

__all__ = [
    "FORMATS",
    "ExportWriter",
    "FeedError",
    "FeedReader",
    "FeedSpec",
    "Record",
    "RowError",
    "deliver",
    "finish_export",
    "open_feed",
    "snapshot",
]
