"""The actions use the shared report contract itself, not a copy that could drift from it.

The other side (the case service's schema accepting every payload at its limits) is tested on
Python 3.11 in tests/api/test_report_contract.py.
"""

from __future__ import annotations

import pytest

import actions.report_slots as report_slots
import contract.report as contract
from actions.validate_report_form import ValidateReportForm
from tests.actions.conftest import DOMAIN, make_tracker

SHARED_NAMES = (
    "ABUSE_KINDS",
    "CONTACT_METHODS",
    "DONE",
    "FREE_TEXT_LIMITS",
    "INTERPRETERS",
    "METHODS_NEEDING_DETAIL",
    "REPORTER_TYPES",
    "SKIPPED",
    "UNKNOWN",
    "YES_NO_UNKNOWN",
    "case_payload",
    "chosen_kinds",
    "is_anonymous",
)


@pytest.mark.parametrize("name", SHARED_NAMES)
def test_the_actions_use_the_contracts_own_objects(name: str) -> None:
    assert getattr(report_slots, name) is getattr(contract, name)


def test_every_free_text_slot_of_the_contract_is_a_report_slot() -> None:
    assert set(contract.FREE_TEXT_LIMITS) <= set(report_slots.REPORT_SLOTS)
    assert set(contract.YES_NO_FIELDS) <= set(report_slots.REPORT_SLOTS)


@pytest.mark.parametrize("slot", ["what_happening", "location", "safe_times", "code_word"])
def test_the_form_keeps_an_answer_to_the_contracts_limit(slot: str) -> None:
    limit = contract.FREE_TEXT_LIMITS[slot]
    validate = getattr(ValidateReportForm(), f"validate_{slot}")
    tracker = make_tracker(slots={"reporter_type": "self"})
    kept = validate("w" * (limit + 1), None, tracker, DOMAIN)[slot]
    assert kept == "w" * limit
