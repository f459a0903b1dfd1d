"""The action server's answers are checked as strictly as Rasa checks them, by a validator built
once (bot/action_response_validation.py)."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import action_response_validation
from bot.action_response_validation import validate_action_result

GOOD = {
    "events": [{"event": "slot", "name": "safe_to_talk", "value": True, "timestamp": None}],
    "responses": [{"text": "Thank you for telling me."}],
}
BAD = (
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["a bare string"]},
)


def test_a_good_answer_passes() -> None:
    assert validate_action_result(None, GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_a_bad_answer_is_refused_as_rasa_refuses_it(answer: dict) -> None:
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(None, answer)
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_install_makes_remote_actions_use_it(monkeypatch) -> None:
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    action_response_validation.install()
    action = RemoteAction("action_safe_to_talk", None)
    assert action._validate_action_result(GOOD) is True
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result(BAD[0])
