"""The gateway's process: `/internal/*` only on its loopback listener, and a proxy's forwarded
headers believed only from the addresses configured for it."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from ops.dev_secrets import generate
from ops.gateway import config
from ops.stack import Ports, Stack

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A real gateway process as the stack starts it: (public URL, internal URL, service token)."""
    public, internal = free_port(), free_port()
    secrets = generate()
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.gateway", "--host", "127.0.0.1", "--port", str(public)],
        cwd=ROOT,
        env={
            **os.environ,
            **secrets,
            "PYTHONPATH": str(ROOT),
            "QD_VAR_DIR": str(tmp_path_factory.mktemp("var")),
            "QD_INTERNAL_PORT": str(internal),
        },
    )
    urls = (f"http://127.0.0.1:{public}", f"http://127.0.0.1:{internal}")
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the gateway stopped"
            try:
                httpx.get(urls[0] + "/healthz", timeout=2)
                httpx.get(urls[1] + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the gateway did not listen in time"
                time.sleep(0.2)
        yield (*urls, secrets["QD_SERVICE_TOKEN"])
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_internal_routes_are_not_served_on_the_public_listener(gateway) -> None:
    public, internal, token = gateway
    bearer = {"authorization": f"Bearer {token}"}
    for path in ("/internal/cases", "/internal/", "/internal"):
        assert httpx.post(public + path, json={}, headers=bearer).status_code == 404
    # The same request on the loopback listener reaches the route (and its validation).
    assert httpx.post(internal + "/internal/cases", json={}, headers=bearer).status_code == 422
    assert httpx.post(internal + "/internal/cases", json={}).status_code == 401
    # The public routes still answer on the public listener.
    assert httpx.get(public + "/", timeout=5).status_code == 200


def test_a_host_header_cannot_pose_as_the_internal_listener(gateway) -> None:
    public, internal, token = gateway
    port = internal.rsplit(":", 1)[1]
    answer = httpx.post(
        public + "/internal/cases",
        json={},
        headers={"authorization": f"Bearer {token}", "host": f"127.0.0.1:{port}"},
    )
    assert answer.status_code == 404


def test_without_an_internal_port_one_listener_serves_everything(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(var_dir=tmp_path, internal_port=None))) as client:
        assert client.post("/internal/cases", json={}).status_code == 401


def test_the_stack_points_the_action_server_at_the_internal_listener(tmp_path: Path) -> None:
    ports = Ports(rasa=6100, actions=6200, gateway=6300, internal=6301)
    env = Stack(var_dir=tmp_path, env={"QD_RASA_TOKEN": "t"}, ports=ports).process_env()
    assert env["QD_CASE_SERVICE_URL"] == "http://127.0.0.1:6301"
    assert env["QD_INTERNAL_PORT"] == "6301"
    assert env["SANIC_HOST"] == "127.0.0.1"  # the action server listens on loopback only
    with pytest.raises(ValueError, match="6300"):
        Stack(var_dir=tmp_path, env={}, ports=Ports(gateway=6300, internal=6300), rasa_workers=1)


def test_forwarded_headers_are_believed_only_from_the_configured_proxy() -> None:
    nobody = config(Settings(forwarded_allow_ips=""), "127.0.0.1", 8000)
    assert nobody.proxy_headers is False  # uvicorn's own default would believe 127.0.0.1
    caddy = config(Settings(forwarded_allow_ips="127.0.0.1"), "127.0.0.1", 8000)
    assert caddy.proxy_headers is True
    assert caddy.forwarded_allow_ips == "127.0.0.1"


def test_building_the_gateways_configuration_leaves_this_processs_logging_alone() -> None:
    """uvicorn applies a log_config when its Config is made: the JSON logging is installed by
    the gateway's main() alone, not by whoever builds a configuration (the tests, this one)."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("uvicorn.error").level)
    config(Settings(), "127.0.0.1", 8000)
    assert (list(root.handlers), root.level, logging.getLogger("uvicorn.error").level) == before
