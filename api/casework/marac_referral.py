"""Referring a case to MARAC: recorded as a disclosure on the MARAC basis, and remembered.

The date is what the "repeat" criterion reads at the next DASH (a new incident within 12 months
of a MARAC). Consent is preferred, not required (SafeLives): without it, the reason is recorded
and a manager signs off, as for any sharing without consent.
"""

from __future__ import annotations

from api.cases.service import open_report
from api.casework import dash_records, sharing
from api.casework.access import case_to_work_on
from api.casework.desk import Desk
from api.casework.models import SharingRecord
from api.casework.workflow import BadRequest


def refer(desk: Desk, case_id: str, *, recipient: str, reason: str = "") -> SharingRecord:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if dash_records.latest(desk, case_id) is None:
        raise BadRequest("Complete the DASH risk checklist before referring to MARAC.")
    consent = open_report(desk.session, desk.keyring, case).get("consent_to_share") == "yes"
    record = sharing.record(
        desk,
        case_id,
        recipient=recipient,
        what="MARAC referral pack",
        lawful_basis="marac",
        with_consent=consent,
        reason=reason,
    )
    case.marac_referred_at = desk.now
    desk.log("marac.refer", "case", case.id)
    desk.session.commit()
    return record
