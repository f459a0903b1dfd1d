"""A report taken through the web chat ends in a case and an alert, and leaves no plaintext.

The canary phrase and the phone number go into every free-text answer; afterwards neither may be
found in any file under the product's var/ directory (database, WAL, logs), nor in the alert
e-mail, which carries only the reference, urgency and deadline (SECURITY.md 1, 13). The logs
carry neither the reference nor the conversation id.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.e2e.conftest import Product

CANARY = "purple-heron-canary-5521"
PHONE = "07700 900461"
FREE_TEXT = {
    "what_happening": f"{CANARY} he checks my phone and takes my wages",
    "location": f"flat 3, {CANARY} road",
    "contact_detail": PHONE,
    "safe_times": f"weekday mornings {CANARY}",
    "code_word": f"{CANARY}",
    "language": f"Polish {CANARY}",
}
PREFERRED_BUTTON = {"contact_method": "phone", "reporter_type": "self", "abuse_kinds_more": "deny"}
REFERENCE = re.compile(r"QD-[A-Z0-9]{4}-[A-Z0-9]{4}")


def _answer(slot: str, replies: list[dict]) -> str:
    if slot in FREE_TEXT:
        return FREE_TEXT[slot]
    buttons = [b["payload"] for r in replies for b in r.get("buttons", [])]
    wanted = PREFERRED_BUTTON.get(slot, "")
    chosen = [p for p in buttons if wanted and wanted in p] or [
        p for p in buttons if "skip" not in p and "dont_know" not in p
    ]
    assert chosen, f"no answer for {slot}: {buttons}"
    return chosen[0]


def take_report(product: Product, sender: str) -> str:
    """Answer every question the form asks, then confirm; returns the whole transcript."""
    product.say(sender, "/greet")
    product.say(sender, "/affirm")
    replies = product.say(sender, "/report_abuse")
    transcript = list(replies)
    for _ in range(40):
        slot = product.rasa_tracker(sender)["slots"].get("requested_slot")
        message = _answer(slot, replies) if slot else "/affirm"
        replies = product.say(sender, message)
        transcript += replies
        if slot is None:
            break
    return " ".join(r.get("text") or "" for r in transcript)


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_report_becomes_a_sealed_case_and_an_alert(product: Product, sender: str) -> None:
    transcript = take_report(product, sender)
    reference = REFERENCE.search(transcript)
    assert reference, transcript
    assert "working day" in transcript or "by " in transcript

    deadline = time.monotonic() + 30
    while not product.mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.2)
    assert product.mailbox.messages, "the alert e-mail was not delivered"
    mail = product.mailbox.messages[-1].as_string()
    assert reference.group(0) in mail
    assert CANARY not in mail and PHONE not in mail

    for needle in (CANARY, PHONE, PHONE.replace(" ", "")):
        assert _files_containing(product.var_dir, needle.encode()) == [], needle
    for needle in (reference.group(0), sender):
        assert _files_containing(product.var_dir / "logs", needle.encode()) == [], needle
