"""The latest message's intent, and what the gateway said about the person's channel.

The gateway (bot/gateway_channel.py) puts `{"channel", "wording"}` on every user message. The
latest message may lack it (a form step, a test), so the most recent user event that has it wins.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

MESSAGING_CHANNELS = ("sms", "whatsapp", "telegram")


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the latest message as parsed (rasa_sdk's helper needs a ranking)."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_metadata(tracker: Tracker, key: str) -> Any:
    """The value of `key` in the newest user metadata that has it, else None."""
    metadata = tracker.latest_message.get("metadata")
    if isinstance(metadata, dict) and metadata.get(key):
        return metadata[key]
    for event in reversed(tracker.events):
        meta = event.get("metadata") if event.get("event") == "user" else None
        if isinstance(meta, dict) and meta.get(key):
            return meta[key]
    return None


def is_discreet(tracker: Tracker) -> bool:
    """Messaging's default wording: what is sent stays on a phone someone else may read."""
    return latest_metadata(tracker, "wording") == "discreet"


def is_messaging(tracker: Tracker) -> bool:
    """SMS, WhatsApp or Telegram: every answer the person types stays on their phone."""
    return latest_metadata(tracker, "channel") in MESSAGING_CHANNELS
