"""When the dialogue engine is down the chat still gives the emergency numbers (SECURITY.md 17)."""

from __future__ import annotations

from tests.e2e.conftest import Product


def test_rasa_down_still_answers_with_999_and_the_helpline(product: Product, sender: str) -> None:
    product.stack.stop_process("rasa")
    try:
        replies = product.say(sender, "he is hurting me and I need help")
        replies += product.late(sender)  # danger is answered at once; "not taken" follows
        text = " ".join(r.get("text") or "" for r in replies)
        assert "999" in text
        assert "0808 2000 247" in text
        assert "could not" in text.lower() or "couldn't" in text.lower()
    finally:
        product.stack.start_process("rasa")
        product.stack.wait_ready()
