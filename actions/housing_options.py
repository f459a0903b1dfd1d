"""The landlord's options when a housing matter is tied to someone at home.

Arrears a partner caused, wanting to move away from an ex, locks, a joint tenancy: this is how
many people first raise abuse with a landlord (DOMAIN.md). They get the organisation's own
options (profile `housing_options`, discreet wording on messaging) and the offer to tell the team,
never a pointer to customer services.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_service import get_org
from actions.message_metadata import is_discreet, latest_intent

# A partner, ex or family member named in a housing message: possibly abuse, so the options.
_SOMEONE_CLOSE = re.compile(
    r"\b(?:partner|husband|wife|boyfriend|girlfriend|bf|gf|fianc[eé]e?|ex|ex-\w+|spouse"
    r"|son|daughter|stepson|stepdaughter|dad|father|stepdad|mum|mom|mother|stepmum|brother"
    r"|sister|in-laws?|mother-in-law|father-in-law|uncle|aunt|cousin|grandson|granddaughter"
    r"|family|other half|missus|hubby)(?:'s)?\b",
    re.IGNORECASE,
)


def names_someone_close(text: str) -> bool:
    """True when the message names a partner, an ex or a family member."""
    return _SOMEONE_CLOSE.search(text.replace("\u2019", "'")) is not None


def options_text(options: list[Any], *, discreet: bool) -> str:
    """One line per usable option; discreet lines leave out the title, which can say too much."""
    lines = []
    for option in options:
        if not isinstance(option, dict):
            continue
        if discreet and option.get("discreet_text"):
            lines.append(f"- {option['discreet_text']}")
        elif not discreet and option.get("title") and option.get("text"):
            lines.append(f"- {option['title']}: {option['text']}")
    return "\n".join(lines)


async def utter_options(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, acknowledge: bool
) -> None:
    """Acknowledge (for a disclosure), the options, then tell the team or a helpline."""
    if acknowledge:
        dispatcher.utter_message(response="utter_housing_acknowledge")
    org = await get_org()
    text = options_text((org or {}).get("housing_options") or [], discreet=is_discreet(tracker))
    if text:
        dispatcher.utter_message(response="utter_housing_options", options_text=text)
    else:
        dispatcher.utter_message(response="utter_housing_options_generic")
    dispatcher.utter_message(response="utter_offer_report")


class ActionHousingOptions(Action):
    """For `housing_abuse` (acknowledged first) and for "Understand my options"."""

    def name(self) -> str:
        return "action_housing_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await utter_options(
            dispatcher, tracker, acknowledge=latest_intent(tracker) == "housing_abuse"
        )
        return []
