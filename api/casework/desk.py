"""What every casework operation works with: the session, who, when, the keys, the audit trail.

One `Desk` per request. Each operation checks access, changes the case, writes its audit event
and commits, so a change and its audit event are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from api.cases.models import Case
from api.crypto.envelope import OpenDataKey, open_value, seal_value, unwrap
from api.crypto.keys import KeyRing
from api.crypto.models import DataKey
from api.staff.models import StaffUser


class AuditTrail(Protocol):
    """`api.audit.service.Auditor`: adds one chained event to the caller's transaction."""

    def record(
        self,
        session: Session,
        *,
        actor_id: str | None,
        action: str,
        object_type: str,
        object_id: str,
        now: dt.datetime,
    ) -> Any: ...


@dataclass(frozen=True)
class Desk:
    session: Session
    user: StaffUser
    now: dt.datetime
    keyring: KeyRing
    audit: AuditTrail

    def log(self, action: str, object_type: str, object_id: str) -> None:
        """Audit an action by the signed-in user (who, what, when; never content)."""
        self.audit.record(
            self.session,
            actor_id=self.user.id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            now=self.now,
        )

    def case_key(self, case: Case) -> OpenDataKey:
        """The case's own data key: everything recorded on the case is sealed with it."""
        row = self.session.get(DataKey, case.data_key_id)
        if row is None:
            raise LookupError("the case's data key no longer exists")
        return unwrap(self.keyring, row)

    def seal(self, case: Case, table: str, column: str, row_id: str, value: Any) -> bytes:
        return seal_value(self.case_key(case), table, column, row_id, value)

    def open(self, case: Case, table: str, column: str, row_id: str, sealed: bytes) -> Any:
        return open_value(self.case_key(case), table, column, row_id, sealed)
