"""The actions' payload (contract.report.case_payload) is always a body the case service accepts.

The actions run on Python 3.10 and the case service on 3.11; this test puts the two sides of
`POST /internal/cases` together: every free-text answer at its limit, one character over, and
with awkward characters, built by the actions' builder and validated by `CaseIn`.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest

from api.cases.schemas import CaseIn
from api.casework.pages.rendering import LABELS
from contract.report import (
    ABUSE_KINDS,
    CHANNELS,
    CONTACT_FIELDS,
    CONTACT_METHODS,
    FREE_TEXT_LIMITS,
    HASHED_FIELDS,
    INTERPRETERS,
    PLAIN_FIELDS,
    REPORT_FIELDS,
    REPORTER_TYPES,
    SKIPPED,
    URGENCIES,
    YES_NO_FIELDS,
    YES_NO_UNKNOWN,
    case_payload,
)

KEY = "qd-" + "0" * 64

#: A report with every question answered, so each field reaches the schema.
FULL_REPORT: dict[str, Any] = {
    "reporter_type": "self",
    "abuse_kinds": list(ABUSE_KINDS),
    "contact_method": "phone",
    "interpreter": "language",
    **dict.fromkeys(YES_NO_FIELDS, "yes"),
    **{field: "an answer" for field in FREE_TEXT_LIMITS},
}


def accepted(slots: dict[str, Any], channel: str = "sms") -> CaseIn:
    return CaseIn.model_validate(case_payload(slots, KEY, channel))


@pytest.mark.parametrize("field", sorted(FREE_TEXT_LIMITS))
@pytest.mark.parametrize("extra", [0, 1, 1000])
def test_every_answer_at_or_past_its_limit_is_accepted(field: str, extra: int) -> None:
    limit = FREE_TEXT_LIMITS[field]
    case = accepted({**FULL_REPORT, field: "é" * (limit + extra)})
    assert getattr(case, field) == "é" * limit


@pytest.mark.parametrize("field", sorted(FREE_TEXT_LIMITS))
def test_spaces_and_lone_surrogates_do_not_make_a_body_the_service_refuses(field: str) -> None:
    limit = FREE_TEXT_LIMITS[field]
    case = accepted({**FULL_REPORT, field: "  \ud83d" + "a" * limit + "  "})
    assert getattr(case, field) == "\ufffd" + "a" * (limit - 1)


def test_every_limit_is_the_schemas_limit() -> None:
    for field, limit in FREE_TEXT_LIMITS.items():
        too_long = {**case_payload(FULL_REPORT, KEY, "web"), field: "a" * (limit + 1)}
        with pytest.raises(ValueError, match="at most"):
            CaseIn.model_validate(too_long)


@pytest.mark.parametrize("channel", CHANNELS + ("carrier-pigeon",))
def test_every_channel_and_an_unknown_one_are_accepted(channel: str) -> None:
    assert accepted(FULL_REPORT, channel).channel in CHANNELS


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("reporter_type", REPORTER_TYPES),
        ("contact_method", CONTACT_METHODS),
        ("interpreter", INTERPRETERS),
        *((field, YES_NO_UNKNOWN) for field in YES_NO_FIELDS),
    ],
)
def test_every_allowed_value_is_accepted(field: str, values: tuple[str, ...]) -> None:
    for value in values:
        assert getattr(accepted({**FULL_REPORT, field: value}), field) == value


def test_every_abuse_kind_at_once_is_accepted() -> None:
    assert accepted(FULL_REPORT).abuse_kinds == list(ABUSE_KINDS)


def test_a_skipped_report_is_accepted_with_nulls() -> None:
    case = accepted(dict.fromkeys(FULL_REPORT, SKIPPED))
    assert case.reporter_type == "other"
    assert case.what_happening is None
    assert case.children is None


def test_the_payload_has_exactly_the_schemas_fields() -> None:
    assert sorted(case_payload({}, KEY, "web")) == sorted(CaseIn.model_fields)


def test_every_field_has_exactly_one_home() -> None:
    homes = PLAIN_FIELDS + REPORT_FIELDS + CONTACT_FIELDS + HASHED_FIELDS
    assert sorted(homes) == sorted(CaseIn.model_fields)
    assert len(homes) == len(set(homes))


def test_the_schema_allows_exactly_the_contracts_values() -> None:
    fields = CaseIn.model_fields
    assert get_args(fields["reporter_type"].annotation) == REPORTER_TYPES
    assert get_args(fields["channel"].annotation) == CHANNELS


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("reporter", REPORTER_TYPES),
        ("abuse", ABUSE_KINDS),
        ("method", CONTACT_METHODS),
        ("interpreter", INTERPRETERS),
        ("tristate", YES_NO_UNKNOWN),
        ("channel", CHANNELS),
        ("urgency", URGENCIES),
    ],
)
def test_the_staff_pages_have_words_for_every_value(kind: str, values: tuple[str, ...]) -> None:
    assert set(values) <= set(LABELS[kind])
