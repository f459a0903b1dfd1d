"""The processes under test, seen from outside through /proc: memory, children, and pausing."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path

PROC = Path("/proc")


def status_mb(pid: int | str, key: str) -> float:
    """A memory line of /proc/<pid>/status in MB: VmRSS is resident now, VmHWM its peak."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    return {"rss_mb": status_mb(pid, "VmRSS"), "peak_rss_mb": status_mb(pid, "VmHWM")}


def descendants(pid: int) -> list[int]:
    """Every process started under `pid` (Sanic or a library may fork workers)."""
    parents: dict[int, int] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name in brackets may hold spaces; the parent pid follows it.
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


@contextlib.contextmanager
def paused(pids: Iterable[int]) -> Iterator[None]:
    """SIGSTOP the processes, as a stalled dialogue engine would be; SIGCONT them in any case."""
    stopped: list[int] = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
