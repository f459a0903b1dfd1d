"""Start and stop the three processes of the product: Rasa, the action server and the gateway.

`make run`, the end-to-end tests and the benchmark all start the product through this one class,
so what is tested is what runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ops.dev_secrets import environment

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin"


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000
    gateway_host: str = "0.0.0.0"  # noqa: S104 - the gateway is the one public listener


@dataclass
class Stack:
    """The running product; `env` must already hold the QD_ secrets."""

    var_dir: Path
    env: dict[str, str]
    ports: Ports = Ports()
    model: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    def _env(self) -> dict[str, str]:
        return {
            **self.env,
            "PYTHONPATH": str(ROOT),
            "QD_VAR_DIR": str(self.var_dir),
            "QD_RASA_URL": self.rasa_url,
            "QD_ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions}",
            "QD_CASE_SERVICE_URL": self.gateway_url,
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_CACHE_DIRECTORY": str(self.var_dir / "rasa-cache"),
            "SANIC_HOST": "127.0.0.1",
            "SANIC_ACCESS_LOG": "false",  # access lines would carry conversation ids and tokens
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }

    def commands(self) -> dict[str, list[str]]:
        model = self.model or self.var_dir / "models" / "quietdoor.tar.gz"
        logs = self.var_dir / "logs"
        return {
            "actions": [
                str(RASA_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
                "-p", str(self.ports.actions), "--quiet", "--log-file", str(logs / "actions.log"),
            ],
            "rasa": [
                str(RASA_BIN / "python"), "-m", "bot.rasa_cli", "run", "--model", str(model),
                "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                "-i", "127.0.0.1", "-p", str(self.ports.rasa), "--enable-api",
                "--auth-token", self._env()["QD_RASA_TOKEN"], "--quiet",
                "--log-file", str(logs / "rasa.log"),
            ],
            "gateway": [
                sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
                "--host", self.ports.gateway_host, "--port", str(self.ports.gateway),
                "--no-access-log", "--log-level", "warning",
            ],
        }  # fmt: skip

    def start(self) -> None:
        """Start every process with output to var/logs; none of them logs message content."""
        (self.var_dir / "logs").mkdir(parents=True, exist_ok=True)
        for name in self.commands():
            self.start_process(name)

    def start_process(self, name: str) -> None:
        log = open(self.var_dir / "logs" / f"{name}.out", "ab")  # noqa: SIM115 - child owns it
        self.processes[name] = subprocess.Popen(
            self.commands()[name], cwd=ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def stop_process(self, name: str) -> None:
        """Stop one part, as a crash or an upgrade would; start_process brings it back."""
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Wait for /healthz, which answers 200 only when the assistant can reply."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} stopped; see {self.var_dir / 'logs'}")
            try:
                with urllib.request.urlopen(f"{self.gateway_url}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the product was not ready in {timeout:.0f}s; see {self.var_dir}/logs")

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_process(name)


def environment_with(var_dir: Path, dotenv: Path | None = None) -> dict[str, str]:
    """os.environ, then `dotenv` if given, then the development secrets under var/."""
    return environment(var_dir / "dev-secrets.env", dotenv)
