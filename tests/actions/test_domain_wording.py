"""Response wording per output channel, chosen the way Rasa chooses it.

The gateway channel names its output channel after the wording: `web` (default), `discreet`
(messaging default: the messages stay on a phone someone else may read) or `plain`. Rasa's own
ResponseVariationFilter and TemplatedNaturalLanguageGenerator pick and fill the variations here,
for every response and every slot state that changes the choice.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain

REPO = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(REPO / "bot" / "domain"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN.responses

ALARMING = re.compile(
    r"\b(?:abuse|abusive|abuser|domestic|violence|violent|assault|rape|refuge|police|danger"
    r"|dangerous|victim|perpetrator|marac|safeguarding|physical|sexual|controlling|coercive|hurt"
    r"|hitting|beating|stalk)\w*",
    re.IGNORECASE,
)
WEB_ONLY = re.compile(
    r"shift|this page|press exit|type exit|below this chat|check on a report", re.IGNORECASE
)

REPORTER_TYPES = [None, "self", "neighbour", "contractor", "agency", "friend_family", "other"]
CONTACT_METHODS = [None, "phone", "text", "email", "in_person", "trusted_person", "none", "skipped"]
SLOT_STATES = [
    {"reporter_type": reporter, "contact_method": method}
    for reporter, method in itertools.product(REPORTER_TYPES, CONTACT_METHODS)
]
UNKNOWN_CHANNELS = ["collector", "rest", "gateway", "sms", "telegram", "DISCREET", ""]


def _org_helplines() -> list[dict[str, Any]]:
    """Every helpline the actions can fill in: the national list and each profile's own."""
    entries = list(yaml.safe_load((REPO / "orgs" / "helplines.yml").read_text())["helplines"])
    for profile in sorted((REPO / "orgs").glob("*.yml")):
        if profile.name != "helplines.yml":
            entries += yaml.safe_load(profile.read_text()).get("helplines") or []
    return entries


HELPLINES = _org_helplines()


def template_values() -> list[dict[str, str]]:
    """Values the actions pass to the templates, one set per helpline (real names and numbers)."""
    return [
        {
            "helpline_name": entry["name"],
            "helpline_contact": entry["contact"],
            "helpline_hours": entry.get("hours") or "24 hours, every day",
            "contact_text": "call 0300 123 4567 or use the tenant app",
            "reference": "QD-ABCD-EFGH",
            "deadline_text": "by 4:30pm on Tuesday 24 November",
            "follow_up_code": "7H3K-92QX",
            "options_text": "- We can talk about a move to another home.",
            "out_of_hours_name": "Out-of-hours service",
            "out_of_hours_contact": "0300 000 0000",
        }
        for entry in HELPLINES
    ]


def chosen(name: str, channel: str, slots: dict[str, Any]) -> dict[str, Any]:
    """The variation Rasa uses; exactly one must fit, so the choice is never random."""
    fitting = ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, channel, slots)
    assert len(fitting) == 1, (name, channel, slots, fitting)
    return fitting[0]


def old_default(name: str, slots: dict[str, Any]) -> dict[str, Any]:
    """What Rasa chose before any channel variation existed."""
    without_channels = {name: [v for v in RESPONSES[name] if not v.get("channel")]}
    fitting = ResponseVariationFilter(without_channels).responses_for_utter_action(
        name, "web", slots
    )
    assert len(fitting) == 1, (name, slots)
    return fitting[0]


def rendered(name: str, channel: str, slots: dict[str, Any]) -> list[dict[str, Any]]:
    """The filled messages (text, buttons, custom) for each set of template values."""
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    return [nlg.generate_from_slots(name, slots, channel, **values) for values in template_values()]


def words(message: dict[str, Any]) -> str:
    """Everything the person reads: the text and the button titles."""
    titles = [button["title"] for button in message.get("buttons") or []]
    return "\n".join([message.get("text") or "", *titles])


def payloads(message: dict[str, Any]) -> list[str]:
    return [button["payload"] for button in message.get("buttons") or []]


ALL = sorted(RESPONSES)


def test_the_checks_are_not_vacuous() -> None:
    """The web wording does use the words discreet must avoid, and the web-only instructions."""
    web = [words(chosen(name, "web", state)) for name in ALL for state in SLOT_STATES]
    assert sum(bool(ALARMING.search(text)) for text in web) > 20
    assert any(WEB_ONLY.search(text) for text in web)
    assert ALARMING.search("National Domestic Abuse Helpline (Refuge)")
    assert ALARMING.search("Are you in DANGER right now?")
    assert not ALARMING.search("Do you need urgent help right now?")
    assert len(HELPLINES) >= 10


@pytest.mark.parametrize("name", ALL)
def test_discreet_never_says_an_alarming_or_web_only_word(name: str) -> None:
    for state in SLOT_STATES:
        for message in rendered(name, "discreet", state):
            text = words(message)
            assert not ALARMING.search(text), (name, state, text)
            assert not WEB_ONLY.search(text), (name, state, text)


@pytest.mark.parametrize("name", ALL)
def test_plain_has_no_web_only_wording_and_is_otherwise_the_web_wording(name: str) -> None:
    for state in SLOT_STATES:
        plain = chosen(name, "plain", state)
        web = chosen(name, "web", state)
        for message in rendered(name, "plain", state):
            assert not WEB_ONLY.search(words(message)), (name, state)
        if not WEB_ONLY.search(words(web)):
            # A plain default would also hide the `condition` variants (reporter_type self).
            assert plain is web, (name, state)
        else:
            assert plain.get("channel") == "plain"
            assert payloads(plain) == payloads(web)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("channel", ["web", *UNKNOWN_CHANNELS])
def test_web_and_unknown_channels_get_the_old_default(name: str, channel: str) -> None:
    for state in SLOT_STATES:
        variation = chosen(name, channel, state)
        assert variation is old_default(name, state)
        assert "channel" not in variation


@pytest.mark.parametrize("name", ALL)
def test_discreet_keeps_payloads_order_custom_and_the_condition(name: str) -> None:
    for state in SLOT_STATES:
        discreet = chosen(name, "discreet", state)
        web = chosen(name, "web", state)
        assert payloads(discreet) == payloads(web), (name, state)
        assert discreet.get("custom") == web.get("custom"), (name, state)
        if discreet is not web:
            assert discreet.get("channel") == "discreet"
            # The self variant stays a self variant: "you", not "someone".
            assert discreet.get("condition") == web.get("condition"), (name, state)
        placeholders = set(re.findall(r"{(\w+)}", discreet.get("text") or ""))
        assert placeholders <= set(re.findall(r"{(\w+)}", web.get("text") or "")), name


def test_every_discreet_and_plain_variation_is_reachable() -> None:
    reached = {
        id(chosen(name, channel, state))
        for name in ALL
        for channel in ("discreet", "plain")
        for state in SLOT_STATES
    }
    for name in ALL:
        for variation in RESPONSES[name]:
            if variation.get("channel"):
                assert variation.get("channel") in {"discreet", "plain"}, name
                assert id(variation) in reached, (name, variation)


def test_the_immediate_danger_question_keeps_its_meaning_for_each_reporter() -> None:
    myself = chosen("utter_ask_immediate_danger", "discreet", {"reporter_type": "self"})
    other = chosen("utter_ask_immediate_danger", "discreet", {"reporter_type": "neighbour"})
    assert myself["text"] == "Do you need urgent help right now?"
    assert other["text"] == "Do you think someone needs urgent help right now?"
    assert payloads(myself)[:2] == ["/affirm", "/deny"]  # "yes" still means danger now


def test_the_discreet_emergency_reply_keeps_every_route_and_its_marker() -> None:
    for state in SLOT_STATES:
        variation = chosen("utter_emergency", "discreet", state)
        assert variation.get("channel") == "discreet"
        assert variation["custom"] == {"quietdoor": "emergency"}
        text = variation["text"]
        for route in ("call 999", "press 55", "Silent Solution", "text 999", "999 BSL", "18000"):
            assert route in text, route


def test_the_discreet_emergency_reply_is_sent_with_its_marker() -> None:
    """Rendered as Rasa renders it: the custom part comes with the text."""
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    message = asyncio.run(_generate(nlg, "utter_emergency", "discreet"))
    assert message["custom"] == {"quietdoor": "emergency"}
    assert message["text"].startswith("If you need help now, call 999.")


async def _generate(nlg: TemplatedNaturalLanguageGenerator, name: str, channel: str) -> Any:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    return await nlg.generate(name, tracker, channel)


def test_the_messaging_greeting_is_short_and_says_how_to_leave() -> None:
    for channel in ("discreet", "plain"):
        greet = chosen("utter_greet", channel, {})
        assert "Reply EXIT" in greet["text"]
        assert len(greet["text"]) <= 160  # one SMS
        assert payloads(greet) == ["/affirm", "/deny", "/emergency"]
    assert [b["title"] for b in chosen("utter_greet", "discreet", {})["buttons"]] == [
        "Yes",
        "No",
        "I need help now",
    ]


def test_discreet_helplines_give_the_number_without_the_name() -> None:
    values = {
        "helpline_name": "National Domestic Abuse Helpline (Refuge)",
        "helpline_contact": "0808 2000 247",
        "helpline_hours": "24 hours, every day",
    }
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    helpline = nlg.generate_from_slots("utter_helpline", {}, "discreet", **values)
    assert helpline["text"] == "Support line: 0808 2000 247 (24 hours, every day)"
    web = nlg.generate_from_slots("utter_helpline", {}, "web", **values)
    assert (
        web["text"]
        == "National Domestic Abuse Helpline (Refuge): 0808 2000 247 (24 hours, every day)"
    )
    clarify = nlg.generate_from_slots("utter_clarify", {}, "discreet", **values)
    assert "0808 2000 247" in clarify["text"]
    assert "Domestic" not in clarify["text"]
