"""The hash-chained audit log (SECURITY.md 10): written in the caller's transaction, and any
edited, deleted, reordered or foreign row is found by `verify` and `python -m api.audit verify`.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent
from api.audit.service import GENESIS_HASH, Auditor, event_hash
from api.audit.verify import Anchor, VerifyResult, verify
from api.crypto.keys import hash_key_from
from api.db import dispose_engines, get_engine, session_factory
from api.settings import REPO_ROOT, Settings

T0 = dt.datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=dt.UTC)
ACTIONS = ("case.view", "case.contact_revealed", "dash.create", "sharing.create", "case.view")


def write_chain(db: Session, settings: Settings, count: int = 5) -> list[AuditEvent]:
    """`count` events by two members of staff and the system, one transaction each."""
    auditor = Auditor.from_settings(settings)
    events = []
    for i in range(count):
        events.append(
            auditor.record(
                db,
                actor_id=[str(uuid.UUID(int=1)), None, str(uuid.UUID(int=2))][i % 3],
                action=ACTIONS[i % len(ACTIONS)],
                object_type="case",
                object_id=str(uuid.UUID(int=100 + i)),
                now=T0 + dt.timedelta(minutes=i),
            )
        )
        db.commit()
    return events


def check(
    db: Session, settings: Settings, *, anchor: Anchor | None = None, batch_size: int = 1000
) -> VerifyResult:
    db.rollback()  # a fresh snapshot after the raw SQL below
    return verify(db, hash_key_from(settings), anchor=anchor, batch_size=batch_size)


def tamper(db: Session, sql: str, **params: object) -> None:
    db.execute(text(sql), params)
    db.commit()


def test_a_chain_of_events_verifies(db: Session, migrated: Settings) -> None:
    events = write_chain(db, migrated)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = check(db, migrated)
    assert result.ok and result.checked == 5
    assert (result.head_seq, result.head_hash) == (5, events[-1].hash)


def test_an_empty_log_is_intact(db: Session, migrated: Settings) -> None:
    result = check(db, migrated)
    assert result.ok and result.checked == 0


def test_small_batches_walk_the_whole_chain(db: Session, migrated: Settings) -> None:
    write_chain(db, migrated, count=7)
    assert check(db, migrated, batch_size=2).checked == 7
    tamper(db, "UPDATE audit_events SET object_id = 'other' WHERE seq = 6")
    assert check(db, migrated, batch_size=2).first_bad_seq == 6


def test_the_hash_covers_the_time_in_utc_to_the_microsecond(
    db: Session, migrated: Settings
) -> None:
    london = T0.astimezone(ZoneInfo("Europe/London"))
    event = Auditor.from_settings(migrated).record(
        db, actor_id=None, action="case.view", object_type="case", object_id="c1", now=london
    )
    db.commit()
    db.expire_all()
    stored = db.get(AuditEvent, event.seq)
    assert stored is not None and stored.at == T0
    assert check(db, migrated).ok
    key = hash_key_from(migrated)
    hashes = {
        event_hash(
            key,
            seq=1,
            at=at,
            actor_id=None,
            action="a",
            object_type="t",
            object_id="o",
            prev_hash=GENESIS_HASH,
        )
        for at in (T0, T0 + dt.timedelta(microseconds=1), london)
    }
    assert len(hashes) == 2  # the same instant in London hashes alike; a microsecond does not


def test_fields_cannot_run_into_each_other() -> None:
    key = os.urandom(32)

    def digest(object_type: str, object_id: str) -> str:
        return event_hash(
            key,
            seq=1,
            at=T0,
            actor_id=None,
            action="case.view",
            object_type=object_type,
            object_id=object_id,
            prev_hash=GENESIS_HASH,
        )

    assert digest("case", "x") != digest("cas", "ex")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "case.close"),
        ("actor_id", str(uuid.UUID(int=9))),
        ("actor_id", None),
        ("object_type", "dash"),
        ("object_id", str(uuid.UUID(int=999))),
        ("at", "2026-11-23 09:31:00.123457"),
        ("hash", "f" * 64),
    ],
)
def test_an_edited_row_is_found_at_its_seq(
    db: Session, migrated: Settings, column: str, value: str | None
) -> None:
    write_chain(db, migrated)
    tamper(db, f"UPDATE audit_events SET {column} = :v WHERE seq = 3", v=value)  # noqa: S608
    result = check(db, migrated)
    assert not result.ok
    assert (result.first_bad_seq, result.checked) == (3, 2)


@pytest.mark.sqlite_only  # PostgreSQL's timestamp column refuses anything it cannot read
def test_an_unreadable_time_is_reported_not_crashed_on(db: Session, migrated: Settings) -> None:
    write_chain(db, migrated)
    tamper(db, "UPDATE audit_events SET at = 'yesterday' WHERE seq = 4")
    result = check(db, migrated)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "cannot be read" in result.reason


def test_a_row_rehashed_without_the_key_is_found(db: Session, migrated: Settings) -> None:
    events = write_chain(db, migrated)
    forged = event_hash(
        os.urandom(32),  # the forger's guess at the key
        seq=3,
        at=events[2].at,
        actor_id=None,
        action="case.view",
        object_type="case",
        object_id="someone-else",
        prev_hash=events[1].hash,
    )
    tamper(
        db,
        "UPDATE audit_events SET object_id = 'someone-else', hash = :h WHERE seq = 3",
        h=forged,
    )
    assert check(db, migrated).first_bad_seq == 3


@pytest.mark.parametrize("deleted", [1, 3])
def test_a_deleted_row_is_found(db: Session, migrated: Settings, deleted: int) -> None:
    write_chain(db, migrated)
    tamper(db, "DELETE FROM audit_events WHERE seq = :s", s=deleted)
    result = check(db, migrated)
    assert (result.ok, result.first_bad_seq) == (False, deleted)
    assert "missing" in result.reason


def test_a_deleted_row_is_found_even_if_the_rest_are_renumbered(
    db: Session, migrated: Settings
) -> None:
    write_chain(db, migrated)
    tamper(db, "DELETE FROM audit_events WHERE seq = 3")
    for seq in (4, 5):
        tamper(db, "UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    result = check(db, migrated)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_swapped_rows_are_found(db: Session, migrated: Settings) -> None:
    write_chain(db, migrated)
    tamper(db, "UPDATE audit_events SET seq = -1 WHERE seq = 2")
    tamper(db, "UPDATE audit_events SET seq = 2 WHERE seq = 4")
    tamper(db, "UPDATE audit_events SET seq = 4 WHERE seq = -1")
    result = check(db, migrated)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_a_row_reinserted_elsewhere_is_found(db: Session, migrated: Settings) -> None:
    """A copy of event 2 put in place of event 4 (say, to hide what 4 recorded)."""
    write_chain(db, migrated)
    tamper(db, "DELETE FROM audit_events WHERE seq = 4")
    tamper(
        db,
        "INSERT INTO audit_events (seq, at, actor_id, action, object_type, object_id, "
        "prev_hash, hash) SELECT 4, at, actor_id, action, object_type, object_id, prev_hash, "
        "'copy' || substr(hash, 5) FROM audit_events WHERE seq = 2",
    )
    assert check(db, migrated).first_bad_seq == 4


def test_a_chain_written_under_another_key_fails(db: Session, migrated: Settings) -> None:
    write_chain(db, migrated)
    result = verify(db, os.urandom(32))
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 1, 0)


def test_a_cut_tail_needs_an_anchor_to_be_found(db: Session, migrated: Settings) -> None:
    """The documented limit: the shortened chain is valid; a head kept elsewhere catches it."""
    events = write_chain(db, migrated)
    head = Anchor.parse(f"5:{events[-1].hash}")
    assert check(db, migrated, anchor=head).ok
    tamper(db, "DELETE FROM audit_events WHERE seq >= 4")
    assert check(db, migrated).ok
    result = check(db, migrated, anchor=head)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "ends at event 3" in result.reason
    with pytest.raises(ValueError, match="SEQ:HASH"):
        Anchor.parse("5:abc")


def test_events_join_the_callers_transaction(db: Session, migrated: Settings) -> None:
    auditor = Auditor.from_settings(migrated)
    kwargs = dict(actor_id=None, action="case.view", object_type="case", now=T0)
    first = auditor.record(db, object_id="a", **kwargs)  # type: ignore[arg-type]
    second = auditor.record(db, object_id="b", **kwargs)  # type: ignore[arg-type]
    assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
    db.rollback()
    assert db.scalars(select(AuditEvent)).all() == []
    assert auditor.record(db, object_id="c", **kwargs).seq == 1  # type: ignore[arg-type]
    db.commit()


def test_concurrent_writers_never_share_a_seq(migrated: Settings) -> None:
    auditor = Auditor.from_settings(migrated)
    factory = session_factory(migrated)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(10):
                with factory() as session:
                    session.scalars(select(AuditEvent.seq)).all()  # a read first, like a view
                    auditor.record(
                        session,
                        actor_id=str(uuid.UUID(int=worker)),
                        action="case.view",
                        object_type="case",
                        object_id=f"{worker}-{i}",
                        now=dt.datetime.now(dt.UTC),
                    )
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        result = verify(session, hash_key_from(migrated))
    assert result.ok and result.checked == 40


@pytest.mark.parametrize(
    "change",
    [
        {"actor_id": ""},
        {"action": ""},
        {"object_id": ""},
        {"object_id": "x" * 37},
        {"action": "a" * 41},
        {"now": dt.datetime(2026, 11, 23, 9, 30)},  # naive
    ],
)
def test_record_refuses_what_it_could_not_hash_faithfully(
    db: Session, migrated: Settings, change: dict[str, object]
) -> None:
    fields: dict[str, object] = dict(
        actor_id=None, action="case.view", object_type="case", object_id="c", now=T0
    )
    fields.update(change)
    with pytest.raises(ValueError):
        Auditor.from_settings(migrated).record(db, **fields)  # type: ignore[arg-type]


def test_audit_rows_hold_no_content(migrated: Settings) -> None:
    columns = {c["name"] for c in inspect(get_engine(migrated)).get_columns("audit_events")}
    assert columns == {
        "seq",
        "at",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "prev_hash",
        "hash",
    }
    assert "hash_key" not in repr(Auditor.from_settings(migrated))
    assert repr(hash_key_from(migrated)) not in repr(Auditor.from_settings(migrated))


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QD_")}
    env.update(
        QD_VAR_DIR=str(settings.var_dir),
        QD_DATABASE_URL=settings.resolved_database_url,
        QD_HASH_KEY=settings.hash_key.get_secret_value(),
        QD_MASTER_KEYS=settings.master_keys.get_secret_value(),
        PYTHONPATH=str(REPO_ROOT),
    )
    dispose_engines()
    return subprocess.run(
        [sys.executable, "-m", "api.audit", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_says_intact_or_where_it_is_broken(db: Session, migrated: Settings) -> None:
    events = write_chain(db, migrated)
    intact = run_cli(migrated, "verify")
    assert (intact.returncode, intact.stderr) == (0, "")
    assert intact.stdout.splitlines()[0] == "audit chain intact: 5 events"
    assert f"5:{events[-1].hash}" in intact.stdout

    tamper(db, "UPDATE audit_events SET action = 'case.edit' WHERE seq = 2")
    broken = run_cli(migrated, "verify")
    assert broken.returncode == 1
    assert broken.stdout.startswith("audit chain broken at event 2: ")

    anchored = run_cli(migrated, "verify", "--anchor", "not-an-anchor")
    assert anchored.returncode == 2 and "SEQ:HASH" in anchored.stderr


def test_cli_without_a_hash_key_says_so(migrated: Settings) -> None:
    no_key = migrated.model_copy(update={"hash_key": SecretStr("")})
    result = run_cli(no_key, "verify")
    assert result.returncode == 2 and "QD_HASH_KEY" in result.stderr
