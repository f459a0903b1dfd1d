"""Acknowledging an alert: only for someone who may see its case, and audited."""

from __future__ import annotations

from api.alerts.models import Alert
from api.alerts.service import acknowledge as mark_acknowledged
from api.casework.access import CaseNotFound, case_for, require_role
from api.casework.desk import Desk


def acknowledge(desk: Desk, alert_id: str) -> Alert:
    require_role(desk.user, "caseworker", "manager")
    alert = desk.session.get(Alert, alert_id) if len(alert_id) <= 36 else None
    if alert is None:
        raise CaseNotFound()
    case_for(desk.session, desk.user, alert.case_id)  # 404 unless the case is visible
    desk.log("alert.acknowledge", "alert", alert.id)
    mark_acknowledged(desk.session, alert.id, desk.user.id, desk.now)  # commits with the event
    return alert
