"""Checking the audit chain: `python -m api.audit verify`.

Walks the events in `seq` order, in batches, and recomputes each hash under QD_HASH_KEY. It finds:

- an edited event (any field, including its time or hash): its hash no longer matches;
- a deleted event: a gap in `seq` (or, if the later events were renumbered, a `prev_hash` or
  hash mismatch);
- a reordered, swapped or re-inserted event: `seq` is part of the hashed fields and each event
  names the hash of the one before, so it no longer fits where it stands;
- a chain written under another key: the first event's hash does not match.

What the chain alone cannot show: events deleted from the end. The shortened log is still a
valid chain. To catch that, keep the head printed by a previous run somewhere else (a ticket, an
e-mail, a write-once store) and pass it back as an anchor: `verify --anchor SEQ:HASH` then also
fails when event SEQ is gone or is no longer the event recorded. An anchor also catches a log
rewritten by someone holding the key.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent
from api.audit.service import GENESIS_HASH, event_hash

BATCH_SIZE = 1000


@dataclass(frozen=True)
class Anchor:
    """A head recorded by an earlier run: event `seq` had hash `hash`."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, value: str) -> Anchor:
        """`SEQ:HASH`, as the CLI prints the head."""
        seq, sep, digest = value.strip().partition(":")
        if not sep or not seq.isdigit() or int(seq) < 1 or len(digest) != 64:
            raise ValueError("an anchor is SEQ:HASH, e.g. 42:<64 hex characters>")
        return cls(int(seq), digest.lower())


@dataclass(frozen=True)
class VerifyResult:
    """`checked` counts the events found good (all of them when `ok`).

    When broken, `first_bad_seq` is the first event that is wrong or missing and `reason` says
    what is wrong with it, in words for an operator (ids and numbers only, never content).
    `head_seq`/`head_hash` are the last good event (0 and the genesis hash for an empty log).
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


def verify(
    session: Session,
    hash_key: bytes,
    *,
    anchor: Anchor | None = None,
    batch_size: int = BATCH_SIZE,
) -> VerifyResult:
    """Check the whole chain and stop at the first problem. Reads only; never writes."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0

    def broken(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, expected_seq - 1, prev_hash)

    after: int | None = None
    while True:
        try:
            rows = session.execute(_batch(select(*_COLUMNS), after, batch_size)).all()
        except (ValueError, TypeError):
            # A stored value the database layer cannot even parse (an `at` that is not a time).
            seq = _first_unreadable(session, after, batch_size)
            return broken(seq, "a stored value cannot be read (the event was edited)")
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                if event.seq < expected_seq:
                    return broken(event.seq, f"numbered before the first event ({expected_seq})")
                return broken(
                    expected_seq,
                    f"event is missing (deleted; the next event is {event.seq})",
                )
            if not _same(event.prev_hash, prev_hash):
                what = "the start of the chain" if expected_seq == 1 else "the event before it"
                return broken(
                    event.seq,
                    f"does not follow {what} (an event was removed, replaced or moved)",
                )
            digest = event_hash(
                hash_key,
                seq=event.seq,
                at=event.at,
                actor_id=event.actor_id,
                action=event.action,
                object_type=event.object_type,
                object_id=event.object_id,
                prev_hash=event.prev_hash,
            )
            if not _same(digest, event.hash):
                return broken(
                    event.seq,
                    "hash does not match the event (edited, or written under another key)",
                )
            if anchor and event.seq == anchor.seq and not _same(event.hash, anchor.hash):
                return broken(event.seq, "differs from the anchor (the log was rewritten)")
            checked += 1
            expected_seq += 1
            prev_hash = event.hash
        after = rows[-1].seq
    if anchor is not None and anchor.seq >= expected_seq:
        return broken(
            anchor.seq,
            f"anchored event is gone: the log ends at event {expected_seq - 1} "
            "(events were deleted from the end)",
        )
    return VerifyResult(True, checked, None, None, expected_seq - 1, prev_hash)


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def _batch(query: Select[Any], after: int | None, batch_size: int) -> Select[Any]:
    """Keyset paging: plain rows (not ORM objects), so memory stays flat however long the log."""
    query = query.order_by(AuditEvent.seq).limit(batch_size)
    return query if after is None else query.where(AuditEvent.seq > after)


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that also copes with an edited, non-ASCII value."""
    return hmac.compare_digest(a.encode(), b.encode())


def _first_unreadable(session: Session, after: int | None, batch_size: int) -> int:
    """Which event of the batch could not be loaded: load them one at a time."""
    seqs = list(session.scalars(_batch(select(AuditEvent.seq), after, batch_size)))
    for seq in seqs:
        try:
            session.execute(select(*_COLUMNS).where(AuditEvent.seq == seq)).one()
        except (ValueError, TypeError):
            return seq
    return seqs[0] if seqs else (after or 0) + 1
