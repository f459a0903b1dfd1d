"""A throwaway Redis for tests and local runs: Debian's `redis-server` on a free loopback port.

It keeps nothing on disk (`--save ''`, `--appendonly no`), works in a folder under var/ that is
removed when it stops, and listens on 127.0.0.1 only. Started once per test session
(tests/actions/conftest.py `redis_url`), it costs about a tenth of a second.

`make test` installs `redis-server` with apt-get when run as root (Makefile `redis-server`);
otherwise a missing binary fails with the command to install it, never a silent skip.

Standard library only, Python 3.10: the Rasa tests (py3.10) and the gateway's (py3.11) use it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BINARY = "redis-server"
INSTALL_HINT = "install it: sudo apt-get install redis-server (make test does this as root)"
READY_SECONDS = 10.0


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ping(port: int) -> bool:
    """Whether a Redis on this loopback port answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def throwaway_redis(var_dir: Path) -> Iterator[str]:
    """Start a Redis with nothing on disk, yield its URL, stop it and remove its folder."""
    binary = shutil.which(BINARY)
    if binary is None:
        raise RuntimeError(f"{BINARY} is not installed; {INSTALL_HINT}")
    var_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="redis-", dir=var_dir)).resolve()  # redis chdirs
    port = free_port()
    command = [
        binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(work_dir), "--logfile", str(work_dir / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = work_dir / "redis.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server did not start:\n{tail}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(work_dir, ignore_errors=True)
