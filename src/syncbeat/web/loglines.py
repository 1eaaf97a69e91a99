"""How the task page shows its actions log: one coloured line per line of text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime


def shown_lines(
    entries: Iterable[tuple[datetime, str, str]],
) -> list[tuple[datetime | None, str, str]]:
    """Each entry's lines, with the level each line deserves: in a batch's entry that had an
    error, only the lines naming an error are coloured as errors, not the whole batch."""
    shown: list[tuple[datetime | None, str, str]] = []
    for at, level, message in entries:
        head, *rest = message.splitlines() or [""]
        if not rest:
            shown.append((at, level, head))
            continue
        shown.append((at, "info" if level == "error" else level, head))
        for line in rest:
            is_error = level == "error" and line.lstrip().startswith("error")
            shown.append((None, "error" if is_error else "info", line))
    return shown
