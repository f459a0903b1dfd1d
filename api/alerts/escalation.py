"""Escalation: telling the managers about an alert nobody acknowledged in time (SECURITY.md 15).

Two steps per alert, each at most once:

1. Not acknowledged `QD_ACKNOWLEDGE_WITHIN_MINUTES` after it arrived: an "escalation" message to
   the managers. An emergency is paged to them when the case is stored (`queue_alert`); if that
   page is missing (an alert queued before escalation existed), it is sent here at once.
2. Not acknowledged by its deadline: a "deadline_missed" message to the same managers. An
   emergency has the same one-working-day deadline as any report (what the person was told), but
   its page was already its first step, so its second is a reminder when the acknowledgement
   window ends: an "escalation" message ("not yet acknowledged"), not a deadline missed.

Each step is claimed with a conditional UPDATE (`... WHERE escalated_at IS NULL`) in the same
transaction as its outbox rows, so two workers, or the same pass run twice, queue it once, and
a crash queues it either fully or not at all. Managers of the case's team receive it, or every
active manager; with none, the `QD_ALERT_EMAILS` addresses do. Only the kind and recipient are
stored: the message is composed at send time from reference, urgency and deadline.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from api.alerts.models import Alert
from api.alerts.service import (
    KIND_DEADLINE_MISSED,
    KIND_EMERGENCY,
    KIND_ESCALATION,
    manager_addresses,
    queue_message,
)
from api.cases.models import Case
from api.settings import Settings

log = logging.getLogger("quietdoor.alerts")


@dataclass(frozen=True)
class EscalationResult:
    """What one pass did, in counts only."""

    #: Alerts escalated because nobody acknowledged them in time (or emergency pages caught up,
    #: or an emergency's reminder when the window ended).
    escalated: int = 0
    #: Alerts escalated again because their deadline passed.
    deadline_missed: int = 0
    #: Outbox rows queued.
    messages: int = 0
    #: Escalations sent to the QD_ALERT_EMAILS addresses because there is no active manager.
    fallback: int = 0
    #: Escalations due with nobody at all to send them to; left for a later pass.
    unrouted: int = 0


def acknowledge_within(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.acknowledge_within_minutes)


def escalation_due_at(urgency: str, created_at: dt.datetime, window: dt.timedelta) -> dt.datetime:
    """When an unacknowledged alert goes to the managers: an emergency at once."""
    return created_at if urgency == "emergency" else created_at + window


def deadline_due_at(
    urgency: str, created_at: dt.datetime, deadline_at: dt.datetime, window: dt.timedelta
) -> dt.datetime:
    """When the second step goes: at the deadline; an emergency's reminder after the window."""
    return created_at + window if urgency == "emergency" else deadline_at


def second_step(urgency: str) -> tuple[str, str]:
    """The kind of the second message and the result counter it adds to."""
    if urgency == "emergency":
        return KIND_ESCALATION, "escalated"
    return KIND_DEADLINE_MISSED, "deadline_missed"


def escalate_due(session: Session, now: dt.datetime, settings: Settings) -> EscalationResult:
    """Queue every escalation that is due at `now` and commit; safe to run from several workers."""
    window = acknowledge_within(settings)
    rows = session.execute(
        select(
            Alert.id,
            Alert.urgency,
            Alert.created_at,
            Alert.deadline_at,
            Alert.escalated_at,
            Alert.deadline_escalated_at,
            Case.team,
        )
        .join(Case, Alert.case_id == Case.id)
        .where(
            Alert.acknowledged_at.is_(None),
            Case.closed_at.is_(None),  # a closed case was dealt with: nothing to chase
            or_(Alert.escalated_at.is_(None), Alert.deadline_escalated_at.is_(None)),
        )
        .order_by(Alert.created_at)
    ).all()
    fallback_addresses = settings.alert_email_list
    addresses_by_team: dict[str | None, list[str]] = {}
    counts = {"escalated": 0, "deadline_missed": 0, "messages": 0, "fallback": 0, "unrouted": 0}

    for row in rows:
        steps = []
        if row.escalated_at is None and now >= escalation_due_at(
            row.urgency, row.created_at, window
        ):
            kind = KIND_EMERGENCY if row.urgency == "emergency" else KIND_ESCALATION
            steps.append((Alert.escalated_at, kind, "escalated"))
        if row.deadline_escalated_at is None and now >= deadline_due_at(
            row.urgency, row.created_at, row.deadline_at, window
        ):
            steps.append((Alert.deadline_escalated_at, *second_step(row.urgency)))
        if not steps:
            continue
        if row.team not in addresses_by_team:
            addresses_by_team[row.team] = manager_addresses(session, row.team)
        recipients = addresses_by_team[row.team]
        to_fallback = not recipients
        if to_fallback:
            recipients = fallback_addresses
        if not recipients:
            counts["unrouted"] += len(steps)
            continue
        for column, kind, counter in steps:
            won = session.execute(
                update(Alert)
                .where(Alert.id == row.id, column.is_(None), Alert.acknowledged_at.is_(None))
                .values({column: now})
                .execution_options(synchronize_session=False)
            ).rowcount
            if not won:  # another worker took it, or staff acknowledged it meanwhile
                continue
            for recipient in recipients:
                queue_message(session, row.id, kind, recipient, now)
            counts[counter] += 1
            counts["messages"] += len(recipients)
            counts["fallback"] += int(to_fallback)
    session.commit()
    if counts["fallback"]:
        log.warning(
            "no active manager: %d escalation(s) sent to the alert addresses instead",
            counts["fallback"],
        )
    return EscalationResult(**counts)
