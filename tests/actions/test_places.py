"""A place named in a message picks its nation's 24-hour line (actions/places.py, signpost)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import places
from actions.places import nation_in
from actions.signpost import ActionSignpost
from tests.actions.conftest import CaseServiceStub, make_tracker, run_action, slot_values

HELD_OUT = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "heldout" / "places.yml").read_text(encoding="utf-8")
)["examples"]

WALES = {
    "need": "general",
    "nation": "WLS",
    "helplines": [{"name": "Live Fear Free", "contact": "0808 80 10 800", "hours": "24 hours"}],
}


@pytest.mark.parametrize("example", HELD_OUT, ids=lambda example: example["text"])
def test_held_out_places(example: dict[str, Any]) -> None:
    assert nation_in(example["text"]) == example["nation"]


@pytest.mark.parametrize(
    ("text", "nation"),
    [
        ("Newport", "WLS"),  # most populous of the Newports
        ("Newport-on-Tay", "SCT"),  # the longest name wins
        ("Newport Pagnell", "ENG"),
        ("Newport, Isle of Wight", "ENG"),  # what the places agree on
        ("Caerdydd", "WLS"),
        ("Ynys Mon", "WLS"),  # typed without the accent
        ("Dun Eideann", "SCT"),
        ("I LIVE IN CARDIFF", "WLS"),
        ("who can i talk to in wrexham", "WLS"),
        ("County Tyrone", "NIR"),
        ("I'm in Yorkshire", "ENG"),
        ("I live in Bath", "ENG"),  # an everyday word, written as a place
        ("I'm in Barry", "WLS"),
        ("i live in leeds", "ENG"),  # not an everyday word, so no capital needed
        ("Hull", "ENG"),  # an everyday word alone
        ("Reading", "ENG"),
        ("King's Lynn", "ENG"),
    ],
)
def test_places_and_their_nations(text: str, nation: str) -> None:
    assert nation_in(text) == nation


@pytest.mark.parametrize(
    "text",
    [
        "",
        "is there a helpline",
        "he held me under in the bath",
        "my mother in law controls the money",
        "he's reading my texts",
        "send help",
        "in the bath",
        "there's mould on the walls",  # "Mould" is another name of Mold
        "it's all over, I want to ask for help",
        "I moved here from Poland",
    ],
)
def test_everyday_words_are_not_places(text: str) -> None:
    assert nation_in(text) is None


def test_the_index_is_built_once_per_process() -> None:
    assert places._index() is places._index()


def helpline_request(case_service: CaseServiceStub, **tracker: Any) -> tuple[list, str | None]:
    case_service.respond("GET", "/internal/helplines", 200, WALES)
    events, _ = run_action(ActionSignpost(), make_tracker(intent="helpline_general", **tracker))
    [request] = case_service.requests_to("GET", "/internal/helplines")
    return events, request["query"].get("nation")


def test_a_named_town_gets_its_nations_line_and_is_remembered(
    case_service: CaseServiceStub,
) -> None:
    events, nation = helpline_request(case_service, text="I live in Wrexham, who can I call?")
    assert nation == "WLS"
    assert slot_values(events) == {"nation": "WLS"}
    assert case_service.requests_to("GET", "/internal/org") == []


def test_the_nlu_nation_entity_wins_over_a_place(case_service: CaseServiceStub) -> None:
    events, nation = helpline_request(
        case_service,
        text="I grew up in Cardiff but I'm in Scotland now",
        entities=[{"entity": "nation", "value": "SCT", "start": 35, "end": 43}],
        slots={"nation": "SCT"},
    )
    assert nation == "SCT"
    assert slot_values(events) == {}


def test_a_place_named_now_wins_over_one_named_before(case_service: CaseServiceStub) -> None:
    events, nation = helpline_request(
        case_service, text="I've moved to Glasgow", slots={"nation": "WLS"}
    )
    assert nation == "SCT"
    assert slot_values(events) == {"nation": "SCT"}


def test_the_remembered_nation_is_used_when_none_is_named(case_service: CaseServiceStub) -> None:
    events, nation = helpline_request(
        case_service, text="any other numbers?", slots={"nation": "WLS"}
    )
    assert nation == "WLS"
    assert events == []


def test_with_no_place_the_organisations_nation_is_used(case_service: CaseServiceStub) -> None:
    events, nation = helpline_request(case_service, text="he's reading my texts, who can help")
    assert nation == "ENG"
    assert events == []
