"""The MARAC referral pack: only what a referral needs, escaped HTML, a PDF with the same text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zlib
from html.parser import HTMLParser

import pytest

from api.dash.pack import (
    HANDLING,
    MARKING,
    PACK_STYLESHEET,
    MaracPackData,
    YesAnswer,
    pdf_text,
    render_html,
    render_pdf,
    yes_answers_from,
)
from api.dash.questions import QUESTIONS_BY_CODE, Answer
from api.dash.scoring import score

CANARY = "CANARY-7f3a-what-happening"
REFERENCE = "QD-2026-0042"
ASSESSOR = "Zoë O’Brien"
COMMENT = "Hit with a <b>bottle</b> & threatened <script>alert(1)</script>"


def pack(**changes: object) -> MaracPackData:
    answers = {
        "injury": Answer("yes", COMMENT),
        "frightened": Answer("yes", "Very frightened of “him”"),
        "strangulation": Answer("yes"),
        "weapons": Answer("no", "unrelated comment on a no answer"),
        "financial": Answer("not_known"),
    }
    yes = yes_answers_from(answers)
    data = MaracPackData(
        reference=REFERENCE,
        assessed_on=dt.date(2026, 3, 9),
        organisation="Stonewater",
        risk_level="high",
        yes_count=score(answers).yes_count,
        criteria=("professional_judgement", "repeat"),
        yes_answers=yes,
        children_in_household="yes",
        consent_to_share="no",
        sharing_without_consent_reason="High risk of serious harm; MARAC threshold met",
        safe_contact_method="Mobile, text first, do not leave voicemail",
        safe_times="Weekdays 10:00-12:00",
        interpreter_needs="Polish interpreter (female)",
        assessor_name=ASSESSOR,
        assessor_role="Tenancy Sustainment Officer",
    )
    return dataclasses.replace(data, **changes)


# ---- what the pack can carry ---------------------------------------------------------------


def test_the_pack_data_has_no_field_for_disclosure_notes_or_other_reporters() -> None:
    names = {f.name for f in dataclasses.fields(MaracPackData)}
    for forbidden in ("what_happening", "disclosure", "notes", "reporter", "reporter_name"):
        assert forbidden not in names
    for forbidden in ("what_happening", "notes", "reporter_name"):
        with pytest.raises(TypeError):
            dataclasses.replace(pack(), **{forbidden: CANARY})
    with pytest.raises(TypeError):
        MaracPackData(notes=[CANARY])  # type: ignore[call-arg]


def test_a_disclosure_offered_alongside_the_pack_never_reaches_it() -> None:
    """A case record holding a disclosure and notes: only the pack's own fields get through."""
    case_record = {
        "reference": REFERENCE,
        "what_happening": CANARY,
        "notes": [CANARY, CANARY],
        "reporter_name": CANARY,
    }
    fields = {f.name for f in dataclasses.fields(MaracPackData)}
    data = pack(**{k: v for k, v in case_record.items() if k in fields})
    html = render_html(data)
    assert CANARY not in html
    assert CANARY.encode() not in _pdf_plain(render_pdf(data))
    # the comment on a "no" answer is not part of the pack either
    assert "unrelated comment on a no answer" not in html


def test_yes_count_must_match_the_yes_answers() -> None:
    with pytest.raises(ValueError, match="yes_count"):
        pack(yes_count=14)


def test_criteria_must_be_known_and_consistent_with_the_risk_level() -> None:
    with pytest.raises(ValueError, match="criterion"):
        pack(criteria=("gut_feeling",))
    with pytest.raises(ValueError, match="risk_level high"):
        pack(risk_level="medium")
    assert pack(risk_level="medium", criteria=("repeat",)).risk_level == "medium"


def test_sharing_without_consent_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        pack(sharing_without_consent_reason="  ")
    with pytest.raises(ValueError, match="consent is yes"):
        pack(consent_to_share="yes")
    assert pack(consent_to_share="yes", sharing_without_consent_reason="").consent_to_share == "yes"


def test_unknown_yes_answer_code_is_refused_without_the_comment() -> None:
    with pytest.raises(ValueError) as raised:
        YesAnswer("made_up", CANARY)
    assert "made_up" in str(raised.value)
    assert CANARY not in str(raised.value)


# ---- HTML ------------------------------------------------------------------------------------


def test_html_holds_what_a_referral_needs() -> None:
    html = render_html(pack())
    for text in (
        REFERENCE,
        "9 March 2026",
        "Stonewater",
        "High",
        "3 of 24 questions answered yes",
        "Professional judgement",
        "Repeat: a new incident within 12 months of a previous MARAC",
        "Children in the household",
        "High risk of serious harm; MARAC threshold met",
        "Mobile, text first, do not leave voicemail",
        "Weekdays 10:00-12:00",
        "Polish interpreter (female)",
        "Zoë O’Brien",
        "Tenancy Sustainment Officer",
        "Very frightened of “him”",
    ):
        assert text in html, text
    for code in ("injury", "frightened", "strangulation"):
        assert QUESTIONS_BY_CODE[code].text in html
    assert QUESTIONS_BY_CODE["weapons"].text not in html  # answered no
    assert QUESTIONS_BY_CODE["financial"].text not in html  # not known


def test_html_escapes_comments() -> None:
    html = render_html(pack())
    assert "<script>" not in html
    assert "<b>bottle</b>" not in html
    assert "&lt;b&gt;bottle&lt;/b&gt; &amp; threatened &lt;script&gt;" in html


def test_html_is_marked_at_top_and_bottom_and_has_no_inline_style_or_script() -> None:
    html = render_html(pack(), stylesheet_urls=("/staff/staff.css", "/staff/marac_pack.css"))
    assert html.count(MARKING) == 2
    assert html.index(MARKING) < html.index("<h1")
    assert html.rindex(MARKING) > html.rindex("</table>")
    assert HANDLING.split(".")[0] in html
    assert "style=" not in html.lower()
    assert "<style" not in html.lower()
    assert "<script" not in html.lower()
    assert '<link rel="stylesheet" href="/staff/staff.css">' in html
    assert '<link rel="stylesheet" href="/staff/marac_pack.css">' in html
    assert f"<title>MARAC referral {REFERENCE}</title>" in html


def test_html_headings_and_tables_are_accessible() -> None:
    parser = _Outline()
    parser.feed(render_html(pack()))
    assert parser.headings[0] == ("h1", f"MARAC referral: {REFERENCE}")
    assert [h for level, h in parser.headings if level == "h2"] == [
        "Summary",
        "MARAC criteria met",
        "Questions answered “yes”",
        "The person at risk: safety and consent",
        "Assessor",
    ]
    assert parser.tables == parser.captions == 4
    assert parser.th_without_scope == 0


def test_stylesheet_urls_must_be_same_origin_paths() -> None:
    for url in ("https://cdn.example.com/x.css", "//evil.example/x.css", "javascript:alert(1)"):
        with pytest.raises(ValueError, match="same-origin"):
            render_html(pack(), stylesheet_urls=(url,))
    assert '<link rel="stylesheet" href="/p.css">' in render_html(pack(), stylesheet_urls="/p.css")


def test_pack_stylesheet_is_shipped_with_print_rules() -> None:
    css = PACK_STYLESHEET.read_text(encoding="utf-8")
    assert "@media print" in css
    assert ".marking" in css


def test_empty_pack_sections_say_so() -> None:
    data = pack(
        yes_answers=(),
        yes_count=0,
        criteria=(),
        risk_level="standard",
        interpreter_needs="",
        consent_to_share="not_known",
        sharing_without_consent_reason="",
    )
    html = render_html(data)
    assert "No question was answered &ldquo;yes&rdquo;." in html
    assert "No criterion recorded." in html
    assert "None recorded" in html
    assert "Not known" in html


# ---- PDF -------------------------------------------------------------------------------------


def test_pdf_carries_the_same_content() -> None:
    raw = render_pdf(pack())
    assert raw.startswith(b"%PDF-")
    text = _pdf_plain(raw)
    for needle in (
        REFERENCE,
        MARKING,
        "9 March 2026",
        "3 of 24 questions answered yes",
        "Has the current incident resulted in injury?",
        "Polish interpreter",
        "Weekdays 10:00-12:00",
        "Tenancy Sustainment Officer",
    ):
        assert needle.encode("cp1252") in text, needle
    # "é"/"ë" and the curly apostrophe are encoded for the core font (cp1252), not dropped
    assert "Zoë O’Brien".encode("cp1252") in text
    assert text.count(MARKING.encode()) >= 2  # top and bottom of the page


def test_pdf_survives_characters_the_core_font_cannot_encode() -> None:
    data = pack(
        assessor_name="Renée Łukasz 王 \u200b",
        safe_times="Evenings → after 6pm 🙂",
    )
    text = _pdf_plain(render_pdf(data))
    assert "Renée Lukasz ?".encode("cp1252") in text
    assert b"Evenings -> after 6pm ?" in text
    assert pdf_text("café ’quoted’ – ok") == "café ’quoted’ – ok"


def test_a_long_pack_breaks_pages_and_marks_every_page() -> None:
    answers = {code: Answer("yes", "Detail. " * 240) for code in QUESTIONS_BY_CODE}
    data = pack(yes_answers=yes_answers_from(answers), yes_count=24)
    raw = render_pdf(data)
    pages = len(re.findall(rb"/Type\s*/Page\b", raw))
    assert pages > 3
    assert _pdf_plain(raw).count(MARKING.encode()) == 2 * pages
    assert f"page {pages} of ".encode() in _pdf_plain(raw)


@pytest.mark.parametrize("text", ["W" * 2000, "line\n" * 400, "W" * 400, "a\n" * 10 + "W" * 378])
def test_the_longest_allowed_text_never_breaks_the_pdf(text: str) -> None:
    answers = {code: Answer("yes", text) for code in QUESTIONS_BY_CODE}
    data = pack(
        yes_answers=yes_answers_from(answers),
        yes_count=24,
        sharing_without_consent_reason=text,
        safe_times=text[:500],
        interpreter_needs=text[:500],
    )
    assert render_pdf(data).startswith(b"%PDF-")


def test_pdf_metadata_is_the_reference_only() -> None:
    raw = render_pdf(pack())
    info = _pdf_info(raw)
    assert info["Title"] == REFERENCE
    assert "Author" not in info
    assert "Subject" not in info
    assert "Keywords" not in info
    everything = " ".join(info.values())
    for personal in ("Zo", "Brien", "Stonewater", "Polish", "bottle", "Tenancy"):
        assert personal not in everything
    assert b"<x:xmpmeta" not in raw


# ---- helpers ---------------------------------------------------------------------------------


def _pdf_plain(raw: bytes) -> bytes:
    """The PDF with every Flate stream inflated, so text drawn on the pages can be searched.
    Text operators write literal strings; unescape \\( \\) \\\\ so needles match."""
    out = [raw]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    joined = b"\n".join(out)
    return re.sub(rb"\\([()\\])", rb"\1", joined)


def _pdf_info(raw: bytes) -> dict[str, str]:
    trailer_info = re.findall(rb"/Info\s+(\d+)\s+0\s+R", raw)
    assert trailer_info, "no /Info dictionary"
    number = trailer_info[-1]
    body = re.search(rb"\n" + number + rb" 0 obj\s*<<(.*?)>>\s*endobj", raw, re.S)
    assert body
    info: dict[str, str] = {}
    for key, hexa, literal in re.findall(
        rb"/(\w+)\s*(?:<([0-9A-Fa-f]*)>|\(((?:\\.|[^\\)])*)\))", body.group(1)
    ):
        if hexa:
            data = bytes.fromhex(hexa.decode())
            info[key.decode()] = (
                data[2:].decode("utf-16-be") if data[:2] == b"\xfe\xff" else data.decode("latin-1")
            )
        else:
            info[key.decode()] = literal.decode("latin-1")
    return info


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self._heading: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3"):
            self._heading, self._text = tag, []
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and not dict(attrs).get("scope"):
            self.th_without_scope += 1

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, " ".join("".join(self._text).split())))
            self._heading = None
