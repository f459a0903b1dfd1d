"""Queueing, claiming and recording alert deliveries, and acknowledging alerts.

Delivery is at least once: a message is claimed with a short lease (so a second worker skips it),
sent, then marked delivered. A crash between sending and marking sends it again, which is the
safe failure for an alert about someone at risk.

Each outbox row has a `kind`: the new-report alert (stored as "email", the column's first value,
so rows queued before kinds existed still read right), an escalation to the managers when nobody
acknowledged in time, a second one at the deadline, and the emergency page. Only the kind and the
recipient are stored; the words are composed at send time (`api.alerts.email`).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.alerts.models import Alert, OutboxMessage
from api.cases.models import Case
from api.staff.models import StaffUser

log = logging.getLogger("quietdoor.alerts")

URGENCY_ORDER = {"emergency": 0, "priority": 1, "standard": 2}

KIND_ALERT = "email"
KIND_ESCALATION = "escalation"
KIND_DEADLINE_MISSED = "deadline_missed"
KIND_EMERGENCY = "emergency"


def queue_alert(session: Session, case: Case, recipients: list[str], now: dt.datetime) -> Alert:
    """Add the case's alert and one outbox message per recipient to the caller's transaction.

    An emergency also pages the managers at once, in the same transaction: that page is the
    alert's first escalation. A manager already among `recipients` is not paged twice.
    """
    alert = Alert(
        id=str(uuid.uuid4()),
        case_id=case.id,
        urgency=case.urgency,
        deadline_at=case.deadline_at,
        created_at=now,
    )
    session.add(alert)
    for recipient in recipients:
        queue_message(session, alert.id, KIND_ALERT, recipient, now)
    if case.urgency == "emergency":
        # No autoflush: the case must reach the database at the caller's commit, where a
        # duplicate idempotency key or reference is caught and retried, not at this lookup.
        with session.no_autoflush:
            managers = manager_addresses(session, case.team)
        told = {r.lower() for r in recipients if r}
        for manager in managers:
            if manager.lower() not in told:
                queue_message(session, alert.id, KIND_EMERGENCY, manager, now)
        alert.escalated_at = now
        if not managers:
            log.warning("emergency alert queued with no active manager to page")
    return alert


def queue_message(
    session: Session, alert_id: str, kind: str, recipient: str, now: dt.datetime
) -> OutboxMessage:
    """One outbox row, due now, in the caller's transaction."""
    message = OutboxMessage(
        id=str(uuid.uuid4()),
        alert_id=alert_id,
        kind=kind,
        recipient=recipient,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def manager_addresses(session: Session, team: str | None) -> list[str]:
    """Where escalations go: the active managers of the case's team, else every active manager.

    A case with no team yet (the triage queue), or whose team has no active manager, goes to all
    of them: an escalation nobody receives would be worse than one a manager passes on.
    """
    rows = session.execute(
        select(StaffUser.email, StaffUser.team)
        .where(StaffUser.role == "manager", StaffUser.active.is_(True))
        .order_by(StaffUser.email)
    ).all()
    if team is not None:
        own_team = [email for email, manager_team in rows if manager_team == team]
        if own_team:
            return own_team
    return [email for email, _ in rows]


@dataclass(frozen=True)
class DueMessage:
    """What the sender needs, and nothing more: no disclosure field is ever loaded here."""

    id: str
    recipient: str
    attempts: int
    reference: str
    urgency: str
    deadline_at: dt.datetime
    kind: str = KIND_ALERT


def claim_due(
    session: Session, now: dt.datetime, lease: dt.timedelta, limit: int = 20
) -> list[DueMessage]:
    """Claim undelivered messages whose time has come, most urgent first, for `lease`."""
    rows = session.execute(
        select(OutboxMessage, Case.reference, Alert.urgency, Alert.deadline_at)
        .join(Alert, OutboxMessage.alert_id == Alert.id)
        .join(Case, Alert.case_id == Case.id)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(_urgency_rank(Alert.urgency), OutboxMessage.next_attempt_at)
        .limit(limit)
    ).all()
    claimed = []
    for message, reference, urgency, deadline_at in rows:
        won = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease)
        ).rowcount
        if won:
            claimed.append(
                DueMessage(
                    message.id,
                    message.recipient,
                    message.attempts,
                    reference,
                    urgency,
                    deadline_at,
                    message.kind,
                )
            )
    session.commit()
    return claimed


def mark_delivered(session: Session, message_id: str, now: dt.datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(delivered_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
    )
    session.commit()


def mark_failed(
    session: Session, message_id: str, now: dt.datetime, error: str, retry_in: dt.timedelta
) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + retry_in,
            last_error=error[:200],
        )
    )
    session.commit()


def retry_delay(attempts_so_far: int, base_seconds: float, max_seconds: float) -> dt.timedelta:
    """Exponential backoff: base, 2x base, 4x base ... capped, and never given up."""
    return dt.timedelta(seconds=min(max_seconds, base_seconds * 2 ** min(attempts_so_far, 30)))


def acknowledge(session: Session, alert_id: str, staff_id: str, now: dt.datetime) -> bool:
    """Mark an alert acknowledged once; False when there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return False
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = staff_id
        session.commit()
    return True


def _urgency_rank(column: object) -> object:
    return sql_case(URGENCY_ORDER, value=column, else_=len(URGENCY_ORDER))
