"""The one-machine production topology (ops/prod.py, deploy/): Caddy over HTTPS -> two gateway
replicas -> two Rasa workers + the action server -> PostgreSQL + Redis, started and stopped as
`make prod-up` / `make prod-down` do, in its own folder under var/test-services/.

It needs Debian's caddy, redis-server and postgresql-15 (`make test` installs them as root) and
the prebuilt model in var/models/ (it never trains). About a minute on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ops.dev_secrets import read
from ops.prod import DATABASE, PORTS, Topology, render_caddyfile, root_certificate, running
from ops.services.redis import free_port
from ops.stack import ROOT
from tests.e2e.test_report_is_sealed import REFERENCE, take_report
from tests.rasa_tracker import rasa_tracker

UNITS = ROOT / "deploy" / "systemd"
INSTALL_ROOT = "/opt/quietdoor"
"""Where the units expect the code; the check points them at this checkout instead."""


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit files in deploy/ are not checked")
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace(INSTALL_ROOT, str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = ["quietdoor.target", "quietdoor-migrate.service", "quietdoor-actions.service",
             "quietdoor-gateway@1.service", "quietdoor-rasa@5105.service"]  # fmt: skip
    result = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{unit}" for unit in units)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert str(tmp_path) not in result.stderr, result.stderr  # warnings about our files


def test_the_rendered_caddyfile_is_valid(tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    assert caddy, "caddy is not installed: sudo apt-get install caddy (make test does this as root)"
    caddyfile = tmp_path / "Caddyfile"
    upstreams = ["127.0.0.1:8101", "127.0.0.1:8102"]
    caddyfile.write_text(render_caddyfile("https://localhost:8443", "tls internal", upstreams))
    assert not {"@SITE@", "@TLS@", "@UPSTREAMS@"} & set(caddyfile.read_text().split())
    result = subprocess.run(
        [caddy, "validate", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class ThroughCaddy:
    """What tests/e2e's take_report needs of a product: web chat over HTTPS through Caddy."""

    def __init__(self, topology: Topology, rasa_token: str) -> None:
        self.client = httpx.Client(base_url=topology.address, verify=topology.tls_context())
        self.rasa_token = rasa_token

    def say(self, sender: str, message: str) -> list[dict]:
        answer = self.client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        answer.raise_for_status()
        return answer.json()

    def rasa_tracker(self, sender: str) -> dict:
        """Any worker: the conversations are shared in Redis."""
        return rasa_tracker(f"http://127.0.0.1:{PORTS.rasa}", self.rasa_token, sender)


def _prod(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.prod", command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )


@pytest.fixture
def prod_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    prod_dir = ROOT / "var" / "test-services" / f"prod-{os.getpid()}"
    env = {
        **os.environ,
        "QD_PROD_DIR": str(prod_dir),
        "QD_PROD_SECRETS": str(tmp_path / "keys" / "secrets.env"),
        "QD_PROD_PORT": str(free_port()),
    }
    yield env
    _prod("down", env)
    shutil.rmtree(prod_dir, ignore_errors=True)


def test_prod_up_answers_and_files_a_report_over_https_and_prod_down_stops_it_all(
    prod_env: dict[str, str],
) -> None:
    started = _prod("up", prod_env)
    assert started.returncode == 0, started.stdout + started.stderr
    prod_dir = Path(prod_env["QD_PROD_DIR"])
    topology = Topology(prod_dir, prod_env)
    pids = topology.pids()
    assert {"caddy", "gateway", "gateway-2", "rasa-1", "rasa-2", "actions", "redis"} <= set(pids)
    assert root_certificate(prod_dir).is_file()
    keys = read(Path(prod_env["QD_PROD_SECRETS"]))
    assert Path(prod_env["QD_PROD_SECRETS"]).stat().st_mode & 0o077 == 0

    product = ThroughCaddy(topology, keys["QD_RASA_TOKEN"])
    ready = product.client.get("/readyz")
    assert ready.status_code == 200
    assert "strict-transport-security" in ready.headers and "server" not in ready.headers
    too_large = product.client.post("/webhooks/rest/webhook", content=b"a" * 100_000)
    assert (too_large.status_code, too_large.text) == (413, "Too large.")  # Caddy, not a gateway
    [opening, *_] = product.say("prod-topology-hello", "hello")
    assert "safe" in opening["text"]

    transcript = take_report(product, "prod-topology-report")  # type: ignore[arg-type]
    reference = REFERENCE.search(transcript)
    assert reference, transcript
    with psycopg.connect(host=str(topology.pg_dir), user="qd", dbname=DATABASE) as db:
        [(cases,)] = db.execute(
            "SELECT count(*) FROM cases WHERE reference = %s", (reference.group(0),)
        ).fetchall()
    assert cases == 1

    caddy_log = (prod_dir / "logs" / "caddy.out").read_text()
    assert "remote_ip" not in caddy_log and "/webhooks" not in caddy_log

    stopped = _prod("down", prod_env)
    assert stopped.returncode == 0, stopped.stderr
    assert not topology.pids_path.exists()
    still_running = [name for name, pid in pids.items() if pid > 0 and running(pid)]
    assert still_running == []
    assert not (topology.pg_dir / "data" / "postmaster.pid").exists()
