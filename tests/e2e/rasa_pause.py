"""Stopping every Rasa process of the running product (SIGSTOP) and always resuming it.

For the end-to-end tests that check what a person gets while Rasa cannot answer: "at once" is
checked as "answered while every Rasa process was stopped", never as a time.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import Product


def rasa_processes(product: Product) -> list[subprocess.Popen[bytes]]:
    """Every Rasa worker the stack started (one, or several when sharded)."""
    found = [p for name, p in product.stack.processes.items() if name.startswith("rasa")]
    assert found, "no Rasa process in the stack"
    return found


def stopped(process: subprocess.Popen[bytes]) -> bool:
    """The kernel's view: state T (stopped by a signal)."""
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


@contextmanager
def rasa_paused(product: Product) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every Rasa process stopped inside the block, resumed after it whatever happens."""
    processes = rasa_processes(product)
    try:
        for process in processes:
            process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not all(stopped(p) for p in processes):
            assert time.monotonic() < deadline, "Rasa did not stop"
            time.sleep(0.01)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)
