"""DASH RIC questions, scoring, risk banding and the MARAC referral criteria at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from api.dash.marac import CRITERIA, CRITERIA_LABELS, marac_criteria, referral_indicated
from api.dash.questions import (
    BEFORE_YOU_ASK,
    CODES,
    QUESTIONS,
    SECTION_TITLES,
    Answer,
    question,
    questions_in,
)
from api.dash.scoring import answers_from_form, risk_level, score
from api.org.profile import DashBanding, load_profile
from api.settings import REPO_ROOT

DEFAULT = DashBanding()
LOCAL_12 = DashBanding(high_min_yes=12, medium_min_yes=8, escalation_incidents_12_months=4)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
SECRET_COMMENT = "he said he would burn the flat down"


def answers_with(yes: int, *, not_known: int = 0, comment: str = "") -> dict[str, Answer]:
    """`yes` yes answers, then `not_known` not-known answers, the rest "no"."""
    out: dict[str, Answer] = {}
    for index, code in enumerate(CODES):
        if index < yes:
            out[code] = Answer("yes", comment)
        elif index < yes + not_known:
            out[code] = Answer("not_known")
        else:
            out[code] = Answer("no")
    return out


def criteria(
    yes: int = 0,
    *,
    banding: DashBanding = DEFAULT,
    judgement: bool = False,
    incidents: int = 0,
    last_marac_at: dt.datetime | None = None,
) -> list[str]:
    return marac_criteria(
        yes_count=yes,
        banding=banding,
        professional_judgement=judgement,
        incidents_last_12_months=incidents,
        last_marac_at=last_marac_at,
        now=NOW,
    )


# ---- questions ---------------------------------------------------------------------------------


def test_there_are_24_numbered_questions_with_unique_codes_in_four_sections() -> None:
    assert [q.number for q in QUESTIONS] == list(range(1, 25))
    assert len(set(CODES)) == 24
    assert {q.section for q in QUESTIONS} == set(SECTION_TITLES)
    assert sum(len(questions_in(s)) for s in SECTION_TITLES) == 24
    assert all(q.text.endswith("?") for q in QUESTIONS)
    assert question("strangulation").number == 15
    assert "strangle / choke / suffocate / drown" in question("strangulation").text
    assert question("injury").text == "Has the current incident resulted in injury?"


def test_guidance_before_asking_covers_safety_perpetrator_and_children() -> None:
    text = " ".join(BEFORE_YOU_ASK).lower()
    assert "safe to talk" in text
    assert "perpetrator" in text
    assert "children" in text


def test_unknown_question_code_is_named() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        question("nope")


# ---- scoring -----------------------------------------------------------------------------------


def test_score_counts_yes_not_known_and_unanswered() -> None:
    answers = answers_with(10, not_known=3)
    del answers["breach"], answers["criminal_history"]
    result = score(answers)
    assert result.yes_count == 10
    assert result.not_known_count == 3
    assert result.no_count == 24 - 10 - 3 - 2
    assert result.unanswered == ("breach", "criminal_history")
    assert result.yes_codes == CODES[:10]
    assert not result.complete
    assert result.answered_count == 22


def test_not_known_never_counts_as_yes() -> None:
    assert score(answers_with(0, not_known=24)).yes_count == 0


def test_empty_checklist_scores_zero_with_every_code_unanswered() -> None:
    result = score({})
    assert result.yes_count == 0
    assert result.unanswered == CODES
    assert not result.complete


def test_plain_strings_and_none_are_accepted() -> None:
    result = score({"injury": "yes", "frightened": "not_known", "weapons": None})
    assert (result.yes_count, result.not_known_count) == (1, 1)
    assert "weapons" in result.unanswered


def test_unknown_code_is_refused_naming_the_code_not_the_comment() -> None:
    answers = answers_with(3, comment=SECRET_COMMENT)
    answers["rogue_code"] = Answer("yes", SECRET_COMMENT)
    with pytest.raises(ValueError) as raised:
        score(answers)
    assert "rogue_code" in str(raised.value)
    assert SECRET_COMMENT not in str(raised.value)


@pytest.mark.parametrize("bad", ["maybe", "YES", "", "1"])
def test_answer_values_other_than_the_three_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="yes, no, not_known"):
        Answer(bad, SECRET_COMMENT)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'injury'") as raised:
        score({"injury": bad})
    assert "yes, no, not_known" in str(raised.value)


def test_a_bad_answer_error_never_quotes_the_comment() -> None:
    try:
        Answer("perhaps", SECRET_COMMENT)  # type: ignore[arg-type]
    except ValueError as error:
        assert SECRET_COMMENT not in str(error)
    with pytest.raises(ValueError) as raised:
        Answer("yes", SECRET_COMMENT * 200)
    assert SECRET_COMMENT not in str(raised.value)


def test_answers_from_form() -> None:
    form = {
        "csrf_token": "x",
        "answer_injury": "yes",
        "comment_injury": "  bruising to arm ",
        "answer_frightened": "not_known",
        "answer_weapons": "",
    }
    answers = answers_from_form(form)
    assert answers == {
        "injury": Answer("yes", "bruising to arm"),
        "frightened": Answer("not_known"),
    }
    with pytest.raises(ValueError, match="'bogus'"):
        answers_from_form({"answer_bogus": "yes"})
    with pytest.raises(ValueError, match="'weapons'") as raised:
        answers_from_form({"comment_weapons": SECRET_COMMENT})
    assert SECRET_COMMENT not in str(raised.value)
    with pytest.raises(ValueError, match="'injury'"):
        answers_from_form({"answer_injury": "sometimes", "comment_injury": SECRET_COMMENT})


# ---- risk level --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "expected"),
    [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"), (24, "high")],
)
def test_risk_level_default_banding(yes: int, expected: str) -> None:
    assert risk_level(yes, DEFAULT, professional_judgement=False) == expected


@pytest.mark.parametrize(
    ("yes", "expected"), [(7, "standard"), (8, "medium"), (11, "medium"), (12, "high")]
)
def test_risk_level_local_banding(yes: int, expected: str) -> None:
    assert risk_level(yes, LOCAL_12, professional_judgement=False) == expected


def test_professional_judgement_raises_to_high_and_never_lowers() -> None:
    assert risk_level(5, DEFAULT, professional_judgement=True) == "high"
    assert risk_level(0, DEFAULT, professional_judgement=True) == "high"
    assert risk_level(15, DEFAULT, professional_judgement=False) == "high"
    assert risk_level(15, DEFAULT, professional_judgement=True) == "high"
    assert risk_level(11, DEFAULT, professional_judgement=True) == "high"


@pytest.mark.parametrize("bad", [-1, 25, True])
def test_risk_level_refuses_impossible_counts(bad: int) -> None:
    with pytest.raises(ValueError, match="yes_count"):
        risk_level(bad, DEFAULT, professional_judgement=False)


def test_shipped_profiles_band_as_safelives() -> None:
    for org in ("stonewater", "wolverhampton-homes"):
        banding = load_profile(REPO_ROOT / "orgs", org).dash
        assert banding == DashBanding(
            high_min_yes=14, medium_min_yes=10, escalation_incidents_12_months=3
        )


# ---- MARAC criteria ----------------------------------------------------------------------------


def test_visible_high_risk_boundary_default_banding() -> None:
    assert criteria(13) == []
    assert criteria(14) == ["visible_high_risk"]
    assert not referral_indicated(criteria(13))
    assert referral_indicated(criteria(14))


def test_visible_high_risk_boundary_profile_banding_of_12() -> None:
    assert criteria(11, banding=LOCAL_12) == []
    assert criteria(12, banding=LOCAL_12) == ["visible_high_risk"]
    assert criteria(13, banding=DEFAULT) == []  # the same count under the default banding


def test_potential_escalation_boundary() -> None:
    assert criteria(incidents=2) == []
    assert criteria(incidents=3) == ["potential_escalation"]
    assert criteria(incidents=3, banding=LOCAL_12) == []
    assert criteria(incidents=4, banding=LOCAL_12) == ["potential_escalation"]


def test_repeat_boundary_364_vs_366_days() -> None:
    assert criteria(last_marac_at=NOW - dt.timedelta(days=364)) == ["repeat"]
    assert criteria(last_marac_at=NOW - dt.timedelta(days=365)) == ["repeat"]
    assert criteria(last_marac_at=NOW - dt.timedelta(days=366)) == []
    assert criteria(last_marac_at=None) == []


def test_repeat_compares_instants_across_time_zones() -> None:
    bst = dt.timezone(dt.timedelta(hours=1))
    last = (NOW - dt.timedelta(days=364)).astimezone(bst)
    assert criteria(last_marac_at=last) == ["repeat"]


def test_professional_judgement_at_5_yes_is_a_criterion_and_high() -> None:
    met = criteria(5, judgement=True)
    assert met == ["professional_judgement"]
    assert risk_level(5, DEFAULT, professional_judgement=True) == "high"


def test_professional_judgement_never_removes_visible_high_risk() -> None:
    assert criteria(15, judgement=False) == ["visible_high_risk"]
    assert criteria(15, judgement=True) == ["visible_high_risk", "professional_judgement"]


def test_all_criteria_together_in_fixed_order() -> None:
    met = criteria(20, judgement=True, incidents=5, last_marac_at=NOW - dt.timedelta(days=30))
    assert met == list(CRITERIA)
    assert set(CRITERIA_LABELS) == set(CRITERIA)


def test_naive_or_future_times_and_bad_counts_are_refused() -> None:
    naive = dt.datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="last_marac_at"):
        criteria(last_marac_at=naive)
    with pytest.raises(ValueError, match="now"):
        marac_criteria(
            yes_count=0,
            banding=DEFAULT,
            professional_judgement=False,
            incidents_last_12_months=0,
            last_marac_at=None,
            now=naive,
        )
    with pytest.raises(ValueError, match="future"):
        criteria(last_marac_at=NOW + dt.timedelta(days=1))
    with pytest.raises(ValueError, match="incidents"):
        criteria(incidents=-1)
    with pytest.raises(ValueError, match="yes_count"):
        criteria(25)


def test_score_feeds_the_criteria() -> None:
    result = score(answers_with(14, not_known=5))
    assert criteria(result.yes_count) == ["visible_high_risk"]
    result = score(answers_with(13, not_known=11))
    assert criteria(result.yes_count) == []
