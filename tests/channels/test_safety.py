"""Exit words and emergency words: tables of what must and must not trigger."""

from __future__ import annotations

import pytest

from api.org.profile import load_profile
from api.settings import REPO_ROOT
from channels.safety import emergency_text, is_emergency, is_exit, not_taken_text

EXIT = [
    "exit",
    "Exit",
    "EXIT",
    "  exit  ",
    "/exit",
    "exit.",
    "exit!",
    "quick exit",
    "Quick Exit",
    "quick  exit",
    "/quick_exit",
    "exit now",
    "EXIT NOW!",
    "exit chat",
    "Exit this page",
    "exit\n",
]

NOT_EXIT = [
    "is there a fire exit",
    "the fire exit is blocked",
    "how do I exit my tenancy",
    "exiting",
    "exit exit",
    "next",
    "",
    "   ",
    "please do not exit",
    "exit the building safely",
]

EMERGENCY = [
    "my ex has broken in and he's downstairs",
    "he has just forced his way in",
    "he has a knife",
    "He's got a KNIFE",
    "there's a gun in the house",
    "he said he is going to kill me",
    "he's gonna kill me",
    "he threatened to kill the kids",
    "I think he will kill her",
    "kill me",
    "I want to kill myself",
    "he strangled me last night",
    "he tried to choke me",
    "I can't breathe",
    "I cant breathe",
    "I can\u2019t breathe",
    "he put his hands round my neck",
    "he is hurting me now",
    "he's hurting me",
    "she is attacking me",
    "someone is breaking in",
    "he is trying to get in",
    "he's banging on the door",
    "my ex is kicking the door in",
    "help me now",
    "please help me now",
    "I need help right now",
    "I am in danger",
    "we're in danger",
    "call the police",
    "please call 999",
    "I'm bleeding",
    "he stabbed me",
    "he locked me in the bedroom",
    "he won't let me leave",
    "he said he would burn the house down",
    "I fear for my life",
    "I'm not safe at home",
]

NOT_EMERGENCY = [
    "the window has broken in the storm",
    "the lock has broken in half",
    "I need an emergency repair",
    "boiler emergency, no heating",
    "there is a gas leak",
    "I smell gas, is this an emergency",
    "my rent is late",
    "how do I pay my rent",
    "is there a fire exit",
    "the fire alarm keeps going off",
    "my back is killing me",
    "the radiators need bleeding",
    "can someone bleed the radiators",
    "we have a choked drain",
    "the sink is choked",
    "the contractor left a sealant gun",
    "the roof is in danger of collapsing",
    "my neighbour plays loud music",
    "I want to report damp and mould",
    "he hurt me last year",
    "hello",
    "I want to talk about my partner",
    "the front door lock is broken",
    "can I change my locks",
]


@pytest.mark.parametrize("text", EXIT)
def test_exit_words_are_recognised(text: str) -> None:
    assert is_exit(text)


@pytest.mark.parametrize("text", NOT_EXIT)
def test_exit_inside_a_sentence_is_not_an_exit(text: str) -> None:
    assert not is_exit(text)


@pytest.mark.parametrize("text", EMERGENCY)
def test_danger_now_is_an_emergency(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize("text", NOT_EMERGENCY)
def test_housing_talk_is_not_an_emergency(text: str) -> None:
    assert not is_emergency(text)


@pytest.mark.parametrize(
    ("org", "helpline"),
    [("stonewater", "0808 2000 247"), ("wolverhampton-homes", "0808 2000 247")],
)
def test_emergency_text_names_999_silent_solution_deaf_routes_and_helpline(
    org: str, helpline: str
) -> None:
    text = emergency_text(load_profile(REPO_ROOT / "orgs", org))
    assert "999" in text
    assert "55" in text and "Silent Solution" in text
    assert "18000" in text and "BSL" in text and "text 999" in text
    assert helpline in text


@pytest.mark.parametrize(
    ("nation", "helpline"),
    [("WLS", "0808 80 10 800"), ("SCT", "0800 027 1234"), ("NIR", "0808 802 1414")],
)
def test_emergency_text_uses_the_nations_own_helpline(nation: str, helpline: str) -> None:
    profile = load_profile(REPO_ROOT / "orgs", "stonewater").model_copy(update={"nation": nation})
    text = emergency_text(profile)
    assert helpline in text
    assert "0808 2000 247" not in text


def test_not_taken_text_is_honest_that_nothing_was_saved() -> None:
    assert "could not be taken" in not_taken_text()
    assert "not been saved" in not_taken_text()
