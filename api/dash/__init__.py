"""SafeLives Dash risk checklist, MARAC referral criteria and the MARAC referral pack.

Pure logic and rendering: no database and no routes. Casework calls these functions.
"""

from api.dash.marac import CRITERIA, CRITERIA_LABELS, Criterion, marac_criteria, referral_indicated
from api.dash.pack import (
    MARKING,
    PACK_STYLESHEET,
    MaracPackData,
    YesAnswer,
    render_html,
    render_pdf,
    yes_answers_from,
)
from api.dash.questions import (
    ANSWER_VALUES,
    BEFORE_YOU_ASK,
    QUESTIONS,
    QUESTIONS_BY_CODE,
    Answer,
    AnswerValue,
    Question,
)
from api.dash.scoring import DashScore, RiskLevel, answers_from_form, risk_level, score

__all__ = [
    "ANSWER_VALUES",
    "BEFORE_YOU_ASK",
    "CRITERIA",
    "CRITERIA_LABELS",
    "MARKING",
    "PACK_STYLESHEET",
    "QUESTIONS",
    "QUESTIONS_BY_CODE",
    "Answer",
    "AnswerValue",
    "Criterion",
    "DashScore",
    "MaracPackData",
    "Question",
    "RiskLevel",
    "YesAnswer",
    "answers_from_form",
    "marac_criteria",
    "referral_indicated",
    "render_html",
    "render_pdf",
    "risk_level",
    "score",
    "yes_answers_from",
]
