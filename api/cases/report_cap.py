"""The web chat's report cap: a script cannot page every manager with fake emergencies.

Past `QD_WEB_CHAT_REPORTS_PER_DAY_PER_ADDRESS` web reports from one address in a UTC day, a
report is still stored and the person gets the same answer as anyone (a real report is never
refused or lost), but it pages nobody: no alert, so no e-mail, no emergency page and no
escalation. It is marked for review instead, and the triage queue says so ("many reports from
one address today: check before acting").

The address is known only by the keyed hash the gateway made of it (`address_key`, from
`channels.web.limits.report_address_key`), which reaches here through Rasa's message metadata
and the action that files the report. It is counted in `web_report_counts`, one row per address
and day, with no link to any case; rows of earlier days are deleted when the next report is
counted and by the daily retention job (`forget_earlier_days`). Counting happens in the caller's
transaction, so a report that is not stored is not counted, and a retried report (same
idempotency key) is counted once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api.cases.models import WebReportCount

MANY_REPORTS_FROM_ADDRESS = "many_reports_from_address"


def count_report(session: Session, address_key: str, now: dt.datetime) -> int:
    """Add one to today's count for the address, in the caller's transaction; the new count.

    One UPDATE adds to an existing row (safe when two reports arrive at once on PostgreSQL: the
    second waits for the first's row lock); a first report of the day inserts it, and two first
    reports at once collide on the primary key, which the caller's retry turns into an UPDATE.
    """
    day = forget_earlier_days(session, now)
    this_address = (WebReportCount.address_hash == address_key, WebReportCount.day == day)
    added = session.execute(
        update(WebReportCount).where(*this_address).values(reports=WebReportCount.reports + 1)
    )
    if added.rowcount:
        return session.scalars(select(WebReportCount.reports).where(*this_address)).one()
    session.add(WebReportCount(address_hash=address_key, day=day, reports=1))
    return 1


def forget_earlier_days(session: Session, now: dt.datetime) -> dt.date:
    """Delete the counts of days before `now`'s UTC day (in the caller's transaction); that day."""
    day = now.astimezone(dt.UTC).date()
    session.execute(delete(WebReportCount).where(WebReportCount.day < day))
    return day


def review_reason(
    session: Session, address_key: str | None, now: dt.datetime, reports_per_day: int
) -> str | None:
    """Count a web report and say why it needs review (past the cap), or None to alert as usual.

    Reports without an address key (SMS, WhatsApp, Telegram) are not counted here.
    """
    if address_key is None:
        return None
    over = count_report(session, address_key, now) > reports_per_day
    return MANY_REPORTS_FROM_ADDRESS if over else None
