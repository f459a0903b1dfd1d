"""The case page's forms: each turns its fields into one casework service call, and answers
with a 303 back to the case or the page again with an error summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.cases.models import Case
from api.casework import (
    closure,
    entries,
    follow_up,
    links,
    repairs,
    restriction,
    reviews,
    sharing,
    workflow,
)
from api.casework.dependencies import FormDesk
from api.casework.desk import Desk
from api.casework.pages.case_page import case_page_response
from api.casework.pages.rendering import (
    NOTE_KINDS,
    Posted,
    Problem,
    Profile,
    page_router,
    render,
    see_other,
)
from api.casework.schemas import (
    CloseIn,
    EntryIn,
    LinkIn,
    MessageIn,
    RepairIn,
    RestrictIn,
    RevealIn,
    ReviewIn,
    SharingIn,
)
from api.casework.workflow import BadRequest
from api.org.profile import OrgProfile
from api.staff.dependencies import SignedIn, checked_csrf

router = page_router()


def _refused(
    request: Request,
    desk: Desk,
    profile: OrgProfile,
    who: SignedIn,
    case_id: str,
    form: str,
    errors: list[tuple[str, str]],
    values: Mapping[str, str],
) -> Response:
    """The case page again (400) with the error summary and what was typed in the form."""
    problem = Problem(form, errors, {k: v for k, v in values.items() if k != "csrf_token"})
    return case_page_response(request, desk, profile, who, case_id, problem=problem)


#: What to say about a field that is missing or too long: (form, field) -> message.
FIELD_MESSAGES: dict[tuple[str, str], str] = {
    ("assign", "staff_id"): "Choose who should hold the case",
    ("status", "status"): "Choose the new status",
    ("reveal", "reason"): "Choose why you need the contact details",
    ("reveal", "detail"): "The detail must be 500 characters or fewer",
    ("contact", "method"): "Choose how you tried to make contact",
    ("contact", "outcome"): "Choose what happened",
    ("contact", "text"): "Describe what was said and done (up to 5,000 characters)",
    ("notes", "kind"): "Choose what you are recording",
    ("notes", "text"): "Describe what was said and done (up to 5,000 characters)",
    ("notes", "reason"): "The reason must be 2,000 characters or fewer",
    ("sharing", "recipient"): "Enter who received the information (up to 200 characters)",
    ("sharing", "what"): "Enter what was shared (up to 5,000 characters)",
    ("sharing", "lawful_basis"): "Choose the lawful basis for sharing",
    ("sharing", "with_consent"): "Say whether the person consented",
    ("sharing", "reason"): "The reason must be 2,000 characters or fewer",
    ("repair", "work"): "Enter the work needed (up to 5,000 characters)",
    ("repair", "contractor_reference"): "Enter the contractor's reference (up to 60 characters)",
    ("review", "outcome"): "Choose the outcome of the review",
    ("review", "notes"): "Enter the facts behind the review (up to 5,000 characters)",
    ("review", "next_review_at"): "Enter the next review date as a real date",
    ("link", "reference"): "Enter the reference of the other case, like QD-ABCD-1234",
    ("message", "text"): "Enter a message of up to 2,000 characters",
    ("close", "reason"): "Choose why the case is being closed",
    ("close", "note"): "Enter the facts behind closing the case (up to 5,000 characters)",
    ("restrict", "reason"): "Choose why the case is restricted",
    ("restrict", "staff_ids"): "Choose people from the list",
}


class _Missing(Exception):
    """Fields a form needs before the service can be asked, each with its message."""

    def __init__(self, form: str, names: Iterable[str]) -> None:
        super().__init__("missing fields")
        self.errors = [(name, FIELD_MESSAGES[(form, name)]) for name in names]


def _schema_errors(
    form: str, error: ValidationError, order: tuple[str, ...]
) -> list[tuple[str, str]]:
    """The API schema's objections, one per field, in the order of the form."""
    found: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else order[0]
        found.setdefault(name, FIELD_MESSAGES.get((form, name), "Check this answer"))
    return sorted(found.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)


def _fields(values: Mapping[str, str], names: Iterable[str]) -> dict[str, Any]:
    """The named fields; an empty one is left out, so the schema says it is missing."""
    return {name: values[name] for name in names if values.get(name, "").strip() != ""}


def _require(form: str, values: Mapping[str, str], names: Iterable[str]) -> None:
    missing = [name for name in names if not values.get(name, "").strip()]
    if missing:
        raise _Missing(form, missing)


@dataclass(frozen=True)
class CaseForm:
    """One posted case form: who, where, what was typed, and how to say what went wrong."""

    request: Request
    desk: Desk
    profile: OrgProfile
    who: SignedIn
    case_id: str
    values: Mapping[str, str]

    def run(
        self,
        form: str,
        order: tuple[str, ...],
        act: Callable[[], object],
        done: str,
        blame: Callable[[str], str] | None = None,
    ) -> Response:
        """Run the service call: 303 back to the case, or the form again with its errors."""
        try:
            act()
        except _Missing as missing:
            errors = missing.errors
        except ValidationError as error:
            errors = _schema_errors(form, error, order)
        except BadRequest as error:
            errors = [(blame(str(error.detail)) if blame else order[0], str(error.detail))]
        else:
            return see_other(f"/staff/cases/{self.case_id}?done={done}")
        return _refused(
            self.request, self.desk, self.profile, self.who, self.case_id, form, errors, self.values
        )


def case_form(
    request: Request,
    case_id: str,
    desk: FormDesk,
    profile: Profile,
    who: Annotated[SignedIn, Depends(checked_csrf)],
    values: Posted,
) -> CaseForm:
    """A case form whose CSRF token has been checked (FormDesk checks it first)."""
    return CaseForm(request, desk, profile, who, case_id, values)


Form = Annotated[CaseForm, Depends(case_form)]


@router.post("/cases/{case_id}/take")
def take_case(case_id: str, f: Form) -> Response:
    return f.run("take", ("take",), lambda: workflow.take(f.desk, case_id), "taken")


@router.post("/cases/{case_id}/assign")
def assign_case(case_id: str, f: Form) -> Response:
    def act() -> None:
        _require("assign", f.values, ("staff_id",))
        workflow.assign(f.desk, case_id, f.values["staff_id"])

    return f.run("assign", ("staff_id",), act, "assigned")


@router.post("/cases/{case_id}/status")
def move_case(case_id: str, f: Form) -> Response:
    def act() -> None:
        _require("status", f.values, ("status",))
        workflow.move(f.desk, case_id, f.values["status"])

    return f.run("status", ("status",), act, "status")


@router.post("/cases/{case_id}/contact-details", response_class=HTMLResponse)
def reveal_contact(case_id: str, f: Form) -> Response:
    """Shown in this answer only: never at an address a browser could load again."""
    shown: dict[str, Any] = {}

    def act() -> None:
        body = RevealIn(**_fields(f.values, ("reason", "detail")))
        shown["contact"] = workflow.reveal_contact(f.desk, case_id, body.reason, body.detail)
        shown["reason"] = body.reason

    refused = f.run("reveal", ("reason", "detail"), act, "")
    if not shown:
        return refused
    return render(
        f.request,
        "casework_contact.html",
        {
            "case": f.desk.session.get(Case, case_id),
            "contact": shown["contact"],
            "reason": shown["reason"],
            "org_name": f.profile.name,
        },
        who=f.who,
    )


@router.post("/cases/{case_id}/contact")
def record_contact(case_id: str, f: Form) -> Response:
    order = ("method", "outcome", "text")

    def act() -> None:
        _require("contact", f.values, order)
        body = EntryIn(kind="contact", **_fields(f.values, order))
        entries.add(f.desk, case_id, **body.model_dump())

    return f.run("contact", order, act, "contact")


@router.post("/cases/{case_id}/entries")
def add_entry(case_id: str, f: Form) -> Response:
    order = ("kind", "text", "reason")

    def act() -> None:
        kind = f.values.get("kind", "")
        if kind not in NOTE_KINDS:
            raise _Missing("notes", ("kind",))
        _require("notes", f.values, ("text",))
        names = order if kind == "action_not_taken" else ("kind", "text")
        body = EntryIn(**_fields(f.values, names))
        entries.add(f.desk, case_id, **body.model_dump())

    def blame(detail: str) -> str:
        return "reason" if "why" in detail.lower() else "text"

    return f.run("notes", order, act, "entry", blame)


@router.post("/cases/{case_id}/sharing")
def add_sharing(case_id: str, f: Form) -> Response:
    order = ("recipient", "what", "lawful_basis", "with_consent", "reason")

    def act() -> None:
        fields = _fields(f.values, order)
        if "with_consent" in fields:
            fields["with_consent"] = {"yes": True, "no": False}.get(fields["with_consent"], "?")
        body = SharingIn(**fields)
        sharing.record(f.desk, case_id, **body.model_dump())

    def blame(detail: str) -> str:
        lowered = detail.lower()
        if "reason" in lowered:
            return "reason"
        return "lawful_basis" if "consent" in lowered or "basis" in lowered else "recipient"

    return f.run("sharing", order, act, "sharing", blame)


@router.post("/cases/{case_id}/sharing/{record_id}/sign-off")
def sign_off_sharing(case_id: str, record_id: str, f: Form) -> Response:
    act = lambda: sharing.sign_off(f.desk, case_id, record_id)  # noqa: E731
    return f.run("signoff", ("signoff",), act, "signed_off")


@router.post("/cases/{case_id}/repairs")
def order_repair(case_id: str, f: Form) -> Response:
    order = ("work", "contractor_reference")

    def act() -> None:
        body = RepairIn(**_fields(f.values, order))
        repairs.order(f.desk, case_id, **body.model_dump())

    return f.run("repair", order, act, "repair")


@router.post("/cases/{case_id}/repairs/{order_id}/complete")
def complete_repair(case_id: str, order_id: str, f: Form) -> Response:
    act = lambda: repairs.complete(f.desk, case_id, order_id)  # noqa: E731
    return f.run("complete", ("complete",), act, "repair_done")


def _review_date(text: str, profile: OrgProfile) -> dt.datetime | None:
    """A date from the form (YYYY-MM-DD, as a date field sends it): 9am that day, local time."""
    if not text.strip():
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _Missing("review", ("next_review_at",)) from None
    return dt.datetime.combine(day, dt.time(9), profile.tz).astimezone(dt.UTC)


@router.post("/cases/{case_id}/reviews")
def add_review(case_id: str, f: Form) -> Response:
    order = ("outcome", "notes", "next_review_at")

    def act() -> None:
        when = _review_date(f.values.get("next_review_at", ""), f.profile)
        body = ReviewIn(**_fields(f.values, ("outcome", "notes")), next_review_at=when)
        reviews.review(f.desk, case_id, **body.model_dump())

    def blame(detail: str) -> str:
        return "next_review_at" if "review must" in detail else "outcome"

    return f.run("review", order, act, "review", blame)


@router.post("/cases/{case_id}/links")
def add_link(case_id: str, f: Form) -> Response:
    def act() -> None:
        body = LinkIn(**_fields(f.values, ("reference",)))
        links.link(f.desk, case_id, body.reference)

    return f.run("link", ("reference",), act, "linked")


@router.post("/cases/{case_id}/messages")
def send_message(case_id: str, f: Form) -> Response:
    def act() -> None:
        body = MessageIn(**_fields(f.values, ("text",)))
        follow_up.staff_reply(f.desk, case_id, body.text)

    return f.run("message", ("text",), act, "message")


@router.post("/cases/{case_id}/close")
def close_case(case_id: str, f: Form) -> Response:
    order = ("reason", "note")

    def act() -> None:
        wants_feedback = f.values.get("request_feedback") == "yes"
        body = CloseIn(**_fields(f.values, order), request_feedback=wants_feedback)
        closure.close(
            f.desk, case_id, body.reason, body.note, request_feedback=body.request_feedback
        )

    return f.run("close", order, act, "closed")


#: A checkbox per member of staff who may be named: `named-<staff id>` = "yes".
NAMED_FIELD = "named-"

CONFLICT_DECLARED = (
    "You can no longer see or work on this case, and it is no longer yours if you held it. The"
    " managers are told that a conflict of interest was declared on it, and nothing else."
)


@router.post("/cases/{case_id}/restriction")
def restrict_case(case_id: str, f: Form) -> Response:
    order = ("reason", "staff_ids")

    def act() -> None:
        _require("restrict", f.values, ("reason",))
        named = [
            name.removeprefix(NAMED_FIELD)
            for name, value in f.values.items()
            if name.startswith(NAMED_FIELD) and value == "yes"
        ]
        body = RestrictIn(reason=f.values["reason"], staff_ids=named)
        restriction.restrict(f.desk, case_id, body.reason, body.staff_ids)

    return f.run("restrict", order, act, "restricted", lambda _: "staff_ids")


@router.post("/cases/{case_id}/restriction/lift")
def lift_restriction(case_id: str, f: Form) -> Response:
    act = lambda: restriction.lift(f.desk, case_id)  # noqa: E731
    return f.run("lift", ("lift",), act, "unrestricted")


@router.post("/cases/{case_id}/conflict", response_class=HTMLResponse)
def declare_conflict(case_id: str, f: Form) -> Response:
    """Answered with a page, not the case: the user may no longer open it."""
    restriction.declare_conflict(f.desk, case_id)
    context = {"title": "Conflict of interest declared", "explain": CONFLICT_DECLARED}
    return render(f.request, "casework_problem.html", context, who=f.who)
