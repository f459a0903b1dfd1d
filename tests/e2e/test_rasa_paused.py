"""With Rasa stopped (SIGSTOP), the web chat still answers danger with the full emergency answer,
and once Rasa runs again the conversation carries on: Rasa's reply arrives once, in order.

No timed assertions: "at once" is checked as "answered while every Rasa process was stopped".
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import Product

ROOT = Path(__file__).resolve().parents[2]
UNSEEN_DANGER = "my ex has just kicked the door in and hes got a hammer"


def _rasa_processes(product: Product) -> list[subprocess.Popen[bytes]]:
    """Every Rasa worker the stack started (one, or several when sharded)."""
    found = [p for name, p in product.stack.processes.items() if name.startswith("rasa")]
    assert found, "no Rasa process in the stack"
    return found


def _stopped(process: subprocess.Popen[bytes]) -> bool:
    """The kernel's view: state T (stopped by a signal)."""
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


@contextmanager
def rasa_paused(product: Product) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = _rasa_processes(product)
    try:
        for process in processes:
            process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not all(_stopped(p) for p in processes):
            assert time.monotonic() < deadline, "Rasa did not stop"
            time.sleep(0.01)
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)


def _kinds(replies: list[dict]) -> list[str | None]:
    return [(r.get("custom") or {}).get("quietdoor") for r in replies]


def test_the_phrasing_is_unseen() -> None:
    training = [ROOT / "channels" / "danger" / "training.yml", *(ROOT / "data").rglob("*.yml")]
    for path in training:
        assert UNSEEN_DANGER not in path.read_text(encoding="utf-8").lower(), path


def test_danger_is_answered_while_rasa_is_stopped_and_the_conversation_continues(
    product: Product, sender: str
) -> None:
    opening = product.say(sender, "/greet")
    assert opening and "emergency" not in _kinds(opening)

    with rasa_paused(product) as processes:
        replies = product.say(sender, UNSEEN_DANGER)
        assert all(_stopped(p) for p in processes)
    assert _kinds(replies) == ["emergency"]
    numbers = replies[0]["text"]
    for route in ("999", "55", "18000", "0808 2000 247"):
        assert route in numbers, route

    later = product.late(sender)
    assert later, "Rasa's reply never arrived"
    assert "emergency" not in _kinds(later)  # the gateway gave it already: never twice
    assert "unavailable" not in _kinds(later)
    assert product.late(sender) == []

    # The conversation carries on from Rasa's reply: its choices lead on.
    choices = [b["payload"] for r in later for b in r.get("buttons") or []]
    assert choices, later
    following = product.say(sender, choices[0])
    assert following and "unavailable" not in _kinds(following)
    assert "waiting" not in _kinds(following)
    user_texts = [
        e.get("text") for e in product.rasa_tracker(sender)["events"] if e["event"] == "user"
    ]
    assert user_texts.count(UNSEEN_DANGER) == 1
    assert user_texts.index(UNSEEN_DANGER) < user_texts.index(choices[0])
