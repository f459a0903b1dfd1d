"""Rasa's HTTP API token is never on a command line (readable in /proc by every local user), and
the API still refuses a request without it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rasa.server

from bot import api_token
from ops.stack import Ports, Stack

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "purple-heron-token-5521"  # noqa: S105 - a stand-in


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(port: int, token: str | None) -> int:
    """The HTTP status of Rasa's authenticated `GET /status`, with or without the token."""
    url = f"http://127.0.0.1:{port}/status" + (f"?token={token}" if token else "")
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa stopped: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise TimeoutError("Rasa did not listen in time")


def test_the_stack_gives_rasa_its_token_only_in_the_environment(tmp_path: Path) -> None:
    stack = Stack(var_dir=tmp_path, env={"QD_RASA_TOKEN": TOKEN}, ports=Ports(), rasa_workers=2)
    commands = stack.commands()
    assert not any(TOKEN in part for command in commands.values() for part in command)
    assert not any("--auth-token" in command for command in commands.values())
    assert stack.process_env()["QD_RASA_TOKEN"] == TOKEN


def rasa_api(tmp_path: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Rasa's API through our entry point as the stack starts it, without a model (faster)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.rasa_cli",
            "run",
            "--enable-api",
            "--quiet",
            "--model",
            str(tmp_path / "no-model.tar.gz"),
            "--endpoints",
            str(ROOT / "bot" / "endpoints.yml"),
            "--credentials",
            str(ROOT / "bot" / "credentials.yml"),
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
        ],  # fmt: skip
        cwd=tmp_path,  # Rasa makes a `models` folder where it runs when it has no model
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QD_ACTIONS_URL": "http://127.0.0.1:9",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_rasa_takes_the_token_from_the_environment_and_refuses_requests_without_it(
    tmp_path: Path,
) -> None:
    port = free_port()
    process = rasa_api(tmp_path, port, {"QD_RASA_TOKEN": TOKEN})
    try:
        wait_listening(process, port)
        assert TOKEN.encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert status(port, None) == 401
        assert status(port, "wrong-token") == 401
        assert status(port, TOKEN) != 401  # 409 here: authenticated, but no model loaded
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """`api_token.install()`, undone after the test."""
    monkeypatch.setattr(rasa.server, "create_app", rasa.server.create_app)
    api_token.install()


@pytest.mark.usefixtures("installed")
def test_rasa_will_not_serve_an_open_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QD_RASA_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="QD_RASA_TOKEN"):
        rasa.server.create_app(auth_token=None)
    monkeypatch.setenv("QD_RASA_TOKEN", "")
    with pytest.raises(SystemExit, match="QD_RASA_TOKEN"):
        rasa.server.create_app(auth_token=None)


@pytest.mark.usefixtures("installed")
def test_a_token_on_the_command_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QD_RASA_TOKEN", TOKEN)
    with pytest.raises(SystemExit, match="not on the command line"):
        rasa.server.create_app(auth_token=TOKEN)
