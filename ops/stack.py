"""Start and stop the processes of the product: Rasa workers, the action server and the gateway.

`make run`, the end-to-end tests and the benchmark all start the product through this one class,
so what is tested is what runs.

Rasa runs as `QD_RASA_WORKERS` processes (`rasa-1`, `rasa-2`, ...) on consecutive loopback ports
from `Ports.rasa`; the gateway gets their addresses in `QD_RASA_URLS` and routes each sender to
one of them (`channels.rasa_workers.worker_for`). The name `rasa` stands for all of them in
`start_process` and `stop_process`. The action server stays one process: it keeps no
conversation state, and Rasa's workers all call it.

Only the gateway's public port faces the network. Rasa and the action server listen on
127.0.0.1; the action server files reports on the gateway's loopback listener
(`Ports.internal`, the only one serving /internal/*: ops/gateway.py). Secrets reach every
process in its environment, never on a command line (readable by every local user in /proc).

The Rasa workers and the action server run `QD_ASSISTANT_NICE` steps below the gateway in CPU
priority (`assistant_niceness`): the gateway answers emergencies, and on a machine whose cores
Rasa keeps busy it must never queue behind dialogue work.

Every process logs JSON lines without content to its `var/logs/<name>.out`
(ops/logging_config.py): the gateway configures itself, Rasa through bot/rasa_cli.py, and the
action server reads `logging_config_path` (written by `start`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from channels.rasa_workers import worker_for
from ops.dev_secrets import environment
from ops.logging_config import dict_config

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin"
RASA = "rasa"
"""The name that stands for every Rasa worker in `start_process` and `stop_process`."""
GATEWAY = "gateway"
DEFAULT_ASSISTANT_NICE = 10
ASSISTANT_LOG_LEVEL = "WARNING"
"""Rasa's and the action server's: their INFO lines add nothing an operator needs."""


def default_rasa_workers(env: dict[str, str]) -> int:
    """`QD_RASA_WORKERS`, else one Rasa worker per core, at most two.

    A Rasa worker is one Python process that mostly keeps one core busy: on 2 cores two
    workers carried 1.8 times the messages of one (README, "The dialogue engine"). More than
    two would only compete with the gateway and the action server for the same cores, and each
    worker holds its own copy of the model in memory.
    """
    given = env.get("QD_RASA_WORKERS")
    workers = int(given) if given else min(2, os.cpu_count() or 1)
    if workers < 1:
        raise ValueError("QD_RASA_WORKERS must be at least 1")
    return workers


def assistant_niceness(env: dict[str, str]) -> int:
    """`QD_ASSISTANT_NICE`, else 10: how far below the gateway Rasa and the actions run; 0: level.

    The gateway needs a few milliseconds of CPU a message and must have them at once, whatever
    the dialogue engine is doing: the emergency answer comes from it. Rasa and the action server
    still get every cycle the gateway does not use, so their throughput barely changes.
    """
    given = env.get("QD_ASSISTANT_NICE")
    niceness = int(given) if given else DEFAULT_ASSISTANT_NICE
    if not 0 <= niceness <= 19:
        raise ValueError("QD_ASSISTANT_NICE must be from 0 to 19")
    return niceness


def endpoints_file(env: dict[str, str]) -> str:
    """Rasa's endpoints: conversations in Redis when `QD_REDIS_URL` is set, else in memory.

    In memory (bot/endpoints.yml) each Rasa worker holds its own senders' conversations: the
    embedded default. With Redis (bot/endpoints-redis.yml) every worker, on this machine or
    another, can serve any conversation: trackers sealed under `QD_TRACKER_KEY` and Rasa's lock
    store in the same Redis (bot/sealed_redis_tracker_store.py, bot/redis_lock_store.py).
    """
    return "bot/endpoints-redis.yml" if env.get("QD_REDIS_URL") else "bot/endpoints.yml"


@dataclass(frozen=True)
class Ports:
    rasa: int = 5005
    actions: int = 5055
    gateway: int = 8000
    gateway_host: str = "0.0.0.0"  # noqa: S104 - the gateway is the one public listener
    internal: int = 8001
    """The gateway's loopback listener, the only one serving /internal/* (the action server's)."""


@dataclass
class Stack:
    """The running product; `env` must already hold the QD_ secrets."""

    var_dir: Path
    env: dict[str, str]
    ports: Ports = Ports()
    model: Path | None = None
    rasa_workers: int | None = None
    """How many Rasa processes; None: `default_rasa_workers(env)`."""
    assistant_nice: int | None = None
    """Niceness of Rasa and the actions over the gateway; None: `assistant_niceness(env)`."""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rasa_workers is None:
            self.rasa_workers = default_rasa_workers(self.env)
        if self.assistant_nice is None:
            self.assistant_nice = assistant_niceness(self.env)
        ports = [*self.rasa_ports, self.ports.actions, self.ports.gateway, self.ports.internal]
        clash = sorted({port for port in ports if ports.count(port) > 1})
        if clash:
            raise ValueError(f"ports {clash} are given to more than one part")

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def rasa_ports(self) -> list[int]:
        return [self.ports.rasa + index for index in range(self.rasa_workers or 1)]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def rasa_url(self) -> str:
        """The first worker: any worker answers any request, with its own conversations."""
        return self.rasa_urls[0]

    def rasa_url_for(self, sender: str) -> str:
        """The worker the gateway sends this sender to (where its conversation lives)."""
        return self.rasa_urls[worker_for(sender, len(self.rasa_urls))]

    @property
    def rasa_names(self) -> list[str]:
        return [f"{RASA}-{number}" for number in range(1, len(self.rasa_ports) + 1)]

    def process_env(self) -> dict[str, str]:
        """The environment every process starts with: the secrets and where the others are."""
        return {
            **self.env,
            "PYTHONPATH": str(ROOT),
            "QD_VAR_DIR": str(self.var_dir),
            "QD_RASA_URL": self.rasa_url,
            "QD_RASA_URLS": ",".join(self.rasa_urls),
            "QD_ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions}",
            "QD_CASE_SERVICE_URL": f"http://127.0.0.1:{self.ports.internal}",
            "QD_INTERNAL_PORT": str(self.ports.internal),
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_CACHE_DIRECTORY": str(self.var_dir / "rasa-cache"),
            "SANIC_HOST": "127.0.0.1",
            "SANIC_ACCESS_LOG": "false",  # access lines would carry conversation ids and tokens
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }

    def commands(self) -> dict[str, list[str]]:
        model = self.model or self.var_dir / "models" / "quietdoor.tar.gz"
        rasa = {
            name: [
                str(RASA_BIN / "python"), "-m", "bot.rasa_cli", "run", "--model", str(model),
                "--endpoints", endpoints_file(self.env), "--credentials", "bot/credentials.yml",
                "-i", "127.0.0.1", "-p", str(port), "--enable-api", "--quiet",
            ]
            for name, port in zip(self.rasa_names, self.rasa_ports, strict=True)
        }  # fmt: skip
        return {
            "actions": [
                str(RASA_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
                "-p", str(self.ports.actions), "--quiet",
                "--logging-config_file", str(self.logging_config_path),
            ],
            **rasa,
            GATEWAY: [
                sys.executable, "-m", "ops.gateway",
                "--host", self.ports.gateway_host, "--port", str(self.ports.gateway),
            ],
        }  # fmt: skip

    @property
    def logging_config_path(self) -> Path:
        """The action server's logging configuration (JSON, which its YAML reader takes)."""
        return self.var_dir / "logs" / "logging.json"

    def write_logging_config(self) -> None:
        (self.var_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.logging_config_path.write_text(json.dumps(dict_config(ASSISTANT_LOG_LEVEL)))

    def start(self) -> None:
        """Start every process with output to var/logs; none of them logs message content."""
        self.write_logging_config()
        for name in self.commands():
            self.start_process(name)

    def names(self, name: str) -> list[str]:
        """The processes a name stands for: `rasa` is every worker, any other name itself."""
        return self.rasa_names if name == RASA else [name]

    def start_process(self, name: str) -> None:
        commands, env = self.commands(), self.process_env()
        for each in self.names(name):
            command = commands[each] if each == GATEWAY else self.lowered(commands[each])
            log = open(self.var_dir / "logs" / f"{each}.out", "ab")  # noqa: SIM115 - child owns it
            self.processes[each] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()

    def lowered(self, command: list[str]) -> list[str]:
        """`command` run by `nice`, `assistant_nice` steps below this process (the gateway's).

        `nice` sets the priority before the program starts, so every thread and child it makes
        has it too (a priority set from here after the start would miss the early ones).
        """
        if not self.assistant_nice:
            return command
        return ["nice", "-n", str(self.assistant_nice), *command]

    def stop_process(self, name: str) -> None:
        """Stop one part, as a crash or an upgrade would; start_process brings it back."""
        stopping = [self.processes.pop(each) for each in self.names(name)]
        for process in stopping:
            process.terminate()
        for process in stopping:
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
