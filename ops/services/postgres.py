"""A throwaway PostgreSQL 15 for tests and local runs: Debian's binaries, a new cluster under var/.

`initdb` writes a new cluster into a folder under var/ (removed when it stops), the server listens
on a free 127.0.0.1 port with its unix socket inside that folder, and trusts local connections:
it holds test data only and nothing but this machine can reach it. Started once per test session
(tests/api/conftest.py `postgres_admin_url`), it costs about two seconds.

PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user
(or `nobody`) and initdb and pg_ctl run as that user through `runuser`. `make test` installs
Debian's `postgresql-15` with apt-get when run as root (Makefile `postgresql`); otherwise missing
binaries fail with the command to install them, never a silent skip.

Standard library only, Python 3.10, so any test suite or `make` target can use it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ops.services.redis import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = "install it: sudo apt-get install postgresql-15 (make test does this as root)"
SUPERUSER = "qd"
READY_SECONDS = 30.0


def _is_root() -> bool:
    return os.geteuid() == 0


def binaries() -> Path:
    """The folder holding Debian's initdb and pg_ctl; fails saying how to install them."""
    if not (PG_BIN / "pg_ctl").exists():
        raise RuntimeError(f"PostgreSQL 15 is not installed ({PG_BIN}); {INSTALL_HINT}")
    return PG_BIN


def _service_user() -> str | None:
    """The unprivileged account to run PostgreSQL as when we are root; None when we are not."""
    if not _is_root():
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _reap_orphans(var_dir: Path, bin_dir: Path, user: str | None) -> None:
    """Stop and remove clusters whose test run died without cleaning up (killed, SIGPIPE)."""
    for folder in var_dir.glob("pg-*"):
        owner = folder.name.removeprefix("pg-")
        if not owner.isdigit() or _alive(int(owner)):
            continue
        if (folder / "data" / "postmaster.pid").exists():
            stop = [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]
            with suppress(RuntimeError):  # already stopped: only its folder is left
                _run(user, stop)
        shutil.rmtree(folder, ignore_errors=True)


def _run(user: str | None, command: list[str], log: Path | None = None) -> None:
    """Run a PostgreSQL tool, as `user` when given; its output (and `log`'s tail) only on error."""
    prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--"] if user else []
    result = subprocess.run(
        prefix + command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise RuntimeError(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}{tail}")


@contextmanager
def throwaway_postgres(var_dir: Path) -> Iterator[str]:
    """Start a fresh cluster, yield a superuser URL to its `postgres` database, stop and remove it.

    The URL is `postgresql+psycopg://qd@127.0.0.1:PORT/postgres`; create databases through it.
    """
    bin_dir = binaries()
    user = _service_user()
    var_dir.mkdir(parents=True, exist_ok=True)
    _reap_orphans(var_dir.resolve(), bin_dir, user)
    work_dir = var_dir.resolve() / f"pg-{os.getpid()}"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir()
    data_dir = work_dir / "data"
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(work_dir, account.pw_uid, account.pw_gid)
    port = free_port()
    try:
        _run(
            user,
            [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
        )  # fmt: skip
        # A server clock far from UTC, so a timestamp the database fills in, or one read back in
        # the server's zone, shows up in the tests instead of in production.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={work_dir}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c timezone=Asia/Kolkata"
        )
        _run(
            user,
            [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(work_dir / "postgres.log"),
             "-o", options, "-w", "-t", str(int(READY_SECONDS)), "start"],
            log=work_dir / "postgres.log",
        )  # fmt: skip
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
    finally:
        if (data_dir / "postmaster.pid").exists():
            _run(user, [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"])
        shutil.rmtree(work_dir, ignore_errors=True)
