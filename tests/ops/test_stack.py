"""The stack starts the configured number of Rasa workers on consecutive ports and tells the
gateway where they are; `rasa` stands for all of them. Rasa and the actions run below the
gateway in CPU priority."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.rasa_workers import worker_for
from ops import stack as stack_module
from ops.stack import Ports, Stack, assistant_niceness, default_rasa_workers

PORTS = Ports(rasa=6100, actions=6200, gateway=6300, gateway_host="127.0.0.1")
ENV = {"QD_RASA_TOKEN": "stand-in-token"}


def port_of(command: list[str]) -> int:
    return int(command[command.index("-p") + 1])


def test_three_workers_run_on_consecutive_ports_and_the_gateway_gets_them_all(
    tmp_path: Path,
) -> None:
    stack = Stack(var_dir=tmp_path, env=ENV, ports=PORTS, rasa_workers=3)
    commands = stack.commands()
    assert [name for name in commands if name.startswith("rasa")] == ["rasa-1", "rasa-2", "rasa-3"]
    assert [port_of(commands[f"rasa-{n}"]) for n in (1, 2, 3)] == [6100, 6101, 6102]
    assert all("bot.rasa_cli" in commands[f"rasa-{n}"] for n in (1, 2, 3))
    assert stack.process_env()["QD_RASA_URLS"] == (
        "http://127.0.0.1:6100,http://127.0.0.1:6101,http://127.0.0.1:6102"
    )
    assert port_of(commands["actions"]) == 6200


def test_a_single_worker_stays_possible(tmp_path: Path) -> None:
    stack = Stack(var_dir=tmp_path, env=ENV | {"QD_RASA_WORKERS": "1"}, ports=PORTS)
    assert [name for name in stack.commands() if name.startswith("rasa")] == ["rasa-1"]
    assert (
        stack.process_env()["QD_RASA_URLS"]
        == stack.process_env()["QD_RASA_URL"]
        == "http://127.0.0.1:6100"
    )


def test_the_stack_knows_which_worker_holds_a_sender(tmp_path: Path) -> None:
    stack = Stack(var_dir=tmp_path, env=ENV, ports=PORTS, rasa_workers=2)
    for sender in ("web-a", "web-b", "web-c", "web-d"):
        assert stack.rasa_url_for(sender) == stack.rasa_urls[worker_for(sender, 2)]


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 2), (8, 2), (None, 1)])
def test_by_default_one_worker_per_core_at_most_two(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int
) -> None:
    monkeypatch.setattr(stack_module.os, "cpu_count", lambda: cores)
    assert default_rasa_workers({}) == workers
    assert default_rasa_workers({"QD_RASA_WORKERS": "3"}) == 3


def test_no_workers_or_a_port_clash_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        default_rasa_workers({"QD_RASA_WORKERS": "0"})
    with pytest.raises(ValueError, match="6200"):
        Stack(var_dir=tmp_path, env=ENV, ports=Ports(rasa=6199, actions=6200), rasa_workers=2)


SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def sleeping(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """`stack` with processes that only sleep, each carrying its real command line as arguments."""
    real = stack.commands()
    monkeypatch.setattr(
        stack, "commands", lambda: {name: SLEEPER + argv for name, argv in real.items()}
    )
    return stack


@pytest.fixture
def sleeping_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    stack = sleeping(Stack(var_dir=tmp_path, env=ENV, ports=PORTS, rasa_workers=2), monkeypatch)
    yield stack
    stack.stop()


def test_start_runs_every_worker_and_rasa_stops_and_starts_them_all(
    sleeping_stack: Stack,
) -> None:
    sleeping_stack.start()
    processes = sleeping_stack.processes
    assert sorted(processes) == ["actions", "gateway", "rasa-1", "rasa-2"]
    assert [port_of(list(processes[f"rasa-{n}"].args)) for n in (1, 2)] == [6100, 6101]
    workers = [processes["rasa-1"], processes["rasa-2"]]

    sleeping_stack.stop_process("rasa")
    assert sorted(processes) == ["actions", "gateway"]
    assert all(worker.poll() is not None for worker in workers)

    sleeping_stack.start_process("rasa")
    assert sorted(processes) == ["actions", "gateway", "rasa-1", "rasa-2"]
    assert all(processes[name].poll() is None for name in ("rasa-1", "rasa-2"))


def niceness_once_started(pid: int) -> int:
    """The process's niceness once it runs its own program (not `nice` on the way to it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        if program != b"nice":
            return os.getpriority(os.PRIO_PROCESS, pid)
        time.sleep(0.01)
    raise TimeoutError(f"process {pid} never started its program")


@pytest.mark.parametrize(("setting", "steps"), [(None, 10), ("3", 3), ("0", 0)])
def test_rasa_and_the_actions_run_below_the_gateway_as_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, steps: int
) -> None:
    env = ENV if setting is None else ENV | {"QD_ASSISTANT_NICE": setting}
    stack = sleeping(Stack(var_dir=tmp_path, env=env, ports=PORTS, rasa_workers=2), monkeypatch)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        stack.start()
        niceness = {name: niceness_once_started(p.pid) for name, p in stack.processes.items()}
    finally:
        stack.stop()
    lowered = min(19, ours + steps)
    assert niceness == {"actions": lowered, "rasa-1": lowered, "rasa-2": lowered, "gateway": ours}


def test_the_niceness_setting_is_checked() -> None:
    assert assistant_niceness({}) == 10
    assert assistant_niceness({"QD_ASSISTANT_NICE": "19"}) == 19
    for wrong in ("-1", "20"):
        with pytest.raises(ValueError, match="QD_ASSISTANT_NICE"):
            assistant_niceness({"QD_ASSISTANT_NICE": wrong})
