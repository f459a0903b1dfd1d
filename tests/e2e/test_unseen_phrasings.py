"""Phrasings that are not in the training data, sent as a person would after the opening.

Emergency words must bring 999 in the very first reply; a request for a particular helpline must
bring that helpline's number; everyday housing questions must not be treated as emergencies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Product

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
HOLDOUT = ROOT / "tests" / "nlu_holdout"

EMERGENCIES = [
    "he's just smashed the back window and he's coming in",
    "my ex is outside with a baseball bat and im terrified",
    "he has his hands round my throat please help",
    "shes threatening to stab me right now",
    "he's locked me in and says he'll set the flat alight",
    "i honestly think he is going to kill me tonight",
    "he is punching me right now",
    "he's pouring petrol through the letterbox",
]

HELPLINES = [
    ("are there any services for blokes being abused by their wife", "0808 801 0327"),
    ("my girlfriend hurts me and we are both women, who can i ring", "0800 999 5428"),
    ("my parents are arranging a marriage i dont want and threatening me", "0800 5999 247"),
    ("i am deaf and use sign language, how do i get help", "18000"),
    ("i keep losing my temper and shoving my partner and i want to stop", "0808 802 4040"),
    ("how do i get a court order to keep him away from me", "0800 970 2070"),
    ("what's the number for the domestic abuse helpline", "0808 2000 247"),
]

HOUSING = [
    "the boiler has packed in and we have no hot water",
    "I need an emergency repair, water is coming through the kitchen ceiling",
    "how do I set up a direct debit for my rent",
    "can I swap my flat for a bigger one",
    "there's a funny smell of gas in the hallway",
]


def _training_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8").lower() for p in DATA.rglob("*.yml"))


def _holdout_examples() -> list[str]:
    examples = []
    for path in HOLDOUT.glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            examples += [
                line[2:] for line in block["examples"].splitlines() if line.startswith("- ")
            ]
    return examples


def test_these_phrasings_are_really_unseen() -> None:
    training = _training_text()
    phrases = EMERGENCIES + [p for p, _ in HELPLINES] + HOUSING + _holdout_examples()
    assert len(phrases) > 100
    for phrase in phrases:
        assert f"- {phrase.lower()}\n" not in training, phrase


def _after_opening(product: Product, sender: str, text: str) -> list[dict]:
    product.say(sender, "/greet")
    return product.say(sender, text)


@pytest.mark.parametrize("phrase", EMERGENCIES)
def test_emergency_gets_999_in_the_first_reply(product: Product, sender: str, phrase: str) -> None:
    replies = _after_opening(product, sender, phrase)
    assert "999" in replies[0]["text"]
    assert "55" in replies[0]["text"]


@pytest.mark.parametrize(("phrase", "number"), HELPLINES)
def test_a_specific_helpline_gets_its_number(
    product: Product, sender: str, phrase: str, number: str
) -> None:
    replies = _after_opening(product, sender, phrase)
    assert number in json.dumps(replies)


@pytest.mark.parametrize("phrase", HOUSING)
def test_housing_questions_are_not_emergencies(product: Product, sender: str, phrase: str) -> None:
    replies = _after_opening(product, sender, phrase)
    assert not any(r.get("custom", {}).get("quietdoor") == "emergency" for r in replies)
    assert "usual way" in replies[0]["text"]
