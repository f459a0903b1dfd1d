"""Checks the action server's answers with a validator built once, not once per answer.

Rasa 3.6 checks every custom action's answer with `jsonschema.validate`, which first checks the
schema itself against the JSON Schema meta-schema and builds a new validator: measured under 50
conversations, that was half of each Rasa worker's CPU (README, "The dialogue engine"). The
schema never changes, so it is checked once here and the same answers are accepted or refused,
with the same error, as before.
"""

from __future__ import annotations

from typing import Any

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_VALIDATOR = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())(
    RemoteAction.action_response_format_spec()
)
_VALIDATOR.check_schema(RemoteAction.action_response_format_spec())


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator above: True, or ValidationError."""
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from"
            " the Action endpoint is valid. For more information about the format visit"
            f" {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    """Make every RemoteAction in this process use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
