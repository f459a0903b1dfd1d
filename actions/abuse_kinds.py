"""Asks for another kind of abuse, offering only the kinds not chosen yet.

A kind chosen twice must not be offered again and again. The buttons come from the domain's
`utter_ask_abuse_kinds_more` variation for this wording (discreet on messaging), so the words
stay in the domain; this only leaves out what is already chosen.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.message_metadata import latest_metadata
from actions.report_slots import chosen_kinds

RESPONSE = "utter_ask_abuse_kinds_more"


def _variation(domain: DomainDict, wording: str | None) -> dict[str, Any]:
    variations = (domain.get("responses") or {}).get(RESPONSE) or []
    own = [v for v in variations if v.get("channel") == wording]
    default = [v for v in variations if not v.get("channel")]
    return (own or default or [{}])[0]


def _unescaped(payload: str) -> str:
    """Domain payloads double their braces for Rasa's templating; a sent button must not."""
    return payload.replace("{{", "{").replace("}}", "}")


def _kind_of(payload: str) -> str | None:
    """The abuse kind a button's payload sets, e.g. /inform{"abuse_kind":"economic"}."""
    _, _, entities = payload.partition("{")
    try:
        value = json.loads("{" + entities) if entities else {}
    except ValueError:
        return None
    return value.get("abuse_kind") if isinstance(value, dict) else None


def remaining_buttons(buttons: list[dict[str, Any]], chosen: list[str]) -> list[dict[str, Any]]:
    """Every button except the kinds already chosen ("That's all" and send always stay)."""
    unescaped = [{**b, "payload": _unescaped(str(b.get("payload", "")))} for b in buttons]
    return [b for b in unescaped if _kind_of(b["payload"]) not in chosen]


class ActionAskAbuseKindsMore(Action):
    """The form's question for `abuse_kinds_more` (Rasa calls action_ask_<slot> if it exists)."""

    def name(self) -> str:
        return "action_ask_abuse_kinds_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        variation = _variation(domain, latest_metadata(tracker, "wording"))
        chosen = chosen_kinds(tracker.get_slot("abuse_kinds"))
        dispatcher.utter_message(
            text=variation.get("text", ""),
            buttons=remaining_buttons(variation.get("buttons") or [], chosen),
        )
        return []
