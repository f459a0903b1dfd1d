"""Writing the hash-chained audit log (SECURITY.md 10).

Every read or change of a case adds one `AuditEvent` in the same transaction as the change, so
the two are stored together or not at all. An event says who (a staff id, or None for the
system), what (a verb such as "case.view"), and to which object (a type and an id), and when;
never what the object says. Each event's `hash` is an HMAC under QD_HASH_KEY of its own fields
and the previous event's hash, so `api.audit.verify` finds an edited, deleted or reordered row.

Concurrency: `seq` is the primary key, so two writers can never both store the same number.
`Auditor.record` takes a lock that makes the read of the chain's head and the insert atomic:
PostgreSQL a transaction-scoped advisory lock (held to commit or rollback; `SELECT max(seq) ...
FOR UPDATE` would lock nothing on an empty table), SQLite the database's single write lock
(taken at once by an empty UPDATE, instead of at the insert). On any other backend, or under
REPEATABLE READ / SERIALIZABLE isolation on PostgreSQL (where the snapshot predates the lock),
a lost race raises IntegrityError: the caller rolls back and retries its whole transaction.
The lock is held until the caller commits, so audited transactions should be short.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent
from api.crypto.hashing import keyed_hash
from api.crypto.keys import hash_key_from
from api.settings import Settings

AUDIT_PURPOSE: Final = "audit"
GENESIS_HASH: Final = "0" * 64

#: Any fixed 64-bit number: the key of the PostgreSQL advisory lock that orders the chain.
PG_CHAIN_LOCK: Final = 0x5144_4155_4449_5430  # "QDAUDIT0"

# The column sizes in api/audit/models.py; checked here so a value is never cut short by the
# database after it was hashed (PostgreSQL would refuse it, SQLite would store it whole).
_LIMITS: Final = {"actor_id": 36, "action": 40, "object_type": 24, "object_id": 36}


def canonical_at(at: dt.datetime) -> str:
    """The event time as hashed: ISO 8601 in UTC with microseconds, whatever the input zone."""
    if at.tzinfo is None:
        raise ValueError("naive datetimes are refused: pass an aware datetime")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
    hash_key: bytes,
    *,
    seq: int,
    at: dt.datetime,
    actor_id: str | None,
    action: str,
    object_type: str,
    object_id: str,
    prev_hash: str,
) -> str:
    """HMAC-SHA256 (purpose "audit") over a JSON array of the fields, in a fixed order.

    A JSON array quotes and escapes every string, so no two different events serialise alike
    (the fields cannot run into one another), and it needs no sorting to be stable.
    """
    message = json.dumps(
        [seq, canonical_at(at), actor_id or "", action, object_type, object_id, prev_hash],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return keyed_hash(hash_key, AUDIT_PURPOSE, message)


def lock_chain(session: Session) -> None:
    """Serialise writers of the chain until the caller's transaction ends.

    Also used by retention, so two replicas purging at once do not both delete (and audit) the
    same case. Calling it again in the same transaction is harmless.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_CHAIN_LOCK})
    elif dialect == "sqlite":
        # Python's sqlite3 opens the transaction at the first write, not at a read: an UPDATE
        # that changes nothing takes the write lock now (waiting busy_timeout for it), so the
        # head read next is the newest and nobody else can write until this transaction ends.
        session.execute(text("UPDATE audit_events SET seq = seq WHERE 1 = 0"))


def chain_head(session: Session) -> tuple[int, str]:
    """The last event's seq and hash, or (0, GENESIS_HASH) for an empty log."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (row.seq, row.hash)


@dataclass(frozen=True)
class Auditor:
    """Writes audit events chained under the hash key.

    An object rather than a bare function so the key is read and checked once (at start-up or
    per request, from settings) and callers (casework, retention) only ever pass the facts. The
    key never appears in a repr or a log line.
    """

    hash_key: bytes = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Auditor:
        """Raises `api.crypto.keys.KeyConfigError` when QD_HASH_KEY is missing or malformed."""
        return cls(hash_key=hash_key_from(settings))

    def record(
        self,
        session: Session,
        *,
        actor_id: str | None,
        action: str,
        object_type: str,
        object_id: str,
        now: dt.datetime,
    ) -> AuditEvent:
        """Add the next event to the caller's transaction and flush it; never commits.

        Call it inside the transaction that reads or changes the object, then commit both
        together. `actor_id` is a staff id, or None for the system (a worker, a CLI). `action`
        is a verb ("case.view", "case.contact_revealed", "dash.create", "sharing.create"),
        `object_type` and `object_id` name the object by id: never a reference, a name or any
        content. On IntegrityError (a lost race, see the module docstring) roll back and retry
        the whole transaction.
        """
        if now.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware datetime")
        _check(actor_id=actor_id, action=action, object_type=object_type, object_id=object_id)
        lock_chain(session)
        session.flush()  # events added earlier in this transaction count as the head too
        last_seq, prev_hash = chain_head(session)
        seq = last_seq + 1
        at = now.astimezone(dt.UTC)
        event = AuditEvent(
            seq=seq,
            at=at,
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            prev_hash=prev_hash,
            hash=event_hash(
                self.hash_key,
                seq=seq,
                at=at,
                actor_id=actor_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                prev_hash=prev_hash,
            ),
        )
        session.add(event)
        session.flush()
        return event


def _check(*, actor_id: str | None, **fields: str) -> None:
    """Refuse what the chain could not hash faithfully: empty names, values too long to store."""
    if actor_id is not None and not actor_id:
        raise ValueError("actor_id is a staff id, or None for the system; not an empty string")
    values: dict[str, str | None] = {"actor_id": actor_id, **fields}
    for name, value in values.items():
        if value is None:
            continue
        if name != "actor_id" and not value:
            raise ValueError(f"audit {name} must not be empty")
        if len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} is longer than {_LIMITS[name]} characters")
