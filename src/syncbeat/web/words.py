"""Times and ages in words, for the pages and the messages they show."""

from __future__ import annotations

from datetime import timedelta


def duration(value: timedelta | float | None) -> str:
    """"850 ms", "12.4 s", "3 min 05 s", "2 h 07 min"."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def ago(value: timedelta | float | None) -> str:
    """An age in words: "40 seconds", "12 minutes", "3 hours", "2 days"."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = max(int(seconds), 0)
    return "a moment" if n < 2 else f"{n} seconds"
