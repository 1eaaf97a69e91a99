"""What a worker tells the faces besides the words of its lines: which lines are progress
(`worker --quiet` leaves them out), and the figures of a run (`worker --stats`: write
transactions and peak memory, of the worker and of the processes that read its feeds).

The engine marks and counts here; the faces read, and never search a line's words or a
module's globals for it."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncbeat.store.db import WRITE_STATS, WriteStats


class ProgressLine(str):
    """A line that tells progress rather than an event: a batch worked, or a chunk of a feed
    queued with more to come. Every other line (a task started, missed, completed, killed or
    in error, a step to retry, the database out of reach or back) is an event."""

    __slots__ = ()


def is_progress(line: str) -> bool:
    """Is the line progress (a batch, a chunk queued), not an event?"""
    return isinstance(line, ProgressLine)


def joined(lines: list[str]) -> str:
    """Lines said as one (the batches a busy worker works in one tick): progress if any of
    them is."""
    text = "\n".join(lines)
    return ProgressLine(text) if any(is_progress(line) for line in lines) else text


@dataclass(frozen=True, kw_only=True)
class ChildEnded:
    """What a process that read a feed for the worker reports as it ends."""

    peak_kb: int  # its peak memory
    writes: WriteStats  # its write transactions


@dataclass(frozen=True)
class ChildBatches:
    """A process that read a feed for the worker works batches now, under this worker name:
    the worker hands its ranges back if it has to stop it the hard way."""

    owner: str


@dataclass
class RunStats:
    """The figures of one worker's run: `run_worker` fills them (the processes that read its
    feeds as each ends, its own as it stops), and a face reads them once it has stopped."""

    own_peak_kb: int = 0  # the worker process's peak memory
    own_writes: WriteStats = field(default_factory=WriteStats)  # the worker process's, all
    children: int = 0  # processes that read feeds for the worker and ended
    child_peak_kb: int = 0  # the largest of theirs
    child_writes: WriteStats = field(default_factory=WriteStats)

    def child_ended(self, ended: ChildEnded) -> None:
        """Count a process that read a feed, now that it ended."""
        self.children += 1
        self.child_peak_kb = max(self.child_peak_kb, ended.peak_kb)
        self.child_writes.merge(ended.writes)

    def worker_ended(self) -> None:
        """Take the worker process's own figures, as it stops (its write transactions are
        counted by `store.db.write_tx` for the whole process)."""
        self.own_peak_kb = peak_rss_kb()
        self.own_writes = WriteStats()
        self.own_writes.merge(WRITE_STATS)

    @property
    def writes(self) -> WriteStats:
        """The write transactions of the worker and of every process that read its feeds."""
        every = WriteStats()
        every.merge(self.own_writes)
        every.merge(self.child_writes)
        return every


def peak_rss_kb(pid: int | str = "self") -> int:
    """A process's peak memory since it started (VmHWM: exec resets it, unlike getrusage,
    which would count the memory of the process that forked us); 0 if it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    if pid != "self":
        return 0
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
