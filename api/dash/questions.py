"""The SafeLives Dash risk identification checklist (RIC, 2009) as data.

SafeLives prints the 24 questions as one numbered list; the sections here follow the headings of the
2009 DASH model (current situation, children/dependants, domestic violence history, abuser) so the
form can group them. The question text is SafeLives' wording; where the checklist leaves a gap for
the abuser's name ("(...)") it reads "(name of abuser/s)" here. `prompt` is SafeLives' follow-up
guidance printed under a question, shown to staff as a hint for the comment.

Codes are stable identifiers: answers are stored by code, never by number or text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Section = Literal["current_situation", "children_dependants", "dv_history", "abuser"]
AnswerValue = Literal["yes", "no", "not_known"]

ANSWER_VALUES: Final[tuple[AnswerValue, ...]] = ("yes", "no", "not_known")
ANSWER_LABELS: Final[dict[AnswerValue, str]] = {"yes": "Yes", "no": "No", "not_known": "Not known"}

SECTION_TITLES: Final[dict[Section, str]] = {
    "current_situation": "Current situation",
    "children_dependants": "Children and dependants",
    "dv_history": "Domestic violence history",
    "abuser": "Abuser(s)",
}

# Comments are free text from staff; they are capped so a form cannot post a whole case file.
COMMENT_MAX_CHARS: Final = 2000

BEFORE_YOU_ASK: Final[tuple[str, ...]] = (
    "Check that it is safe to talk now: the person is alone, cannot be overheard and is not being "
    "watched or recorded. If it is not safe, stop and agree a safer time.",
    "Ask where the perpetrator (abuser) is now, and whether they could arrive or overhear.",
    "Ask where any children are now, and whether they are safe.",
    "Agree a safe way and a safe time to contact the person, and what to do if someone else "
    "answers.",
    "Explain why you are asking: the answers help everyone understand the risk and get the right "
    "support. Explain that information may be shared without consent if the risk is high "
    "(for example a MARAC referral), and that the perpetrator will never be told.",
    "The person can choose not to answer any question; record it as 'not known'.",
)

NAME_GAP_NOTE: Final = '"(name of abuser/s)" stands for the name of the person causing harm.'


@dataclass(frozen=True, slots=True)
class Question:
    number: int
    code: str
    text: str
    section: Section
    prompt: str = ""


_N = "(name of abuser/s)"

QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        1,
        "injury",
        "Has the current incident resulted in injury?",
        "current_situation",
        "Please state what and whether this is the first injury.",
    ),
    Question(2, "frightened", "Are you very frightened?", "current_situation"),
    Question(
        3,
        "afraid_of",
        "What are you afraid of? Is it further injury or violence?",
        "current_situation",
        f"Please give an indication of what you think {_N} might do and to whom, including "
        "children.",
    ),
    Question(
        4,
        "isolated",
        f"Do you feel isolated from family/friends i.e. does {_N} try to stop you from seeing "
        "friends/family/doctor or others?",
        "current_situation",
    ),
    Question(
        5,
        "depressed_suicidal",
        "Are you feeling depressed or having suicidal thoughts?",
        "current_situation",
    ),
    Question(
        6,
        "separation",
        f"Have you separated or tried to separate from {_N} within the past year?",
        "current_situation",
    ),
    Question(7, "child_contact", "Is there conflict over child contact?", "current_situation"),
    Question(
        8,
        "stalking",
        f"Does {_N} constantly text, call, contact, follow, stalk or harass you?",
        "current_situation",
        "Please expand to identify what and whether you believe that this is done deliberately to "
        "intimidate you. Consider the context and behaviour of what is being done.",
    ),
    Question(
        9,
        "pregnancy",
        "Are you pregnant or have you recently had a baby (within the last 18 months)?",
        "children_dependants",
    ),
    Question(10, "more_often", "Is the abuse happening more often?", "dv_history"),
    Question(11, "getting_worse", "Is the abuse getting worse?", "dv_history"),
    Question(
        12,
        "controlling",
        f"Does {_N} try to control everything you do and/or are they excessively jealous?",
        "dv_history",
        "For example: in terms of relationships, who you see, being 'policed' at home, telling you "
        "what to wear. Consider 'honour'-based violence (HBV) and specify behaviour.",
    ),
    Question(13, "weapons", f"Has {_N} ever used weapons or objects to hurt you?", "dv_history"),
    Question(
        14,
        "threat_to_kill",
        f"Has {_N} ever threatened to kill you or someone else and you believed them?",
        "dv_history",
        "If yes, say who: you, children, other (please specify).",
    ),
    Question(
        15,
        "strangulation",
        f"Has {_N} ever attempted to strangle / choke / suffocate / drown you?",
        "dv_history",
    ),
    Question(
        16,
        "sexual_abuse",
        f"Does {_N} do or say things of a sexual nature that make you feel bad or that physically "
        "hurt you or someone else?",
        "dv_history",
        "If someone else, specify who.",
    ),
    Question(
        17,
        "other_person_threat",
        "Is there any other person who has threatened you or who you are afraid of?",
        "dv_history",
        "If yes, please specify whom and why. Consider extended family if HBV.",
    ),
    Question(
        18,
        "hurt_anyone_else",
        f"Do you know if {_N} has hurt anyone else?",
        "dv_history",
        "Please specify whom, including the children, siblings or elderly relatives: children, "
        "another family member, someone from a previous relationship, other. Consider HBV.",
    ),
    Question(
        19,
        "animal_abuse",
        f"Has {_N} ever mistreated an animal or the family pet?",
        "dv_history",
    ),
    Question(
        20,
        "financial",
        "Are there any financial issues?",
        "abuser",
        f"For example, are you dependent on {_N} for money / have they recently lost their job / "
        "other financial issues?",
    ),
    Question(
        21,
        "drugs_alcohol_mh",
        f"Has {_N} had problems in the past year with drugs (prescription or other), alcohol or "
        "mental health leading to problems in leading a normal life?",
        "abuser",
        "If yes, please specify which (drugs, alcohol, mental health) and give relevant details if "
        "known.",
    ),
    Question(
        22,
        "abuser_suicide",
        f"Has {_N} ever threatened or attempted suicide?",
        "abuser",
    ),
    Question(
        23,
        "breach",
        f"Has {_N} ever broken bail/an injunction and/or formal agreement for when they can see "
        "you and/or the children?",
        "abuser",
        "Bail conditions, non-molestation or occupation order, child contact arrangements, forced "
        "marriage protection order, other. You may wish to consider this in relation to an "
        "ex-partner of the perpetrator if relevant.",
    ),
    Question(
        24,
        "criminal_history",
        f"Do you know if {_N} has ever been in trouble with the police or has a criminal history?",
        "abuser",
        "If yes, please specify: domestic violence, sexual violence, other violence, other.",
    ),
)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: "yes", "no" or "not_known", with an optional comment from the assessor.

    Errors never quote the comment: it can hold what the person disclosed.
    """

    value: AnswerValue
    comment: str = ""

    def __post_init__(self) -> None:
        if self.value not in ANSWER_VALUES:
            raise ValueError("a DASH answer must be one of: yes, no, not_known")
        if not isinstance(self.comment, str):
            raise ValueError("a DASH comment must be text")
        if len(self.comment) > COMMENT_MAX_CHARS:
            raise ValueError(f"a DASH comment is limited to {COMMENT_MAX_CHARS} characters")
        object.__setattr__(self, "comment", self.comment.strip())


QUESTIONS_BY_CODE: Final[dict[str, Question]] = {q.code: q for q in QUESTIONS}
CODES: Final[tuple[str, ...]] = tuple(q.code for q in QUESTIONS)


def questions_in(section: Section) -> tuple[Question, ...]:
    """The questions of one section, in checklist order (for grouping the form)."""
    return tuple(q for q in QUESTIONS if q.section == section)


def question(code: str) -> Question:
    """The question with this code; an unknown code is a ValueError naming the code."""
    try:
        return QUESTIONS_BY_CODE[code]
    except (KeyError, TypeError):
        raise ValueError(f"unknown DASH question code {shown_code(code)}") from None


def shown_code(code: object) -> str:
    """A code for an error message: quoted and cut short (it may come from a form field name)."""
    text = repr(code)
    return text if len(text) <= 60 else text[:57] + "..."
