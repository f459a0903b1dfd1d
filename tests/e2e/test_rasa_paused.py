"""With Rasa stopped (SIGSTOP), the web chat still answers danger with the full emergency answer,
and once Rasa runs again the conversation carries on: Rasa's reply arrives once, in order.

No timed assertions: "at once" is checked as "answered while every Rasa process was stopped".
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Product
from tests.e2e.rasa_pause import rasa_paused, stopped

ROOT = Path(__file__).resolve().parents[2]
UNSEEN_DANGER = "my ex has just kicked the door in and hes got a hammer"


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
        assert all(stopped(p) for p in processes)
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
