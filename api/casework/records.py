"""Writing one sealed entry on a case: the single place a `CaseEntry` row is made.

Used by notes and contact attempts (`entries`), closure and its feedback request (`closure`), and
showing the contact details (`workflow`). Adds to the caller's transaction; does not commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from api.cases.models import Case
from api.casework.desk import Desk
from api.casework.models import CaseEntry

TABLE = CaseEntry.__tablename__


def write_entry(
    desk: Desk, case: Case, kind: str, body: dict[str, Any], *, outcome: str | None = None
) -> str:
    entry_id = str(uuid.uuid4())
    desk.session.add(
        CaseEntry(
            id=entry_id,
            case_id=case.id,
            author_id=desk.user.id,
            kind=kind,
            outcome=outcome,
            created_at=desk.now,
            sealed_body=desk.seal(case, TABLE, "sealed_body", entry_id, body),
        )
    )
    return entry_id
