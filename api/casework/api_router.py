"""The staff JSON API (`/api/v1`): the same operations as the staff pages, for other tools.

Signed-in staff session (cookie) required: 401 without; every change carries the session's CSRF
token in `X-CSRF-Token`. A case the user may not see is 404, an action their role may not take
is 403 (`access.py`). Every read and change of a case writes an audit event.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Response

from api.casework import (
    closure,
    dash_records,
    entries,
    follow_up,
    links,
    marac_referral,
    repairs,
    restriction,
    reviews,
    sharing,
    triage,
    workflow,
)
from api.casework.dependencies import ApiDesk
from api.casework.desk import Desk
from api.casework.schemas import (
    AssignIn,
    CaseOut,
    CloseIn,
    DashIn,
    Done,
    EntryIn,
    EntryOut,
    LinkIn,
    MaracReferralIn,
    MessageIn,
    QueueRowOut,
    RepairIn,
    RestrictIn,
    RevealIn,
    ReviewIn,
    SharingIn,
    StatusIn,
)
from api.dash.questions import Answer
from api.org.profile import OrgProfile, get_profile

router = APIRouter(prefix="/api/v1", tags=["staff API"])
Profile = Annotated[OrgProfile, Depends(get_profile)]
T = TypeVar("T")


def audited(desk: Desk, case_id: str, what: str, result: T) -> T:
    """A read of sealed case records through the API is audited like opening the case.

    Called after the service has checked access, so only reads that happened are recorded. (The
    case page reads the same records under the one `case.view` event of the page.)
    """
    desk.log(f"case.{what}.view", "case", case_id)
    desk.session.commit()
    return result


@router.get("/queue", response_model=list[QueueRowOut])
def get_queue(desk: ApiDesk) -> list[Any]:
    return triage.read_queue(desk)


@router.post("/alerts/{alert_id}/acknowledge", response_model=Done)
def acknowledge_alert(alert_id: str, desk: ApiDesk) -> Done:
    return Done(id=triage.acknowledge(desk, alert_id).id)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: str, desk: ApiDesk) -> dict[str, Any]:
    seen = workflow.view(desk, case_id)
    case = seen.case
    return {
        **{f: getattr(case, f) for f in CaseOut.model_fields if f not in ("report", "assigned_to")},
        "assigned_to": seen.assignee.email if seen.assignee else None,
        "report": seen.report,
    }


@router.post("/cases/{case_id}/take", response_model=Done)
def take_case(case_id: str, desk: ApiDesk) -> Done:
    return Done(id=workflow.take(desk, case_id).id)


@router.post("/cases/{case_id}/assign", response_model=Done)
def assign_case(case_id: str, body: AssignIn, desk: ApiDesk) -> Done:
    return Done(id=workflow.assign(desk, case_id, body.staff_id).id)


@router.post("/cases/{case_id}/status", response_model=Done)
def move_case(case_id: str, body: StatusIn, desk: ApiDesk) -> Done:
    return Done(id=workflow.move(desk, case_id, body.status).id)


@router.post("/cases/{case_id}/close", response_model=Done)
def close_case(case_id: str, body: CloseIn, desk: ApiDesk) -> Done:
    closed = closure.close(
        desk, case_id, body.reason, body.note, request_feedback=body.request_feedback
    )
    return Done(id=closed.id)


@router.post("/cases/{case_id}/contact-details")
def reveal_contact(case_id: str, body: RevealIn, desk: ApiDesk) -> dict[str, Any]:
    return workflow.reveal_contact(desk, case_id, body.reason, body.detail)


@router.get("/cases/{case_id}/entries", response_model=list[EntryOut])
def list_entries(case_id: str, desk: ApiDesk) -> list[Any]:
    return audited(desk, case_id, "entries", entries.listed(desk, case_id))


@router.post("/cases/{case_id}/entries", response_model=EntryOut, status_code=201)
def add_entry(case_id: str, body: EntryIn, desk: ApiDesk) -> Any:
    return entries.add(desk, case_id, **body.model_dump())


@router.post("/cases/{case_id}/dash", status_code=201)
def add_dash(case_id: str, body: DashIn, desk: ApiDesk, profile: Profile) -> dict[str, Any]:
    try:
        answers = {
            code: Answer(value, body.comments.get(code, ""))  # type: ignore[arg-type]
            for code, value in body.answers.items()
        }
    except ValueError as error:
        raise workflow.BadRequest(str(error)) from None
    result = dash_records.record(
        desk,
        case_id,
        answers=answers,
        professional_judgement=body.professional_judgement,
        incidents_last_12_months=body.incidents_last_12_months,
        banding=profile.dash,
    )
    return {
        "id": result.id,
        "yes_count": result.yes_count,
        "risk_level": result.risk_level,
        "marac_criteria": result.criteria,
    }


@router.get("/cases/{case_id}/dash")
def get_dash(case_id: str, desk: ApiDesk) -> dict[str, Any] | None:
    result = audited(desk, case_id, "dash", dash_records.latest(desk, case_id))
    return None if result is None else result.__dict__


@router.post("/cases/{case_id}/marac-referral", response_model=Done, status_code=201)
def refer_to_marac(case_id: str, desk: ApiDesk, body: MaracReferralIn | None = None) -> Done:
    fields = (body or MaracReferralIn()).model_dump()
    return Done(id=marac_referral.refer(desk, case_id, **fields).id)


@router.get("/cases/{case_id}/sharing")
def list_sharing(case_id: str, desk: ApiDesk) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "recipient": row.recipient,
            "lawful_basis": row.lawful_basis,
            "with_consent": row.with_consent,
            "created_at": row.created_at,
            "signed_off": row.signed_off_at is not None,
            **detail,
        }
        for row, detail in audited(desk, case_id, "sharing", sharing.listed(desk, case_id))
    ]


@router.post("/cases/{case_id}/sharing", response_model=Done, status_code=201)
def add_sharing(case_id: str, body: SharingIn, desk: ApiDesk) -> Done:
    return Done(id=sharing.record(desk, case_id, **body.model_dump()).id)


@router.post("/cases/{case_id}/sharing/{record_id}/sign-off", response_model=Done)
def sign_off_sharing(case_id: str, record_id: str, desk: ApiDesk) -> Done:
    return Done(id=sharing.sign_off(desk, case_id, record_id).id)


@router.get("/cases/{case_id}/repairs")
def list_repairs(case_id: str, desk: ApiDesk) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "work": work,
            "contractor_reference": row.contractor_reference,
            "ordered_at": row.ordered_at,
            "due_at": row.due_at,
            "completed_at": row.completed_at,
            "overdue": row.completed_at is None and row.due_at <= desk.now,
        }
        for row, work in audited(desk, case_id, "repairs", repairs.listed(desk, case_id))
    ]


@router.post("/cases/{case_id}/repairs", response_model=Done, status_code=201)
def order_repair(case_id: str, body: RepairIn, desk: ApiDesk) -> Done:
    return Done(id=repairs.order(desk, case_id, **body.model_dump()).id)


@router.post("/cases/{case_id}/repairs/{order_id}/complete", response_model=Done)
def complete_repair(case_id: str, order_id: str, desk: ApiDesk) -> Done:
    return Done(id=repairs.complete(desk, case_id, order_id).id)


@router.get("/cases/{case_id}/reviews")
def list_reviews(case_id: str, desk: ApiDesk) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "outcome": r.outcome,
            "reviewed_at": r.reviewed_at,
            "next_review_at": r.next_review_at,
            "notes": notes,
        }
        for r, notes in audited(desk, case_id, "reviews", reviews.listed(desk, case_id))
    ]


@router.post("/cases/{case_id}/reviews", response_model=Done, status_code=201)
def add_review(case_id: str, body: ReviewIn, desk: ApiDesk) -> Done:
    return Done(id=reviews.review(desk, case_id, **body.model_dump()).id)


@router.get("/cases/{case_id}/restriction")
def get_restriction(case_id: str, desk: ApiDesk) -> dict[str, Any]:
    """Who the case is restricted to (if it is), and to a manager who declared a conflict."""
    access = audited(desk, case_id, "restriction", restriction.read(desk, case_id))
    rule = access.restriction
    return {
        "restricted": rule is not None,
        "reason": rule.reason if rule else None,
        "restricted_by": rule.restricted_by if rule else None,
        "restricted_at": rule.restricted_at if rule else None,
        "named": [{"id": s.id, "email": s.email} for s in (rule.named if rule else [])],
        "conflict_declared_by": [{"id": s.id, "email": s.email} for s in access.conflicts],
    }


@router.post("/cases/{case_id}/restriction", response_model=Done)
def restrict_case(case_id: str, body: RestrictIn, desk: ApiDesk) -> Done:
    return Done(id=restriction.restrict(desk, case_id, body.reason, body.staff_ids).id)


@router.post("/cases/{case_id}/restriction/lift", response_model=Done)
def lift_restriction(case_id: str, desk: ApiDesk) -> Done:
    return Done(id=restriction.lift(desk, case_id).id)


@router.post("/cases/{case_id}/conflict", status_code=204)
def declare_conflict(case_id: str, desk: ApiDesk) -> Response:
    """The caller's own access to the case ends with this answer."""
    restriction.declare_conflict(desk, case_id)
    return Response(status_code=204)


@router.get("/cases/{case_id}/links")
def list_links(case_id: str, desk: ApiDesk) -> list[dict[str, Any]]:
    return [link.__dict__ for link in audited(desk, case_id, "links", links.linked(desk, case_id))]


@router.post("/cases/{case_id}/links", response_model=Done, status_code=201)
def add_link(case_id: str, body: LinkIn, desk: ApiDesk) -> Done:
    return Done(id=links.link(desk, case_id, body.reference).id)


@router.get("/cases/{case_id}/messages")
def list_messages(case_id: str, desk: ApiDesk) -> list[dict[str, Any]]:
    messages = audited(desk, case_id, "messages", follow_up.staff_view(desk, case_id))
    return [m.__dict__ for m in messages]


@router.post("/cases/{case_id}/messages", status_code=204)
def send_message(case_id: str, body: MessageIn, desk: ApiDesk) -> Response:
    follow_up.staff_reply(desk, case_id, body.text)
    return Response(status_code=204)
