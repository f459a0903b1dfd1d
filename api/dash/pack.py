"""The MARAC referral pack: what a referral needs and nothing more, as HTML and as PDF.

`MaracPackData` is the only input. It has no field for the disclosure text, the identity of anyone
else who reported, or case notes, and (being a dataclass) refuses any field it does not declare,
so those cannot reach the pack by mistake. Both renderings are built from the same rows, so the
HTML and the PDF say the same thing.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.dash.marac import CRITERIA, CRITERIA_LABELS, Criterion
from api.dash.questions import (
    ANSWER_LABELS,
    COMMENT_MAX_CHARS,
    QUESTIONS,
    QUESTIONS_BY_CODE,
    Answer,
    shown_code,
)
from api.dash.scoring import RISK_LABELS, RISK_LEVELS, RiskLevel, validate_answers

Tristate = Literal["yes", "no", "not_known"]
TRISTATES: Final[tuple[Tristate, ...]] = ("yes", "no", "not_known")

MARKING: Final = "OFFICIAL-SENSITIVE"
HANDLING: Final = (
    "Share only with the MARAC and its member agencies. Never tell the person causing harm about "
    "this referral."
)
TEMPLATES: Final = Path(__file__).parent / "templates"
PACK_STYLESHEET: Final = TEMPLATES / "marac_pack.css"  # serve it and pass its URL to render_html

_SHORT: Final = 200
_MEDIUM: Final = 500


@dataclass(frozen=True, slots=True)
class YesAnswer:
    """A question answered "yes", by code (the pack prints SafeLives' text), and its comment."""

    code: str
    comment: str = ""

    def __post_init__(self) -> None:
        if self.code not in QUESTIONS_BY_CODE:
            raise ValueError(f"unknown DASH question code {shown_code(self.code)}")
        object.__setattr__(self, "comment", _text(self.comment, "comment", COMMENT_MAX_CHARS))


@dataclass(frozen=True, slots=True, kw_only=True)
class MaracPackData:
    """Everything a MARAC referral pack carries. Text fields are plain text; "" means not recorded.

    `yes_count` must equal the number of `yes_answers`; "visible_high_risk" and
    "professional_judgement" need `risk_level` "high"; `consent_to_share` "no" needs
    `sharing_without_consent_reason`, and "yes" must not have one.
    """

    reference: str
    assessed_on: dt.date
    organisation: str
    risk_level: RiskLevel
    yes_count: int
    criteria: tuple[Criterion, ...]
    yes_answers: tuple[YesAnswer, ...]
    children_in_household: Tristate
    consent_to_share: Tristate
    sharing_without_consent_reason: str = ""
    safe_contact_method: str
    safe_times: str
    interpreter_needs: str = ""
    assessor_name: str
    assessor_role: str

    def __post_init__(self) -> None:
        self._strip("reference", "reference", 64, required=True)
        if not isinstance(self.assessed_on, dt.date):
            raise ValueError("assessed_on must be a date")
        self._strip("organisation", "organisation", _SHORT, required=True)
        if self.risk_level not in RISK_LEVELS:
            raise ValueError("risk_level must be one of: high, medium, standard")

        if isinstance(self.criteria, str) or isinstance(self.yes_answers, YesAnswer):
            raise ValueError("criteria and yes_answers are sequences, not single items")
        criteria = tuple(self.criteria)
        for criterion in criteria:
            if criterion not in CRITERIA:
                raise ValueError(f"unknown MARAC criterion {shown_code(criterion)}")
        if len(set(criteria)) != len(criteria):
            raise ValueError("a MARAC criterion is listed twice")
        object.__setattr__(self, "criteria", tuple(c for c in CRITERIA if c in criteria))
        if self.risk_level != "high" and (
            "visible_high_risk" in criteria or "professional_judgement" in criteria
        ):
            raise ValueError("visible high risk and professional judgement need risk_level high")

        answers = tuple(self.yes_answers)
        if not all(isinstance(a, YesAnswer) for a in answers):
            raise ValueError("yes_answers must be YesAnswer items")
        if len({a.code for a in answers}) != len(answers):
            raise ValueError("a DASH question is listed twice in yes_answers")
        ordered = tuple(sorted(answers, key=lambda a: QUESTIONS_BY_CODE[a.code].number))
        object.__setattr__(self, "yes_answers", ordered)
        if isinstance(self.yes_count, bool) or self.yes_count != len(ordered):
            raise ValueError("yes_count must equal the number of yes_answers")

        for name in ("children_in_household", "consent_to_share"):
            if getattr(self, name) not in TRISTATES:
                raise ValueError(f"{name} must be one of: yes, no, not_known")
        self._strip(
            "sharing_without_consent_reason", "sharing_without_consent_reason", COMMENT_MAX_CHARS
        )
        reason = self.sharing_without_consent_reason
        if self.consent_to_share == "no" and not reason:
            raise ValueError("sharing without consent needs the recorded reason")
        if self.consent_to_share == "yes" and reason:
            raise ValueError("a reason for sharing without consent was given, but consent is yes")
        self._strip("safe_contact_method", "safe_contact_method", _MEDIUM)
        self._strip("safe_times", "safe_times", _MEDIUM)
        self._strip("interpreter_needs", "interpreter_needs", _MEDIUM)
        self._strip("assessor_name", "assessor_name", _SHORT, required=True)
        self._strip("assessor_role", "assessor_role", _SHORT, required=True)

    def _strip(self, name: str, label: str, limit: int, *, required: bool = False) -> None:
        object.__setattr__(self, name, _text(getattr(self, name), label, limit, required=required))


def yes_answers_from(answers: Mapping[str, Answer | str | None]) -> tuple[YesAnswer, ...]:
    """The "yes" answers of a checklist (validated as `scoring.score` does), for the pack."""
    return tuple(
        YesAnswer(code, answer.comment)
        for code, answer in validate_answers(answers).items()
        if answer.value == "yes"
    )


# ---- the content, shared by both renderings ------------------------------------------------

Row = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _YesRow:
    number: int
    question: str
    comment: str


@dataclass(frozen=True, slots=True)
class _Content:
    reference: str
    summary: tuple[Row, ...]
    criteria: tuple[str, ...]
    yes_rows: tuple[_YesRow, ...]
    person: tuple[Row, ...]
    assessor: tuple[Row, ...]


_NOT_RECORDED: Final = "Not recorded"


def _content(data: MaracPackData) -> _Content:
    summary: list[Row] = [
        ("Case reference", data.reference),
        ("Date of assessment", format_date(data.assessed_on)),
        ("Referring organisation", data.organisation),
        ("Risk level", RISK_LABELS[data.risk_level]),
        ("Dash checklist score", f"{data.yes_count} of {len(QUESTIONS)} questions answered yes"),
    ]
    person: list[Row] = [
        ("Children in the household", ANSWER_LABELS[data.children_in_household]),
        ("Consent to share information", ANSWER_LABELS[data.consent_to_share]),
    ]
    if data.consent_to_share != "yes":
        person.append(
            (
                "Reason for sharing without consent",
                data.sharing_without_consent_reason or _NOT_RECORDED,
            )
        )
    person += [
        ("Safe contact method", data.safe_contact_method or _NOT_RECORDED),
        ("Safe times to contact", data.safe_times or _NOT_RECORDED),
        ("Interpreter or language needs", data.interpreter_needs or "None recorded"),
    ]
    return _Content(
        reference=data.reference,
        summary=tuple(summary),
        criteria=tuple(CRITERIA_LABELS[c] for c in data.criteria),
        yes_rows=tuple(
            _YesRow(QUESTIONS_BY_CODE[a.code].number, QUESTIONS_BY_CODE[a.code].text, a.comment)
            for a in data.yes_answers
        ),
        person=tuple(person),
        assessor=(("Name", data.assessor_name), ("Role", data.assessor_role)),
    )


def format_date(day: dt.date) -> str:
    """UK style, e.g. "3 March 2026" (month names fixed in English, whatever the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# ---- HTML ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    data: MaracPackData, *, stylesheet_urls: Sequence[str] | str = ("/staff/staff.css",)
) -> str:
    """A complete, printable HTML page. It links the given stylesheets (same-origin paths such as
    "/staff/staff.css", and the pack's own `PACK_STYLESHEET` where the caller serves it) and has no
    inline style or script, so it works under the staff pages' content security policy."""
    urls = (stylesheet_urls,) if isinstance(stylesheet_urls, str) else tuple(stylesheet_urls)
    for url in urls:
        if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
            raise ValueError("stylesheet URLs must be same-origin paths starting with '/'")
    template = _environment().get_template("marac_pack.html")
    return template.render(
        pack=_content(data), marking=MARKING, handling=HANDLING, stylesheets=urls
    )


# ---- PDF -------------------------------------------------------------------------------------

# The PDF core fonts are declared WinAnsiEncoding, which is cp1252: curly quotes, dashes and the
# euro sign print as they are. Anything else is transliterated (é stays, ł becomes l) or replaced.
_PDF_ENCODING: Final = "cp1252"
_PDF_REPLACEMENTS: Final = {
    "\u00a0": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u2192": "->",
    "\u2713": "Yes",
    "\u0141": "L",
    "\u0142": "l",
    "\u00df": "ss",
}


def pdf_text(text: str) -> str:
    """Text the PDF core font can encode: cp1252 characters kept, others transliterated or '?'."""
    out: list[str] = []
    for char in text:
        if char in "\n\t":
            out.append(" " if char == "\t" else char)
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        char = _PDF_REPLACEMENTS.get(char, char)
        try:
            char.encode(_PDF_ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            plain.encode(_PDF_ENCODING)
            out.append(plain or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _fits_table_row(text: str) -> bool:
    """Short enough that a PDF table row holding it stays well within one page."""
    return len(text) <= 400 and text.count("\n") <= 10


def render_pdf(data: MaracPackData) -> bytes:
    """The same pack as a PDF (A4, Helvetica). Metadata: the title is the reference, nothing else
    about the case or the people in it."""
    from fpdf import FPDF, FontFace  # imported here: only the pack needs it

    content = _content(data)

    class PackPDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 6, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 5, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", "", 8)
            text = pdf_text(f"{content.reference}, page {self.page_no()} of {{nb}}")
            self.cell(0, 4, text, align="C")

    pdf = PackPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = _PDF_ENCODING
    pdf.set_title(pdf_text(content.reference))
    pdf.set_creator("Quiet Door")
    pdf.set_producer("Quiet Door")
    pdf.set_lang("en-GB")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0, 8, pdf_text(f"MARAC referral: {content.reference}"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, pdf_text(HANDLING), new_x="LMARGIN", new_y="NEXT")

    bold = FontFace(emphasis="BOLD")
    left = pdf.l_margin

    def heading(text: str) -> None:
        pdf.ln(4)
        pdf.start_section(text)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.ln(1)

    def paragraph(text: str, *, style: str = "", indent: float = 0) -> None:
        pdf.set_font("Helvetica", style, 10)
        pdf.set_left_margin(left + indent)
        pdf.set_x(left + indent)
        pdf.multi_cell(0, 5, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_left_margin(left)
        pdf.set_font("Helvetica", "", 10)

    def rows(items: Sequence[Row]) -> None:
        # A table row must fit on one page; long text goes in label-then-paragraph form instead.
        if not all(_fits_table_row(value) for _, value in items):
            for label, value in items:
                paragraph(label, style="B")
                paragraph(value, indent=6)
                pdf.ln(1)
            return
        with pdf.table(
            col_widths=(35, 65),
            first_row_as_headings=False,
            text_align="LEFT",
            v_align="TOP",
            line_height=5,
            padding=1,
        ) as table:
            for label, value in items:
                row = table.row()
                row.cell(pdf_text(label), style=bold)
                row.cell(pdf_text(value))

    heading("Summary")
    rows(content.summary)

    heading("MARAC criteria met")
    if content.criteria:
        for label in content.criteria:
            pdf.multi_cell(0, 5, pdf_text(f"- {label}"), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 5, "No criterion recorded.", new_x="LMARGIN", new_y="NEXT")

    heading('Questions answered "yes"')
    if not all(_fits_table_row(item.comment) for item in content.yes_rows):
        for item in content.yes_rows:
            paragraph(f"{item.number}. {item.question}", style="B")
            paragraph(f"Comment: {item.comment or 'none'}", indent=6)
            pdf.ln(1)
    elif content.yes_rows:
        with pdf.table(
            col_widths=(7, 40, 53),
            text_align="LEFT",
            v_align="TOP",
            line_height=5,
            padding=1,
            headings_style=bold,
        ) as table:
            head = table.row()
            for title in ("No.", "Question", "Comment"):
                head.cell(title)
            for item in content.yes_rows:
                row = table.row()
                row.cell(str(item.number))
                row.cell(pdf_text(item.question))
                row.cell(pdf_text(item.comment))
    else:
        pdf.multi_cell(0, 5, 'No question was answered "yes".', new_x="LMARGIN", new_y="NEXT")

    heading("The person at risk: safety and consent")
    rows(content.person)

    heading("Assessor")
    rows(content.assessor)

    return bytes(pdf.output())


def _text(value: object, name: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if len(value) > limit:
        raise ValueError(f"{name} is limited to {limit} characters")
    if required and not value.strip():
        raise ValueError(f"{name} is required")
    return value.strip()
