"""The staff casework pages (api/casework/pages.py) through the real application.

Each page for the right user and 404 for staff of another team; every form end to end with its
CSRF token (and 403 without); errors shown in an error summary with what was typed kept; the
DASH to a MARAC pack in HTML and PDF; and, on every page rendered here, no inline style or script,
a label for every field, headings in order and tables with captions and scoped headers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.alerts.models import Alert
from api.app import create_app
from api.audit.models import AuditEvent
from api.cases.models import Case
from api.casework import pages
from api.casework.models import RepairOrder
from api.crypto.keys import hash_key_from
from api.dash.questions import CODES, QUESTIONS, QUESTIONS_BY_CODE
from api.db import session_factory, utcnow
from api.settings import Settings
from api.staff.service import csrf_token
from tests.api.casework_world import CANARY, World, build_world

YES_14 = CODES[:14]


def app_with_pages(settings: Settings) -> FastAPI:
    """The real application, with the pages router if api/app.py does not include it yet."""
    app = create_app(settings)
    if not any(getattr(route, "path", "") == "/staff/queue" for route in app.routes):
        app.include_router(pages.router)
    return app


@pytest.fixture
def world(migrated: Settings) -> Iterator[World]:
    with TestClient(app_with_pages(migrated), base_url="https://testserver") as client:
        yield build_world(migrated, client)


RENDERED: list[tuple[str, str]] = []  # (what, html) of every page a test got, for the checks


def get(world: World, who: str | None, path: str) -> httpx.Response:
    response = world.request(who, "GET", path, follow_redirects=False)
    if response.headers.get("content-type", "").startswith("text/html"):
        RENDERED.append((f"GET {path} as {who}", response.text))
    return response


def post(
    world: World, who: str, path: str, data: dict[str, str] | None = None, *, csrf: bool = True
) -> httpx.Response:
    """Post a form as a browser does: fields url-encoded, the CSRF token as a hidden field."""
    fields = dict(data or {})
    if csrf:
        fields["csrf_token"] = csrf_token(hash_key_from(world.settings), world.tokens[who])
    response = world.request(who, "POST", path, data=fields, follow_redirects=False)
    if response.headers.get("content-type", "").startswith("text/html"):
        RENDERED.append((f"POST {path} as {who}", response.text))
    return response


def case_path(world: World, name: str, suffix: str = "") -> str:
    return f"/staff/cases/{world.case_id(name)}{suffix}"


def reference(world: World, name: str) -> str:
    return world.cases[name].reference


def audit_actions(world: World) -> list[str]:
    with session_factory(world.settings)() as db:
        return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def followed(world: World, who: str, response: httpx.Response) -> httpx.Response:
    """Post/Redirect/Get: a form answers 303 to a page, which is then loaded."""
    assert response.status_code == 303, response.text[:2000]
    return get(world, who, response.headers["location"])


def change(world: World, name: str, **values: object) -> None:
    with session_factory(world.settings)() as db:
        case = db.get(Case, world.case_id(name))
        assert case is not None
        for key, value in values.items():
            setattr(case, key, value)
        db.commit()


def text_of(html: str) -> str:
    """The page's text with tags removed and spaces collapsed, for reading sentences."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---- the queue -------------------------------------------------------------------------------


def test_pages_need_a_signed_in_member_of_staff(world: World) -> None:
    for path in (
        "/staff/queue",
        case_path(world, "ann_case"),
        case_path(world, "ann_case", "/dash"),
    ):
        response = get(world, None, path)
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"


def test_the_queue_shows_what_a_caseworker_needs_and_offers_triage_cases_to_take(
    world: World,
) -> None:
    response = get(world, "ann", "/staff/queue")
    assert response.status_code == 200
    html = response.text
    for name in ("ann_case", "anon_case", "triage_case"):
        assert f'href="{case_path(world, name)}"' in html
        assert reference(world, name) in html
    assert reference(world, "cat_case") not in html
    for heading in ("Reference", "Urgency", "Status", "Respond", "Alert", "Held by"):
        assert f'<th scope="col">{heading}</th>' in html
    for heading in ("First contact", "Risk", "Repairs", "Review"):
        assert f'<th scope="col">{heading}</th>' in html
    # only the unassigned triage case can be taken, from the table of new reports
    assert html.count("/take") == 1
    assert f'action="{case_path(world, "triage_case", "/take")}"' in html
    assert "ann@landlord.example" in html and "Nobody yet" in html
    assert "by " in html and "Not assessed" in html and "None overdue" in html


def test_the_queue_marks_late_cases_not_safe_to_talk_overdue_repairs_and_reviews_in_words(
    world: World,
) -> None:
    past = utcnow() - dt.timedelta(days=2)
    change(world, "ann_case", deadline_at=past, review_due_at=past)
    contact = {"method": "phone", "outcome": "not_safe_to_talk", "text": "Said not now."}
    assert post(world, "ann", case_path(world, "anon_case", "/contact"), contact).status_code == 303
    repair = {"work": "New locks", "contractor_reference": "SEC-1"}
    assert post(world, "ann", case_path(world, "ann_case", "/repairs"), repair).status_code == 303
    with session_factory(world.settings)() as db:
        order = db.scalars(select(RepairOrder)).one()
        order.due_at = past
        db.commit()
    html = get(world, "ann", "/staff/queue").text
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{reference(world, 'ann_case')}.*?</tr>", html, re.S)
    assert row is not None
    late_row = text_of(row.group(0))
    assert "Late : was due by" in late_row
    assert "1 overdue" in late_row and "Review due" in late_row
    assert "Last attempt: not safe to talk" in html
    assert "1 late" in text_of(html)


def test_acknowledging_an_alert_from_the_queue(world: World) -> None:
    html = get(world, "ann", "/staff/queue").text
    assert len(re.findall(r"/staff/queue/alerts/[0-9a-f-]+/acknowledge", html)) == 3
    with session_factory(world.settings)() as db:
        alert_id = db.scalars(
            select(Alert.id).where(Alert.case_id == world.case_id("ann_case"))
        ).one()
    path = f"/staff/queue/alerts/{alert_id}/acknowledge"
    # staff of another team cannot acknowledge an alert of a case they cannot see
    assert post(world, "cat", path).status_code == 404
    assert post(world, "ann", path, csrf=False).status_code == 403
    done = post(world, "ann", path)
    assert done.status_code == 303 and done.headers["location"] == "/staff/queue"
    assert len(re.findall(r"/acknowledge", get(world, "ann", "/staff/queue").text)) == 2


def test_the_admin_sees_an_empty_queue_and_no_case(world: World) -> None:
    assert "There are no new reports waiting." in get(world, "ada", "/staff/queue").text
    assert get(world, "ada", case_path(world, "triage_case")).status_code == 404


# ---- the case --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/dash"])
def test_case_pages_render_for_the_right_user_and_404_for_anyone_else(
    world: World, suffix: str
) -> None:
    path = case_path(world, "ann_case", suffix)
    assert get(world, "ann", path).status_code == 200
    assert get(world, "meg", path).status_code == 200  # manager of the team
    for outsider in ("cat", "sam", "bob", "ada"):
        refused = get(world, outsider, path)
        assert refused.status_code == 404, outsider
        assert "Page not found" in refused.text and CANARY not in refused.text
        assert refused.text == get(world, outsider, f"/staff/cases/{'0' * 36}{suffix}").text


def test_the_case_page_shows_the_report_and_its_viewing_is_audited(world: World) -> None:
    html = get(world, "ann", case_path(world, "ann_case")).text
    assert audit_actions(world)[-1] == "case.view"
    assert CANARY in html
    assert "07700 900111" not in html  # the contact details only on demand
    assert '<dl class="cw-summary">' in html
    assert reference(world, "ann_case") in html


def test_a_caseworker_takes_a_triage_case_from_the_queue(world: World) -> None:
    before = get(world, "bob", case_path(world, "triage_case")).text
    assert "Take this case" in before and 'id="contact"' not in before  # nothing to record yet
    page = followed(world, "bob", post(world, "bob", case_path(world, "triage_case", "/take")))
    assert "You have taken this case." in page.text
    assert "Held by bob@landlord.example" in page.text
    assert 'href="#contact"' in page.text  # the next step, right after the message
    assert get(world, "ann", case_path(world, "triage_case")).status_code == 404
    assert audit_actions(world)[-3:] == ["case.take", "alert.acknowledge", "case.view"]


def test_a_form_without_its_csrf_token_is_refused(world: World) -> None:
    for data in ({}, {"csrf_token": "not-the-token"}):
        refused = world.request("bob", "POST", case_path(world, "triage_case", "/take"), data=data)
        assert refused.status_code == 403
        assert "Form expired" in refused.text
        RENDERED.append(("403", refused.text))
    contact = {"method": "phone", "outcome": "spoke", "text": "x"}
    assert (
        post(world, "ann", case_path(world, "ann_case", "/contact"), contact, csrf=False)
    ).status_code == 403
    with session_factory(world.settings)() as db:
        triage = db.get(Case, world.case_id("triage_case"))
        assert triage is not None and triage.assigned_to is None


def test_recording_first_contact_moves_the_case_on_and_offers_the_dash(world: World) -> None:
    contact = {"method": "phone", "outcome": "spoke", "text": "Spoke at 10am, safe to talk."}
    page = followed(
        world, "ann", post(world, "ann", case_path(world, "ann_case", "/contact"), contact)
    )
    html = page.text
    assert "The contact attempt has been recorded." in html
    assert "Contact attempt: Spoke to them: safe to talk" in html
    assert "Spoke at 10am, safe to talk." in html
    assert f'href="{case_path(world, "ann_case", "/dash")}">Start the DASH risk assessment' in html
    assert "In contact" in html


def test_a_refused_form_shows_an_error_summary_and_keeps_what_was_typed(world: World) -> None:
    typed = {"method": "text", "text": "Texted at 9am <as agreed>."}
    response = post(world, "ann", case_path(world, "ann_case", "/contact"), typed)
    assert response.status_code == 400
    html = response.text
    assert "<title>Error: " in html
    assert 'class="cw-error-summary"' in html and "There is a problem" in html
    assert '<a href="#contact-outcome">Choose what happened</a>' in html
    assert 'id="contact-outcome"' in html and 'id="contact-outcome-error"' in html
    assert 'value="text" checked' in html
    assert "Texted at 9am &lt;as agreed&gt;.</textarea>" in html
    assert html.index("cw-error-summary") < html.index('id="contact"')


def test_the_note_form_reminds_to_record_facts_and_an_action_not_taken_needs_a_reason(
    world: World,
) -> None:
    html = get(world, "ann", case_path(world, "ann_case")).text
    reminder = "Record facts: what was said and done, when, by whom. No opinions."
    assert reminder in html
    assert re.search(r'id="notes-text-hint">' + re.escape(reminder), html)
    path = case_path(world, "ann_case", "/entries")
    refused = post(world, "ann", path, {"kind": "action_not_taken", "text": "No letter sent."})
    assert refused.status_code == 400
    assert '<a href="#notes-reason">Say why the action was not taken.</a>' in refused.text
    assert "No letter sent.</textarea>" in refused.text
    given = {"kind": "action_not_taken", "text": "No letter sent.", "reason": "Letters unsafe."}
    page = followed(world, "ann", post(world, "ann", path, given))
    assert "Action not taken" in page.text and "Why not: Letters unsafe." in page.text
    note = followed(world, "ann", post(world, "ann", path, {"kind": "note", "text": "Called."}))
    assert "Recorded on the case." in note.text
    empty = post(world, "ann", path, {"kind": "note", "text": "  "})
    assert empty.status_code == 400 and '<a href="#notes-text">' in empty.text


def test_safe_contact_details_are_shown_only_in_answer_to_a_reason(world: World) -> None:
    path = case_path(world, "ann_case", "/contact-details")
    refused = post(world, "ann", path, {"detail": "to call"})
    assert refused.status_code == 400 and '<a href="#reveal-reason">' in refused.text
    assert "07700 900111" not in refused.text
    shown = post(world, "ann", path, {"reason": "arranging_contact", "detail": "first call"})
    assert shown.status_code == 200
    assert "07700 900111" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert audit_actions(world)[-1] == "case.contact_revealed"
    html = get(world, "ann", case_path(world, "ann_case")).text
    assert "07700 900111" not in html
    assert "Safe contact details shown" in html and "To arrange contact" in html
    # only from a POST: there is no address to load them again
    assert get(world, "ann", path).status_code in (404, 405)


def test_a_manager_assigns_reviews_and_signs_off_sharing_without_consent(world: World) -> None:
    meg_page = get(world, "meg", case_path(world, "ann_case")).text
    assert '<select id="assign-staff_id" name="staff_id"' in meg_page
    assert "cat@landlord.example" not in meg_page  # only the manager's own team
    assigned = post(
        world, "meg", case_path(world, "ann_case", "/assign"), {"staff_id": world.users["bob"].id}
    )
    assert "Held by bob@landlord.example" in followed(world, "meg", assigned).text
    assert post(world, "meg", case_path(world, "ann_case", "/assign"), {}).status_code == 400
    assert get(world, "ann", case_path(world, "ann_case")).status_code == 404

    sharing = {
        "recipient": "West Midlands Police",
        "what": "Address and risk level",
        "lawful_basis": "legal_duty",
        "with_consent": "no",
        "reason": "Police request under s.29",
    }
    page = followed(
        world, "bob", post(world, "bob", case_path(world, "ann_case", "/sharing"), sharing)
    )
    assert "Waiting for sign-off" in page.text and "Sign off" not in page.text
    record_id = re.search(
        r"/sharing/([0-9a-f-]+)/sign-off", get(world, "meg", case_path(world, "ann_case")).text
    )
    assert record_id is not None
    signoff = case_path(world, "ann_case", f"/sharing/{record_id.group(1)}/sign-off")
    assert post(world, "bob", signoff).status_code == 403
    assert (
        "Signed off by meg@landlord.example"
        in followed(world, "meg", post(world, "meg", signoff)).text
    )

    no_reason = dict(sharing, reason="")
    refused = post(world, "bob", case_path(world, "ann_case", "/sharing"), no_reason)
    assert refused.status_code == 400 and '<a href="#sharing-reason">' in refused.text

    review_path = case_path(world, "ann_case", "/reviews")
    next_review = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    review = {"outcome": "continue", "notes": "Plan working.", "next_review_at": next_review}
    assert (
        "The review has been recorded."
        in followed(world, "meg", post(world, "meg", review_path, review)).text
    )
    past = dict(review, next_review_at="2001-01-01")
    assert '<a href="#review-next_review_at">' in post(world, "meg", review_path, past).text
    assert (
        '<a href="#review-next_review_at">'
        in post(world, "meg", review_path, dict(review, next_review_at="soon")).text
    )
    assert "Review the case" not in get(world, "bob", case_path(world, "ann_case")).text
    refused_review = post(world, "bob", review_path, review)
    assert refused_review.status_code == 403 and "You cannot do this" in refused_review.text


def test_repairs_links_status_messages_and_closing(world: World) -> None:
    path = case_path(world, "ann_case")
    repair = {"work": "Door chain and new locks", "contractor_reference": "SEC-991"}
    html = followed(world, "ann", post(world, "ann", path + "/repairs", repair)).text
    assert "SEC-991" in html and "Door chain and new locks" in html and "Open" in html
    order_id = re.search(r"/repairs/([0-9a-f-]+)/complete", html)
    assert order_id is not None
    done = followed(
        world, "ann", post(world, "ann", f"{path}/repairs/{order_id.group(1)}/complete")
    )
    assert "Completed" in done.text
    assert post(world, "ann", path + "/repairs", {"work": "x"}).status_code == 400

    linked = post(world, "ann", path + "/links", {"reference": reference(world, "triage_case")})
    assert reference(world, "triage_case") in followed(world, "ann", linked).text
    assert post(world, "ann", path + "/links", {"reference": "QD-NONE-0000"}).status_code == 400

    moved = followed(world, "ann", post(world, "ann", path + "/status", {"status": "in_contact"}))
    assert "The case status has been changed." in moved.text
    assert post(world, "ann", path + "/status", {"status": "closed"}).status_code == 400

    anon = case_path(world, "anon_case")
    assert "Messages with the reporter" in get(world, "ann", anon).text
    assert "Messages with the reporter" not in get(world, "ann", path).text
    sent = followed(world, "ann", post(world, "ann", anon + "/messages", {"text": "We can help."}))
    assert "We can help." in sent.text
    assert post(world, "ann", path + "/messages", {"text": "Hello"}).status_code == 400

    refused = post(world, "ann", path + "/close", {"note": "She is safe."})
    assert refused.status_code == 400 and '<a href="#close-reason">' in refused.text
    closing = {"reason": "survivor_satisfied", "note": "She is safe now."}
    closed = followed(world, "ann", post(world, "ann", path + "/close", closing))
    assert (
        "The case has been closed." in closed.text and "Close the case</button>" not in closed.text
    )


# ---- DASH and the MARAC pack ----------------------------------------------------------------


def dash_form(codes: tuple[str, ...] = YES_14, **extra: str) -> dict[str, str]:
    form = {f"answer_{code}": "yes" for code in codes}
    form.update({f"answer_{code}": "no" for code in CODES if code not in codes})
    form.update(extra)
    return form


def test_the_dash_page_asks_24_questions_by_section_with_the_safety_guidance_first(
    world: World,
) -> None:
    html = get(world, "ann", case_path(world, "ann_case", "/dash")).text
    assert html.index("Before you ask") < html.index("1. Has the current incident")
    assert html.count('<fieldset class="cw-fieldset"') == 25  # 24 questions, judgement
    for question in QUESTIONS:
        for value in ("yes", "no", "not_known"):
            assert f'name="answer_{question.code}" value="{value}"' in html
        assert f'name="comment_{question.code}"' in html
    for title in ("Current situation", "Children and dependants", "Abuser(s)"):
        assert f"<h2>{title}</h2>" in html
    assert 'name="professional_judgement" value="yes"' in html
    assert 'name="incidents_last_12_months"' in html


def test_dash_with_14_yes_is_high_risk_meets_marac_and_gives_the_pack(world: World) -> None:
    comment = "Bruised arm <b>shown</b> & photographed"
    form = dash_form(comment_injury=comment, incidents_last_12_months="1")
    response = post(world, "ann", case_path(world, "ann_case", "/dash"), form)
    assert response.headers["location"] == case_path(world, "ann_case", "/dash/result")
    result = followed(world, "ann", response).text
    assert "High risk" in result and "14 of 24 questions answered yes" in result
    assert "Visible high risk: the Dash checklist score meets the high-risk threshold" in result
    assert "A MARAC referral is indicated." in result
    assert f'href="{case_path(world, "ann_case", "/marac-pack")}"' in result
    assert f'href="{case_path(world, "ann_case", "/marac-pack.pdf")}"' in result
    case_html = get(world, "ann", case_path(world, "ann_case")).text
    assert "Risk assessed" in case_html and "MARAC referral pack" in case_html

    pack = get(world, "ann", case_path(world, "ann_case", "/marac-pack"))
    assert pack.status_code == 200
    assert reference(world, "ann_case") in pack.text
    for code in YES_14:
        assert QUESTIONS_BY_CODE[code].text.replace("'", "&#39;") in pack.text
    for code in CODES[14:]:
        assert QUESTIONS_BY_CODE[code].text.replace("'", "&#39;") not in pack.text
    assert "&lt;b&gt;shown&lt;/b&gt; &amp; photographed" in pack.text
    assert CANARY not in pack.text  # never the disclosure itself
    assert '<link rel="stylesheet" href="/staff/marac-pack.css">' in pack.text
    assert audit_actions(world)[-1] == "marac.pack"
    css = get(world, "ann", "/staff/marac-pack.css")
    assert css.status_code == 200 and "@media print" in css.text

    pdf = get(world, "ann", case_path(world, "ann_case", "/marac-pack.pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.headers["content-disposition"]
        == f'attachment; filename="{reference(world, "ann_case")}.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"


def test_a_dash_the_scoring_refuses_is_shown_again_with_what_was_typed(world: World) -> None:
    path = case_path(world, "ann_case", "/dash")
    form = {
        "answer_frightened": "yes",
        "comment_injury": "A comment",
        "incidents_last_12_months": "two",
    }
    refused = post(world, "ann", path, form)
    assert refused.status_code == 400
    html = refused.text
    assert (
        '<a href="#answer_injury">Question 1 has a comment: choose Yes, No or Not known</a>' in html
    )
    assert '<a href="#incidents_last_12_months">' in html
    assert "A comment</textarea>" in html and 'value="two"' in html
    assert re.search(r'id="answer_frightened" name="answer_frightened" value="yes" checked', html)
    assert post(world, "ann", path, {"answer_nonsense": "yes"}).status_code == 400
    assert get(world, "ann", case_path(world, "ann_case", "/dash/result")).status_code == 404


def test_professional_judgement_makes_a_low_score_high_risk(world: World) -> None:
    form = dash_form(CODES[:2], professional_judgement="yes")
    result = followed(world, "ann", post(world, "ann", case_path(world, "ann_case", "/dash"), form))
    assert "High risk" in result.text and "Professional judgement:" in result.text


def test_the_pack_needs_an_assessment_and_a_reason_when_there_is_no_consent(world: World) -> None:
    pack = case_path(world, "ann_case", "/marac-pack")
    missing = get(world, "ann", pack)
    assert missing.status_code == 409 and "no DASH risk assessment" in missing.text
    post(world, "ann", case_path(world, "ann_case", "/dash"), dash_form())
    assert get(world, "cat", pack).status_code == 404
    assert get(world, "cat", pack + ".pdf").status_code == 404
    sharing = {
        "recipient": "MARAC coordinator",
        "what": "Referral pack",
        "lawful_basis": "marac",
        "with_consent": "no",
        "reason": "High risk; consent refused for fear of the abuser",
    }
    post(world, "ann", case_path(world, "ann_case", "/sharing"), sharing)
    html = get(world, "ann", pack).text
    assert "High risk; consent refused for fear of the abuser" in html


# ---- what every rendered page must be ------------------------------------------------------


class _PageCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []  # (tag/type, id)
        self.label_for: set[str] = set()
        self.headings: list[int] = []
        self.tables = self.captions = self.th_without_scope = 0
        self.fieldsets = self.legends = 0
        self.radios_outside_fieldset = 0
        self._fieldset_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "textarea", "select"):
            kind = a.get("type") or tag
            if kind not in ("hidden", "submit", "button"):
                self.fields.append((kind, a.get("id")))
            if kind in ("radio", "checkbox") and not self._fieldset_depth:
                self.radios_outside_fieldset += 1
        elif tag == "label" and a.get("for"):
            self.label_for.add(a["for"] or "")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and not a.get("scope"):
            self.th_without_scope += 1
        elif tag == "fieldset":
            self.fieldsets += 1
            self._fieldset_depth += 1
        elif tag == "legend":
            self.legends += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self._fieldset_depth -= 1


INLINE = re.compile(r"<script|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


def _every_page(world: World) -> list[tuple[str, str]]:
    """Visit every page and form outcome once, as the roles that see them."""
    RENDERED.clear()
    get(world, "ann", "/staff/queue")
    get(world, "meg", "/staff/queue")
    get(world, "bob", case_path(world, "triage_case"))
    get(world, "ann", case_path(world, "anon_case"))
    get(world, "cat", case_path(world, "ann_case"))
    get(world, "ann", case_path(world, "anon_case", "/marac-pack"))  # 409: no assessment yet
    post(world, "ann", case_path(world, "ann_case", "/take"), csrf=False)  # 403
    post(world, "meg", case_path(world, "ann_case", "/take"))  # already assigned: 400
    post(world, "meg", case_path(world, "ann_case", f"/sharing/{'0' * 36}/sign-off"))  # 400
    post(world, "ann", case_path(world, "ann_case", f"/repairs/{'0' * 36}/complete"))  # 400
    post(world, "ann", case_path(world, "ann_case", "/contact"), {"method": "phone"})
    post(world, "ann", case_path(world, "ann_case", "/contact-details"), {"reason": "safety_check"})
    post(world, "meg", case_path(world, "ann_case", "/reviews"), {})
    post(world, "ann", case_path(world, "ann_case", "/dash"), {"comment_injury": "x"})
    get(world, "ann", case_path(world, "ann_case", "/dash"))
    post(world, "ann", case_path(world, "ann_case", "/dash"), dash_form())
    get(world, "ann", case_path(world, "ann_case", "/dash/result"))
    post(
        world,
        "ann",
        case_path(world, "ann_case", "/repairs"),
        {"work": "Locks", "contractor_reference": "C1"},
    )
    post(world, "ann", case_path(world, "ann_case", "/sharing"), {
        "recipient": "Police", "what": "Risk", "lawful_basis": "safeguarding",
        "with_consent": "no", "reason": "Risk to life",
    })  # fmt: skip
    post(
        world,
        "meg",
        case_path(world, "ann_case", "/reviews"),
        {"outcome": "continue", "notes": "ok"},
    )
    post(world, "ann", case_path(world, "anon_case", "/messages"), {"text": "Hello"})
    get(world, "ann", case_path(world, "ann_case", "?done=contact"))
    get(world, "meg", case_path(world, "ann_case"))
    get(world, "ann", case_path(world, "ann_case", "/marac-pack"))
    restriction = case_path(world, "triage_case", "/restriction")
    post(world, "meg", restriction, {})  # 400: no reason
    post(
        world,
        "meg",
        restriction,
        {"reason": "colleague_case", f"named-{world.users['bob'].id}": "yes"},
    )
    get(world, "meg", case_path(world, "triage_case"))  # restricted: who is named, lift
    post(world, "bob", case_path(world, "triage_case", "/conflict"))  # the answer page
    return [(what, html) for what, html in RENDERED]


def test_no_page_has_inline_style_or_script(world: World) -> None:
    rendered = _every_page(world)
    assert len(rendered) >= 16
    for what, html in rendered:
        assert not INLINE.search(html), (what, INLINE.search(html))


def test_every_field_has_a_label_and_the_structure_is_accessible(world: World) -> None:
    for what, html in _every_page(world):
        page = _PageCheck()
        page.feed(html)
        unlabelled = [f for f in page.fields if not f[1] or f[1] not in page.label_for]
        assert not unlabelled, (what, unlabelled)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (what, {i for i in ids if ids.count(i) > 1})
        assert page.headings and page.headings[0] == 1 and page.headings.count(1) == 1, what
        jumps = [b for a, b in zip(page.headings, page.headings[1:], strict=False) if b > a + 1]
        assert not jumps, (what, page.headings)
        assert page.tables == page.captions and page.th_without_scope == 0, what
        assert page.fieldsets == page.legends and page.radios_outside_fieldset == 0, what
        if "marac-pack" not in what:
            assert 'class="skip-link" href="#main"' in html and '<main id="main"' in html, what
            assert html.count('lang="en-GB"') == 1
        for target in re.findall(r'<a href="#([^"]+)"', html):
            assert f'id="{target}"' in html, (what, target)


def _flat(routes: list) -> list:
    """Routes, with included routers opened (FastAPI keeps them as included-router entries)."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += _flat(inner.routes) if inner is not None else [route]
    return found


def _page_case_routes(world: World) -> list[tuple[str, str]]:
    found = []
    for route in _flat(world.app_client.app.routes):  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if path.startswith("/staff/cases/{case_id}"):
            for method in route.methods:  # type: ignore[attr-defined]
                found.append((method, path.removeprefix("/staff/cases/{case_id}")))
    return sorted(found)


@pytest.mark.parametrize("outsider", ["bob", "cat", "sam", "ada"])
def test_every_case_page_and_form_is_refused_to_staff_who_may_not_see_the_case(
    world: World, outsider: str
) -> None:
    routes = _page_case_routes(world)
    assert len(routes) >= 18
    before = len(audit_actions(world))
    for method, suffix in routes:
        filled = suffix.format(record_id="0" * 36, order_id="0" * 36)
        hidden = case_path(world, "ann_case", filled)
        missing = f"/staff/cases/{'0' * 36}{filled}"
        if method == "GET":
            answers = [get(world, outsider, hidden), get(world, outsider, missing)]
        else:
            answers = [post(world, outsider, hidden), post(world, outsider, missing)]
        assert answers[0].status_code in (403, 404), (outsider, method, suffix)
        assert (answers[0].status_code, answers[0].text) == (
            answers[1].status_code,
            answers[1].text,
        )
        assert CANARY not in answers[0].text
    assert len(audit_actions(world)) == before
