"""Score a completed Dash checklist and band it by the organisation's thresholds.

The score is the number of "yes" answers. "Not known" and unanswered questions add nothing; they
are counted so staff can see how complete the checklist is. Professional judgement can raise the
risk level to high; nothing here ever lowers it below what the score gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from api.dash.questions import CODES, QUESTIONS_BY_CODE, Answer, shown_code
from api.org.profile import DashBanding

RiskLevel = Literal["high", "medium", "standard"]
RISK_LEVELS: Final[tuple[RiskLevel, ...]] = ("high", "medium", "standard")
RISK_LABELS: Final[dict[RiskLevel, str]] = {
    "high": "High",
    "medium": "Medium",
    "standard": "Standard",
}

ANSWER_FIELD: Final = "answer_"
COMMENT_FIELD: Final = "comment_"


@dataclass(frozen=True, slots=True)
class DashScore:
    yes_count: int
    no_count: int
    not_known_count: int
    unanswered: tuple[str, ...]  # codes with no answer, in checklist order
    yes_codes: tuple[str, ...]  # codes answered "yes", in checklist order

    @property
    def answered_count(self) -> int:
        return self.yes_count + self.no_count + self.not_known_count

    @property
    def complete(self) -> bool:
        """Every question has an answer ("not known" counts as an answer)."""
        return not self.unanswered


def validate_answers(answers: Mapping[str, Answer | str | None]) -> dict[str, Answer]:
    """The answers as `Answer`s keyed by code, in checklist order; None means unanswered.

    A plain string is taken as an answer without a comment. An unknown code or a value other than
    yes / no / not_known is a ValueError naming the code; the comment is never quoted.
    """
    for code in answers:
        if code not in QUESTIONS_BY_CODE:
            raise ValueError(f"unknown DASH question code {shown_code(code)}")
    checked: dict[str, Answer] = {}
    for code in CODES:
        given = answers.get(code)
        if given is None:
            continue
        if isinstance(given, str):
            try:
                given = Answer(given)  # type: ignore[arg-type]
            except ValueError:
                raise ValueError(
                    f"answer to DASH question {code!r} must be one of: yes, no, not_known"
                ) from None
        elif not isinstance(given, Answer):
            raise ValueError(f"answer to DASH question {code!r} must be an Answer")
        elif given.value not in ("yes", "no", "not_known"):
            raise ValueError(f"answer to DASH question {code!r} must be one of: yes, no, not_known")
        checked[code] = given
    return checked


def score(answers: Mapping[str, Answer | str | None]) -> DashScore:
    """Count the answers (see `validate_answers` for what is refused)."""
    checked = validate_answers(answers)
    values = {code: answer.value for code, answer in checked.items()}
    return DashScore(
        yes_count=sum(v == "yes" for v in values.values()),
        no_count=sum(v == "no" for v in values.values()),
        not_known_count=sum(v == "not_known" for v in values.values()),
        unanswered=tuple(code for code in CODES if code not in values),
        yes_codes=tuple(code for code in CODES if values.get(code) == "yes"),
    )


def risk_level(yes_count: int, banding: DashBanding, *, professional_judgement: bool) -> RiskLevel:
    """High at `banding.high_min_yes` or more, or on professional judgement; then medium; else
    standard. Professional judgement only ever raises the level."""
    check_yes_count(yes_count)
    if yes_count >= banding.high_min_yes or professional_judgement:
        return "high"
    if yes_count >= banding.medium_min_yes:
        return "medium"
    return "standard"


def answers_from_form(form: Mapping[str, str]) -> dict[str, Answer]:
    """Answers from posted form fields `answer_<code>` and `comment_<code>`.

    Other fields (the CSRF token, buttons) are ignored. An empty answer means unanswered; a comment
    on an unanswered question, or a field naming an unknown code, is a ValueError naming the code.
    """
    values: dict[str, str] = {}
    comments: dict[str, str] = {}
    for name, text in form.items():
        for prefix, into in ((ANSWER_FIELD, values), (COMMENT_FIELD, comments)):
            if name.startswith(prefix):
                code = name[len(prefix) :]
                if code not in QUESTIONS_BY_CODE:
                    raise ValueError(f"unknown DASH question code {shown_code(code)}")
                into[code] = (text or "").strip()
    answers: dict[str, Answer | str | None] = {}
    for code in CODES:
        value, comment = values.get(code, ""), comments.get(code, "")
        if not value:
            if comment:
                raise ValueError(f"DASH question {code!r} has a comment but no answer")
            continue
        try:
            answers[code] = Answer(value, comment)  # type: ignore[arg-type]
        except ValueError as error:
            raise ValueError(f"DASH question {code!r}: {error}") from None
    return validate_answers(answers)


def check_yes_count(yes_count: int) -> None:
    if isinstance(yes_count, bool) or not isinstance(yes_count, int):
        raise ValueError("yes_count must be a whole number")
    if not 0 <= yes_count <= len(CODES):
        raise ValueError(f"yes_count must be between 0 and {len(CODES)}")
