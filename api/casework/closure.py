"""Closing a case: only with a recorded reason, and asking for feedback only where it is safe.

Feedback is never sent by the product to a survivor's phone or address: for an anonymous
reporter it is a message on their follow-up page (seen only with their code); for someone with a
safe contact method it becomes a recorded task for the caseworker, to do by that method at the
safe times; with no safe way, the request is recorded as an action not taken, with the reason.
"""

from __future__ import annotations

from api.cases.models import Case
from api.casework.access import case_to_work_on
from api.casework.desk import Desk
from api.casework.follow_up import post_to_reporter
from api.casework.models import CLOSURE_REASONS
from api.casework.records import write_entry
from api.casework.workflow import BadRequest
from contract.report import REACHABLE_METHODS

FEEDBACK_MESSAGE = (
    "Your case has now been closed. If you would like to tell us how we did, "
    "you can reply here. You do not have to."
)


def close(
    desk: Desk, case_id: str, reason: str, note: str, *, request_feedback: bool = False
) -> Case:
    """Close with a recorded reason (and the facts behind it, sealed as a note)."""
    case = case_to_work_on(desk.session, desk.user, case_id)
    if case.status == "closed":
        raise BadRequest("This case is already closed.")
    if reason not in CLOSURE_REASONS:
        raise BadRequest(f"Choose a closure reason: {', '.join(CLOSURE_REASONS)}.")
    write_entry(desk, case, "note", {"text": note, "closure": reason})
    if request_feedback:
        _ask_for_feedback(desk, case)
    case.status, case.closed_at, case.closure_reason = "closed", desk.now, reason
    desk.log("case.close", "case", case.id)
    desk.session.commit()
    return case


def _ask_for_feedback(desk: Desk, case: Case) -> None:
    if case.follow_up_hash is not None:
        post_to_reporter(desk, case, FEEDBACK_MESSAGE)
        write_entry(
            desk, case, "action_taken", {"text": "Feedback asked for on the follow-up page."}
        )
    elif case.contact_method in REACHABLE_METHODS:
        text = f"Ask for feedback by the safe method ({case.contact_method}) at the safe times."
        write_entry(desk, case, "action_taken", {"text": text})
    else:
        write_entry(
            desk,
            case,
            "action_not_taken",
            {"text": "Feedback not asked for.", "reason": "There is no safe way to contact them."},
        )
    desk.log("case.feedback_request", "case", case.id)
