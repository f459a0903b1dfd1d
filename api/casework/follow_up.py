"""An anonymous reporter and their caseworker, through the follow-up code and the web chat.

The reporter's side needs only the code: it shows the case's status in plain words and the
messages, and takes a new message. A valid code is always accepted, whatever was tried from the
same address; only wrong codes meet the throttle, a backoff per address (`api.throttle`: the code
has ~79 bits, so this only limits noise). Staff reply from the case; nothing is ever sent to the
reporter by another channel, because an anonymous reporter gave none.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from api.audit.service import Auditor
from api.cases.models import Case
from api.cases.service import find_by_follow_up_code
from api.casework.access import case_for, case_to_work_on
from api.casework.desk import Desk
from api.casework.models import FollowUpMessage
from api.casework.workflow import BadRequest
from api.crypto.envelope import open_column, seal_value, unwrap
from api.crypto.hashing import keyed_hash
from api.crypto.keys import KeyRing
from api.crypto.models import DataKey

MAX_MESSAGE_CHARS = 2000
_TABLE = FollowUpMessage.__tablename__

STATUS_WORDS = {
    "new": "Your report has been received and is waiting for a caseworker.",
    "in_contact": "A caseworker is looking after your report.",
    "risk_assessed": "A caseworker is looking after your report.",
    "support_plan": "A caseworker is looking after your report and support is being arranged.",
    "under_review": "Your report is being reviewed by the team.",
    "closed": "Your report has been closed. You can still send a message here.",
}


@dataclass(frozen=True)
class Message:
    """`new`: a team message the reporter had not been shown before (messaging sends only those)."""

    from_reporter: bool
    created_at: dt.datetime
    text: str
    new: bool = False


@dataclass(frozen=True)
class ReporterView:
    reference: str
    status_text: str
    messages: list[Message]
    status: str


class WrongCode(Exception):
    """No case has this code (or it expired); the same answer whatever the reason."""


class TooManyTries(Exception):
    """Wrong codes from this address are in a backoff; `wait` is how long until one counts."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__()
        self.wait = wait


def reporter_view(
    session: Session,
    keyring: KeyRing,
    hash_key: bytes,
    *,
    code: str,
    address: str,
    now: dt.datetime,
) -> ReporterView:
    """The case's status and messages; every team message counts as seen from now on."""
    case = _case_for_code(session, hash_key, code, address, now)
    return _shown(session, keyring, hash_key, case, "follow_up.view", now)


def reporter_says(
    session: Session,
    keyring: KeyRing,
    hash_key: bytes,
    *,
    code: str,
    text: str,
    address: str,
    now: dt.datetime,
) -> ReporterView:
    if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"A message has 1 to {MAX_MESSAGE_CHARS} characters.")
    case = _case_for_code(session, hash_key, code, address, now)
    _add(session, keyring, case, text=text, from_reporter=True, author_id=None, now=now)
    return _shown(session, keyring, hash_key, case, "follow_up.message", now)


def _shown(
    session: Session, keyring: KeyRing, hash_key: bytes, case: Case, action: str, now: dt.datetime
) -> ReporterView:
    """What the reporter sees, committed with the request's one audit event.

    The reporter has no staff id (actor None); the event names the case only, so the log shows
    when someone holding the code read or wrote, which matters if the code fell into the wrong
    hands.
    """
    messages = _messages(session, keyring, case, seen_at=now)
    Auditor(hash_key=hash_key).record(
        session, actor_id=None, action=action, object_type="case", object_id=case.id, now=now
    )
    session.commit()
    return ReporterView(case.reference, STATUS_WORDS[case.status], messages, case.status)


def staff_reply(desk: Desk, case_id: str, text: str) -> None:
    case = case_to_work_on(desk.session, desk.user, case_id)
    if case.follow_up_hash is None:
        raise BadRequest("This reporter has no follow-up code: use the contact method they chose.")
    if not text.strip() or len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"A message has 1 to {MAX_MESSAGE_CHARS} characters.")
    post_to_reporter(desk, case, text)
    desk.log("follow_up.reply", "case", case.id)
    desk.session.commit()


def post_to_reporter(desk: Desk, case: Case, text: str) -> None:
    """A message from the team in the caller's transaction (closure's feedback request)."""
    _add(
        desk.session,
        desk.keyring,
        case,
        text=text,
        from_reporter=False,
        author_id=desk.user.id,
        now=desk.now,
    )


def staff_view(desk: Desk, case_id: str) -> list[Message]:
    case = case_for(desk.session, desk.user, case_id)
    return _messages(desk.session, desk.keyring, case)


def _case_for_code(
    session: Session, hash_key: bytes, code: str, address: str, now: dt.datetime
) -> Case:
    """The case a live code opens, looked up before any throttle: a valid code always works.

    A wrong or expired one is a counted failure for the address (WrongCode), or, during the
    address's backoff, TooManyTries and not counted.
    """
    case = find_by_follow_up_code(session, hash_key, code) if len(code) <= 40 else None
    if case is not None and (case.follow_up_expires_at is None or case.follow_up_expires_at > now):
        return case
    address_key = keyed_hash(hash_key, "follow-up-address", address)
    busy = throttle.crowded(session, throttle.CODE_CEILING, now)
    wait = throttle.wait_left(session, throttle.WRONG_CODES, address_key, now, crowded=busy)
    if wait > throttle.NO_WAIT:
        raise TooManyTries(wait)
    throttle.record_failure(session, {throttle.WRONG_CODES.scope: address_key}, now)
    session.commit()
    raise WrongCode()


def _add(
    session: Session,
    keyring: KeyRing,
    case: Case,
    *,
    text: str,
    from_reporter: bool,
    author_id: str | None,
    now: dt.datetime,
) -> None:
    key_row = session.get(DataKey, case.data_key_id)
    if key_row is None:
        raise LookupError("the case's data key no longer exists")
    message_id = str(uuid.uuid4())
    session.add(
        FollowUpMessage(
            id=message_id,
            case_id=case.id,
            from_reporter=from_reporter,
            author_id=author_id,
            created_at=now,
            sealed_text=seal_value(
                unwrap(keyring, key_row), _TABLE, "sealed_text", message_id, text
            ),
        )
    )


def _messages(
    session: Session, keyring: KeyRing, case: Case, *, seen_at: dt.datetime | None = None
) -> list[Message]:
    """The case's messages, oldest first; with `seen_at`, the team's new ones are marked seen
    (only those read here: one written meanwhile stays new)."""
    rows = session.scalars(
        select(FollowUpMessage)
        .where(FollowUpMessage.case_id == case.id)
        .order_by(FollowUpMessage.created_at)
    ).all()
    messages = [
        Message(
            r.from_reporter,
            r.created_at,
            open_column(
                session, keyring, case.data_key_id, _TABLE, "sealed_text", r.id, r.sealed_text
            ),
            new=not r.from_reporter and r.reporter_seen_at is None,
        )
        for r in rows
    ]
    if seen_at is not None:
        for row in rows:
            if not row.from_reporter and row.reporter_seen_at is None:
                row.reporter_seen_at = seen_at
    return messages
