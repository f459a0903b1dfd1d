"""Replies with the helplines that fit what the person asked for, for the nation they are in."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import CaseServiceError, get_helplines, get_org
from actions.fallback_line import utter_with_line
from actions.places import NATIONS, nation_in
from actions.signpost_needs import choose_need

MAX_HELPLINES = 3


def named_nation(tracker: Tracker) -> str | None:
    """The nation the latest message names: "Wales" (the NLU's entity) first, else a place in it
    ("I'm in Wrexham")."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "nation" and entity.get("value") in NATIONS:
            return entity["value"]
    return nation_in(tracker.latest_message.get("text") or "")


async def nation_for(tracker: Tracker) -> str | None:
    """The nation named now, else the one named before (the slot), else the organisation's
    (cached), else None and the service picks. A person whose landlord is in England but who
    lives in Newport gets the Welsh line."""
    nation = named_nation(tracker) or tracker.get_slot("nation")
    if nation:
        return nation
    org = await get_org()
    return org.get("nation") if org else None


def utter_helplines(dispatcher: CollectingDispatcher, helplines: list[dict]) -> int:
    """One message per usable helpline (at most three); returns how many were sent."""
    sent = 0
    for helpline in helplines[:MAX_HELPLINES]:
        if not (helpline.get("name") and helpline.get("contact")):
            continue
        if helpline.get("hours"):
            dispatcher.utter_message(
                response="utter_helpline",
                helpline_name=helpline["name"],
                helpline_contact=helpline["contact"],
                helpline_hours=helpline["hours"],
            )
        else:
            dispatcher.utter_message(
                response="utter_helpline_no_hours",
                helpline_name=helpline["name"],
                helpline_contact=helpline["contact"],
            )
        sent += 1
    return sent


class ActionSignpost(Action):
    """One message per helpline (at most three), then "anything else?" outside the report.

    If the case service is down the national 24-hour helpline is still given, from the domain.
    A nation named in the message is remembered in the `nation` slot for later replies.
    """

    def name(self) -> str:
        return "action_signpost"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        need = choose_need(intent, tracker.latest_message.get("text") or "")
        try:
            helplines = await get_helplines(need, await nation_for(tracker))
        except CaseServiceError:
            helplines = []

        sent = utter_helplines(dispatcher, helplines)
        if not sent:
            await utter_with_line(dispatcher, "utter_helpline_fallback")

        if not tracker.active_loop_name:
            dispatcher.utter_message(response="utter_anything_else")
        named = named_nation(tracker)
        return [SlotSet("nation", named)] if named and named != tracker.get_slot("nation") else []
