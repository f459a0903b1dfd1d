"""What every staff casework page shares: words for codes, templates, the form-problem
summary, plain 403/404 pages, and posted form fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.dash.marac import CRITERIA_LABELS
from api.dash.scoring import RISK_LABELS
from api.org.profile import OrgProfile, get_profile
from api.staff.dependencies import SignedIn

HERE = Path(__file__).parent.parent  # api/casework: its templates folder
STAFF_TEMPLATES = HERE.parent / "staff" / "templates"
PACK_STYLESHEET_URL = "/staff/marac-pack.css"

Profile = Annotated[OrgProfile, Depends(get_profile)]


# ---- words for codes -------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "new": "New",
        "in_contact": "In contact",
        "risk_assessed": "Risk assessed",
        "support_plan": "Support plan",
        "under_review": "Under review",
        "closed": "Closed",
    },
    "urgency": {"emergency": "Emergency", "priority": "Priority", "standard": "Standard"},
    "risk": dict(RISK_LABELS),
    "reveal_reason": {
        "arranging_contact": "To arrange contact",
        "safety_check": "For a safety check",
        "marac_referral": "For a MARAC referral",
        "repair_access": "To arrange access for a security repair",
    },
    "method": {
        "phone": "Phone call",
        "text": "Text message",
        "email": "Email",
        "in_person": "In person",
        "trusted_person": "Through a trusted person",
        "letter": "Letter",
        "none": "None: anonymous, follow-up code only",
    },
    "outcome": {
        "spoke": "Spoke to them: safe to talk",
        "not_safe_to_talk": "Not safe to talk",
        "no_answer": "No answer",
        "message_left": "Left a message",
        "wrong_person": "Someone else answered",
    },
    "kind": {
        "note": "Note",
        "action_taken": "Action taken",
        "action_not_taken": "Action not taken",
        "contact": "Contact attempt",
        "contact_revealed": "Safe contact details shown",
    },
    "basis": {
        "consent": "Consent",
        "safeguarding": "Safeguarding: protecting a person at risk",
        "marac": "MARAC referral",
        "legal_duty": "Legal duty, for example a police request",
    },
    "review_outcome": {
        "continue": "Continue the plan",
        "change_plan": "Change the plan",
        "escalate": "Escalate",
        "close": "Close the case",
    },
    "closure": {
        "survivor_satisfied": "The person is satisfied with the support",
        "moved_away": "The person has moved away",
        "declined_support": "The person declined support",
        "no_contact_possible": "Contact was not possible",
        "referred_on": "Referred to another service",
        "duplicate": "Duplicate of another case",
    },
    "reporter": {
        "self": "The person experiencing abuse",
        "neighbour": "A neighbour",
        "contractor": "A contractor",
        "agency": "A partner agency",
        "friend_family": "A friend or family member",
        "other": "Someone else",
    },
    "abuse": {
        "physical": "Physical",
        "sexual": "Sexual",
        "violent_threatening": "Violent or threatening behaviour",
        "coercive_control": "Controlling or coercive behaviour",
        "economic": "Economic",
        "psychological": "Psychological or emotional",
        "online": "Online",
        "other": "Other",
    },
    "tristate": {"yes": "Yes", "no": "No", "unknown": "Not known", "not_known": "Not known"},
    "channel": {"web": "Web chat", "sms": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram"},
    "role": {"caseworker": "Caseworker", "manager": "Head of DA Support", "admin": "Admin"},
    "interpreter": {
        "none": "No interpreter needed",
        "language": "Interpreter needed",
        "bsl": "British Sign Language interpreter needed",
        "unknown": "Not known",
    },
    "criterion": dict(CRITERIA_LABELS),
    "restriction": {
        "allegation_against_staff": "An allegation against a member of staff",
        "colleague_case": "A colleague's own case",
        "conflict_of_interest": "A conflict of interest was declared",
    },
}


def label(value: object, kind: str) -> str:
    """The words for a stored code; an unexpected code is shown readably, never hidden."""
    if value is None or value == "":
        return "Not recorded"
    text = str(value)
    return LABELS.get(kind, {}).get(text, text.replace("_", " ").capitalize())


def options(kind: str, codes: Iterable[str]) -> list[tuple[str, str]]:
    return [(code, label(code, kind)) for code in codes]


NOTE_REMINDER = "Record facts: what was said and done, when, by whom. No opinions."
NOTE_KINDS = ("note", "action_taken", "action_not_taken")

#: What a redirect back to the case says happened (only these codes; nothing personal in a URL).
DONE = {
    "taken": "You have taken this case.",
    "assigned": "The case has been assigned.",
    "status": "The case status has been changed.",
    "contact": "The contact attempt has been recorded.",
    "entry": "Recorded on the case.",
    "sharing": "The information sharing has been recorded.",
    "signed_off": "The disclosure has been signed off.",
    "repair": "The security repair has been ordered. It is due within 24 hours.",
    "repair_done": "The security repair has been marked complete.",
    "review": "The review has been recorded.",
    "linked": "The cases have been linked.",
    "message": "Your message has been sent to the reporter's follow-up page.",
    "closed": "The case has been closed.",
    "restricted": "Only the staff named can see this case now.",
    "unrestricted": "The restriction has been lifted.",
}


# ---- templates -------------------------------------------------------------------------------

templates = Jinja2Templates(directory=[HERE / "templates", STAFF_TEMPLATES])
templates.env.filters["label"] = label
templates.env.globals["NOTE_REMINDER"] = NOTE_REMINDER


@dataclass
class Problem:
    """A form the service (or its fields) refused: which form, what to fix, what was typed."""

    form: str
    errors: list[tuple[str, str]]  # (field name, message), in the order of the form
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> dict[str, str]:
        return dict(reversed(self.errors))  # the first message for a field wins


def field_id(form: str, name: str) -> str:
    """The id of a field (of the first radio of a group): what an error summary links to."""
    return name if form == "dash" else f"{form}-{name}"


templates.env.globals["field_id"] = field_id


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    who: SignedIn | None = None,
    code: int = 200,
) -> Response:
    context.setdefault("problem", None)
    if who is not None:
        context.setdefault("csrf", who.csrf)
        context.setdefault("me", who.user)
    return templates.TemplateResponse(request, name, context, status_code=code)


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


class PageRoute(APIRoute):
    """A 403 or 404 from a page (from the services or the CSRF check) becomes a plain page."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as error:
                if error.status_code not in (403, 404):
                    raise
                return problem_page(request, error.status_code, str(error.detail))

        return page_handler


def problem_page(request: Request, code: int, detail: str) -> Response:
    title = "Page not found" if code == 404 else "You cannot do this"
    explain = (
        "There is no such case, or it is not one you can open. A colleague may have taken it."
        if code == 404
        else detail
    )
    return templates.TemplateResponse(
        request,
        "casework_problem.html",
        {"title": title, "explain": explain, "problem": None},
        status_code=code,
    )


def page_router() -> APIRouter:
    """A router for staff pages: their 403 and 404 are plain pages, and they stay out of the
    OpenAPI spec (the JSON API under /api/v1 is the documented interface)."""
    return APIRouter(
        prefix="/staff", tags=["staff pages"], route_class=PageRoute, include_in_schema=False
    )


async def posted(request: Request) -> dict[str, str]:
    """The form's text fields (the body is parsed once; the CSRF check reads the same form)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(posted)]
