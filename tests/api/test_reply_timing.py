"""Every reply that says when the team will respond is true at that moment, on every channel.

The case service answers a report at night, at the weekend, on bank holidays that the nations
keep differently, and in office hours (tests/timing_cases.py); the action's own choice of replies
(`actions.confirmation`) is rendered from the domain's templates in the web, discreet and plain
wording. Each must say when the team will see it, give 999 and the nation's 24-hour line, say so
when the team is not working, and promise nothing sooner than the team can deliver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from actions.confirmation import confirmation
from api.settings import REPO_ROOT, Settings
from tests.timing_cases import (
    MOMENT_IDS,
    MOMENTS,
    OUT_OF_HOURS,
    ROUND_THE_CLOCK,
    Moment,
    orgs_in,
    promises_in,
)

from .conftest import SERVICE_TOKEN, build_app

WORDINGS = ("web", "discreet", "plain")


def _responses() -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((REPO_ROOT / "bot" / "domain").glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    return responses


RESPONSES = _responses()


def render(name: str, wording: str, values: dict[str, str]) -> str:
    """As Rasa picks it: the wording's own variation, else the default (none is conditional)."""
    variations = RESPONSES[name]
    assert all("condition" not in v for v in variations), name
    own = [v for v in variations if v.get("channel") == wording]
    text = (own or [v for v in variations if not v.get("channel")])[0]["text"]
    return text.format(**values)


def reply_texts(case: dict[str, Any], wording: str) -> str:
    return "\n".join(render(name, wording, values) for name, values in confirmation(case))


def answer_at(
    moment: Moment, settings: Settings, tmp_path: Path, body: dict[str, object], **orgs: Any
) -> dict[str, Any]:
    in_nation = settings.model_copy(update={"org_dir": orgs_in(tmp_path, moment.nation, **orgs)})
    with TestClient(build_app(in_nation), base_url="https://testserver") as client:
        response = client.post(
            "/internal/cases", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
        )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("wording", WORDINGS)
@pytest.mark.parametrize("contact", ["phone", "none"])
@pytest.mark.parametrize("danger", ["yes", "no"])
@pytest.mark.parametrize("moment", MOMENTS, ids=MOMENT_IDS)
def test_every_confirmation_says_truly_when_and_what_to_do_before_then(
    settings: Settings,
    case_body: Callable[..., dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    moment: Moment,
    danger: str,
    contact: str,
    wording: str,
) -> None:
    monkeypatch.setattr("api.cases.router.utcnow", lambda: moment.at.astimezone(dt.UTC))
    body = case_body(immediate_danger=danger, contact_method=contact)
    if contact == "phone":
        body["contact_detail"] = "+447700900123"
    case = answer_at(moment, settings, tmp_path, body)
    text = reply_texts(case, wording)

    assert moment.deadline_text in text
    assert "call 999" in text
    assert ROUND_THE_CLOCK[moment.nation] in text
    assert ("not working right now" in text) is (not moment.team_open)
    assert promises_in(text) == []
    assert ("will contact you" in text) is (contact == "phone")
    assert ("marked urgent" in text) is (danger == "yes")


def test_an_out_of_hours_service_is_named_in_the_reply(
    settings: Settings, case_body: Callable[..., dict[str, object]], tmp_path: Path
) -> None:
    case = answer_at(
        MOMENTS[0], settings, tmp_path, case_body(immediate_danger="yes"), out_of_hours=OUT_OF_HOURS
    )
    assert "0300 000 0000" in reply_texts(case, "web")
    assert "Example Housing out-of-hours line" in reply_texts(case, "web")
    assert "0300 000 0000" in reply_texts(case, "discreet")
