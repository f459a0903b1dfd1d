"""`make prod-up` / `make prod-down`: the production topology on one machine, under var/prod/.

    Caddy (https://localhost:8443, its internal CA)  ->  two gateway replicas (loopback)
      ->  two Rasa workers + the action server  ->  PostgreSQL + Redis

The same processes deploy/ describes for a landlord's servers (systemd units, Caddyfile), from
Debian's packages (caddy, redis-server, postgresql-15: installed with apt-get when run as root).

- It runs with QD_ENV=production, so every production refusal holds (api/startup_checks.py):
  https addresses, no development keys, a migrated database, prebuilt models (never trains).
- Its keys are made once into `QD_PROD_SECRETS` (default ~/.config/quietdoor-prod/secrets.env,
  mode 0600 in a 0700 folder): outside var/, so a copy of var/prod/ never holds the keys with
  the ciphertext. They reach each process in its environment, never on a command line.
- PostgreSQL listens on no TCP port at all: only on a unix socket in its own 0700 folder, so only
  its owner (and root) can connect. Redis listens on loopback and requires a password, given to
  it on standard input (never on its command line or on disk). Neither saves a copy of the
  conversations on disk (Redis keeps sealed trackers only, and they expire).
- Only Caddy faces the network; the gateways, Rasa and the action server listen on 127.0.0.1.
- Every process it starts is recorded in var/prod/pids.json; `prod-down` stops those, and
  PostgreSQL through pg_ctl. The data (var/prod/postgres) stays for the next `prod-up`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from ops import preflight
from ops.dev_secrets import generate, read
from ops.services import postgres
from ops.stack import GATEWAY, ROOT, Ports, Stack

PROD_DIR = ROOT / "var" / "prod"
TEMPLATE = ROOT / "deploy" / "Caddyfile.template"
DEFAULT_SECRETS = Path.home() / ".config" / "quietdoor-prod" / "secrets.env"
PORTS = Ports(rasa=5105, actions=5155, gateway=8101, gateway_host="127.0.0.1", internal=8111)
SECOND_GATEWAY = replace(PORTS, gateway=8102, internal=8112)
REDIS_PORT = 6389
DATABASE = "quietdoor"
PACKAGES = {"caddy": Path("/usr/bin/caddy"), "redis-server": Path("/usr/bin/redis-server")}
PACKAGES["postgresql-15"] = postgres.PG_BIN / "pg_ctl"
READY_SECONDS = 300.0
APT_GET = "/usr/bin/apt-get"


def public_port(env: dict[str, str]) -> int:
    return int(env.get("QD_PROD_PORT") or 8443)


def root_certificate(prod_dir: Path) -> Path:
    """Caddy's internal root CA (Caddy keeps its data under XDG_DATA_HOME/caddy)."""
    return prod_dir / "caddy" / "pki" / "authorities" / "local" / "root.crt"


def install_missing() -> None:
    """apt-get install the Debian packages that are missing, when root; else say how."""
    missing = [name for name, binary in PACKAGES.items() if not binary.exists()]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"install them first: sudo apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([APT_GET, "update", "-qq"], env=env, check=True)
    subprocess.run(
        [APT_GET, "install", "-y", "-qq", "--no-install-recommends", *missing], env=env, check=True
    )


def ensure_secrets(path: Path) -> dict[str, str]:
    """The production keys, made once (0600 file, 0700 folder) and never overwritten."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        values = generate()
        values["QD_MASTER_KEYS"] = "prod1:" + values["QD_MASTER_KEYS"].partition(":")[2]
        values["QD_TRACKER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
        values["QD_REDIS_PASSWORD"] = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Quiet Door production keys (make prod-up). Never commit or copy.\n")
            handle.writelines(f"{name}={value}\n" for name, value in values.items())
    return read(path)


def render_caddyfile(site: str, tls: str, upstreams: list[str]) -> str:
    """deploy/Caddyfile.template with the site address, its `tls` line and the gateways."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for field, value in (("@SITE@", site), ("@TLS@", tls), ("@UPSTREAMS@", " ".join(upstreams))):
        text = text.replace(field, value)
    return text


class Topology:
    """Start and stop the whole topology; everything started is written to `pids.json`."""

    def __init__(self, prod_dir: Path, env: dict[str, str]) -> None:
        self.prod_dir = prod_dir.resolve()
        self.port = public_port(env)
        self.secrets_path = Path(env.get("QD_PROD_SECRETS") or DEFAULT_SECRETS)
        self.base_env = env

    @property
    def pids_path(self) -> Path:
        return self.prod_dir / "pids.json"

    @property
    def pg_dir(self) -> Path:
        return self.prod_dir / "postgres"

    @property
    def address(self) -> str:
        return f"https://localhost:{self.port}"

    def environment(self) -> dict[str, str]:
        keys = ensure_secrets(self.secrets_path)
        password = keys.pop("QD_REDIS_PASSWORD")
        return {
            **self.base_env,
            **keys,
            "QD_ENV": "production",
            "QD_VAR_DIR": str(self.prod_dir),
            "QD_DATABASE_URL": f"postgresql+psycopg://{postgres.SUPERUSER}@/{DATABASE}"
            f"?host={self.pg_dir}",
            "QD_REDIS_URL": f"redis://:{password}@127.0.0.1:{REDIS_PORT}/0",
            "QD_RASA_WORKERS": "2",
            "QD_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "PUBLIC_BASE_URL": self.address,
            "QD_STAFF_BASE_URL": self.address,
        }

    def record(self, name: str, pid: int) -> None:
        pids = json.loads(self.pids_path.read_text()) if self.pids_path.exists() else {}
        pids[name] = pid
        self.pids_path.write_text(json.dumps(pids, indent=2))

    def up(self) -> None:
        if self.pids_path.exists():
            raise RuntimeError(f"already running ({self.pids_path}): run `make prod-down` first")
        install_missing()
        (self.prod_dir / "logs").mkdir(parents=True, exist_ok=True)
        models = self.prod_dir / "models"
        if not models.exists():
            models.symlink_to(ROOT / "var" / "models")
        env = self.environment()
        try:
            self.start_postgres()
            self.start_redis(env)
            stack = Stack(var_dir=self.prod_dir, env=env, ports=PORTS, rasa_workers=2)
            migrate = [sys.executable, "-m", "api.migrate"]
            subprocess.run(migrate, cwd=ROOT, env=stack.process_env(), check=True)
            reasons = preflight.refusals(self.prod_dir, stack.process_env())
            if reasons:
                raise RuntimeError("\n".join(reasons))
            stack.start()
            second = replace(stack, ports=SECOND_GATEWAY, processes={})
            second.start_process(GATEWAY)
            for name, process in stack.processes.items():
                self.record(name, process.pid)
            self.record(f"{GATEWAY}-2", second.processes[GATEWAY].pid)
            self.start_caddy([stack.gateway_url, second.gateway_url])
            self.wait_ready()
        except BaseException:
            self.down()
            raise

    def start_postgres(self) -> None:
        """A cluster in var/prod/postgres (made once), on its unix socket only."""
        bin_dir, user = postgres.binaries(), postgres._service_user()
        data = self.pg_dir / "data"
        fresh = not data.exists()
        self.pg_dir.mkdir(mode=0o700, exist_ok=True)
        if user is not None:
            account = postgres.pwd.getpwnam(user)
            os.chown(self.pg_dir, account.pw_uid, account.pw_gid)
        if fresh:
            postgres._run(
                user,
                [str(bin_dir / "initdb"), "-D", str(data), "-U", postgres.SUPERUSER,
                 "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"],
            )  # fmt: skip
        options = f"-c listen_addresses='' -c unix_socket_directories={self.pg_dir}"
        log = self.pg_dir / "postgres.log"
        postgres._run(
            user,
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
             "start"],
            log=log,
        )  # fmt: skip
        self.record("postgres", -1)
        if fresh:
            postgres._run(
                user,
                [str(bin_dir / "createdb"), "-h", str(self.pg_dir), "-U", postgres.SUPERUSER,
                 DATABASE],
            )  # fmt: skip

    def start_redis(self, env: dict[str, str]) -> None:
        """redis-server on loopback; its password arrives on standard input (`redis-server -`)."""
        work = self.prod_dir / "redis"
        work.mkdir(mode=0o700, exist_ok=True)
        password = env["QD_REDIS_URL"].split(":")[2].split("@")[0]
        config = (
            f'bind 127.0.0.1\nport {REDIS_PORT}\nsave ""\nappendonly no\ndir {work}\n'
            f"logfile {work / 'redis.log'}\nrequirepass {password}\n"
        )
        process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        assert process.stdin is not None  # noqa: S101 - stdin=PIPE
        process.stdin.write(config.encode())
        process.stdin.close()
        self.record("redis", process.pid)
        deadline = time.monotonic() + 10
        while not _listening(REDIS_PORT):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {work / 'redis.log'}")
            time.sleep(0.05)

    def start_caddy(self, upstreams: list[str]) -> None:
        site = f"https://localhost:{self.port}"
        caddyfile = self.prod_dir / "Caddyfile"
        hosts = [url.removeprefix("http://") for url in upstreams]
        caddyfile.write_text(render_caddyfile(site, "tls internal", hosts))
        env = {**os.environ, "XDG_DATA_HOME": str(self.prod_dir)}
        env["XDG_CONFIG_HOME"] = str(self.prod_dir / "caddy-config")
        command = ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        log = open(self.prod_dir / "logs" / "caddy.out", "ab")  # noqa: SIM115 - child owns it
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.record("caddy", process.pid)

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(root_certificate(self.prod_dir)))

    def wait_ready(self) -> None:
        """Until /readyz answers 200 through Caddy and Rasa's workers answer (/healthz)."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            dead = [name for name, pid in self.pids().items() if pid > 0 and not running(pid)]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} stopped; see {self.prod_dir / 'logs'}")
            if root_certificate(self.prod_dir).exists() and self.answers("/healthz"):
                return
            time.sleep(1)
        raise TimeoutError(f"not ready in {READY_SECONDS:.0f}s; see {self.prod_dir / 'logs'}")

    def answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(  # noqa: S310 - our own https address
                f"{self.address}{path}", timeout=3, context=self.tls_context()
            ) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError, ssl.SSLError):
            return False

    def pids(self) -> dict[str, int]:
        return json.loads(self.pids_path.read_text()) if self.pids_path.exists() else {}

    def down(self) -> None:
        """Stop everything `up` recorded, the proxy first and the databases last."""
        pids = self.pids()
        for name, pid in pids.items():
            if name not in ("postgres", "redis") and pid > 0:
                _stop(pid)
        if "redis" in pids:
            _stop(pids["redis"])
        if "postgres" in pids and (self.pg_dir / "data" / "postmaster.pid").exists():
            stop = [str(postgres.PG_BIN / "pg_ctl"), "-D", str(self.pg_dir / "data"), "-m",
                    "fast", "-w", "stop"]  # fmt: skip
            postgres._run(postgres._service_user(), stop)
        self.pids_path.unlink(missing_ok=True)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def running(pid: int) -> bool:
    """Alive and not a zombie (stopped, but not yet reaped by the init that inherited it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _stop(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds; reaps it when it is our child."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if running(pid):
        os.kill(pid, signal.SIGKILL)
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str]) -> int:
    if argv not in (["up"], ["down"]):
        print("usage: python -m ops.prod up|down", file=sys.stderr)
        return 2
    prod_dir = Path(os.environ.get("QD_PROD_DIR") or PROD_DIR)
    topology = Topology(prod_dir, {k: v for k, v in os.environ.items() if v})
    if argv == ["down"]:
        topology.down()
        print("Quiet Door's production topology is stopped.")
        return 0
    with suppress(OSError):  # already a session leader
        os.setsid()  # the processes outlive this command and the terminal that ran it
    try:
        topology.up()
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as error:
        print(f"Not started: {error}", file=sys.stderr)
        return 1
    print(f"\n  Web chat:    {topology.address}/  (CA: {root_certificate(topology.prod_dir)})")
    print(f"  Staff queue: {topology.address}/staff/queue")
    print(f"\nLogs in {topology.prod_dir / 'logs'}. Stop with `make prod-down`.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
