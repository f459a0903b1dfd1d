"""The triage queue page and acknowledging an alert from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from api.casework import triage
from api.casework.dependencies import FormDesk, PageDesk
from api.casework.pages.rendering import Profile, page_router, render, see_other
from api.casework.queue import QueueRow, queue
from api.deadlines import deadline_text, moment_text
from api.org.profile import OrgProfile
from api.staff.dependencies import SignedIn, signed_in

router = page_router()

# ---- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueLine:
    row: QueueRow
    respond_by: str
    late: bool
    first_contact: str
    not_safe: bool


def _queue_line(row: QueueRow, profile: OrgProfile, now: dt.datetime) -> QueueLine:
    late = row.first_contact_at is None and row.deadline_at <= now
    respond_by = deadline_text(row.deadline_at, profile.tz, now=now)
    if row.first_contact_at is not None:
        first = moment_text(row.first_contact_at, profile.tz, now)
    else:
        first = "Not yet"
    return QueueLine(
        row=row,
        respond_by=respond_by,
        late=late,
        first_contact=first,
        not_safe=row.last_contact_outcome == "not_safe_to_talk",
    )


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    desk: PageDesk,
    profile: Profile,
    who: Annotated[SignedIn, Depends(signed_in)],
) -> Response:
    lines = [_queue_line(row, profile, desk.now) for row in triage.read_queue(desk)]
    waiting = [line for line in lines if line.row.assigned_to is None]
    held = [line for line in lines if line.row.assigned_to is not None]
    counts = {
        "open": len(lines),
        "late": sum(line.late for line in lines),
        "repairs": sum(line.row.overdue_repairs > 0 for line in lines),
        "reviews": sum(line.row.review_due for line in lines),
        "unacknowledged": sum(
            line.row.alert_id is not None and not line.row.acknowledged for line in lines
        ),
    }
    return render(
        request,
        "casework_queue.html",
        {
            "waiting": waiting,
            "held": held,
            "counts": counts,
            "org_name": profile.name,
            "may_take": desk.user.role in ("caseworker", "manager"),
            "held_caption": "Your team's open cases"
            if desk.user.role == "manager"
            else "Your open cases",
        },
        who=who,
    )


@router.post("/queue/alerts/{alert_id}/acknowledge")
def acknowledge_from_queue(alert_id: str, desk: FormDesk) -> Response:
    """Acknowledge the alert of a case in the user's own queue (audited, like every change)."""
    if not any(row.alert_id == alert_id for row in queue(desk)):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such alert.")
    triage.acknowledge(desk, alert_id)
    return see_other("/staff/queue")
