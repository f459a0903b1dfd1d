"""The triage queue and its alerts: reading the queue and acknowledging an alert, both audited."""

from __future__ import annotations

from api.alerts.models import Alert
from api.alerts.service import acknowledge as mark_acknowledged
from api.casework.access import CaseNotFound, case_for, require_role
from api.casework.desk import Desk
from api.casework.queue import QueueRow, queue


def read_queue(desk: Desk) -> list[QueueRow]:
    """The user's queue (references, states, deadlines), its reading audited against the user.

    The page and the JSON API both read it here, so neither can list cases unrecorded.
    """
    rows = queue(desk)
    desk.log("queue.view", "staff", desk.user.id)
    desk.session.commit()
    return rows


def acknowledge(desk: Desk, alert_id: str) -> Alert:
    """From the API or the queue page: one event per request, even for an alert already
    acknowledged (the press is recorded; the first acknowledgement's time and person stay)."""
    require_role(desk.user, "caseworker", "manager")
    alert = desk.session.get(Alert, alert_id) if len(alert_id) <= 36 else None
    if alert is None:
        raise CaseNotFound()
    case_for(desk.session, desk.user, alert.case_id)  # 404 unless the case is visible
    desk.log("alert.acknowledge", "alert", alert.id)
    mark_acknowledged(desk.session, alert.id, desk.user.id, desk.now)
    desk.session.commit()  # mark_acknowledged commits only a first acknowledgement
    return alert
