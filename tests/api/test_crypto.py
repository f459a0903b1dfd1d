"""Envelope encryption: round trip, binding to table/column/row, rotation, key errors."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case, open_contact, open_report
from api.crypto.__main__ import main as crypto_main
from api.crypto.envelope import (
    DecryptionError,
    new_data_key,
    open_column,
    open_value,
    rotate,
    seal_value,
    unwrap,
)
from api.crypto.keys import (
    KeyConfigError,
    hash_key_from,
    key_problems,
    keyring_from,
    parse_hash_key,
    parse_master_keys,
)
from api.crypto.models import DataKey
from api.db import utcnow
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings
from api.staff.models import StaffUser
from api.staff.service import create_user
from channels.messaging import contacts


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def keys_for(settings: Settings) -> CaseKeys:
    return CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))


def store_case(db: Session, settings: Settings, **fields: object) -> Case:
    result = create_case(
        db,
        CaseIn(idempotency_key=os.urandom(8).hex(), channel="web", reporter_type="self", **fields),  # type: ignore[arg-type]
        keys=keys_for(settings),
        calendar=WorkingCalendar.from_profile(profile_for(settings)),
        alert_recipients=[],
        now=utcnow(),
    )
    return result.case


def test_seal_and_open_round_trip() -> None:
    keyring = parse_master_keys(f"a:{random_key()}")
    _, dek = new_data_key(keyring)
    sealed = seal_value(dek, "cases", "sealed_report", "row-1", {"text": "ünïcødé ✓"})
    assert b"row-1" not in sealed and "ünïcødé".encode() not in sealed
    assert open_value(dek, "cases", "sealed_report", "row-1", sealed) == {"text": "ünïcødé ✓"}


def test_each_seal_uses_a_fresh_nonce() -> None:
    _, dek = new_data_key(parse_master_keys(f"a:{random_key()}"))
    assert seal_value(dek, "t", "c", "r", "same") != seal_value(dek, "t", "c", "r", "same")


@pytest.mark.parametrize(
    ("table", "column", "row"),
    [
        ("cases", "sealed_report", "row-2"),
        ("cases", "sealed_contact", "row-1"),
        ("staff_users", "sealed_report", "row-1"),
    ],
)
def test_value_is_bound_to_its_table_column_and_row(table: str, column: str, row: str) -> None:
    _, dek = new_data_key(parse_master_keys(f"a:{random_key()}"))
    sealed = seal_value(dek, "cases", "sealed_report", "row-1", "secret")
    with pytest.raises(DecryptionError):
        open_value(dek, table, column, row, sealed)


def test_tampered_value_is_refused() -> None:
    _, dek = new_data_key(parse_master_keys(f"a:{random_key()}"))
    sealed = bytearray(seal_value(dek, "t", "c", "r", "secret"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionError):
        open_value(dek, "t", "c", "r", bytes(sealed))


def test_stored_case_decrypts(db: Session, migrated: Settings) -> None:
    case = store_case(
        db,
        migrated,
        what_happening="He took my phone",
        contact_method="phone",
        contact_detail="07700 900123",
        code_word="bluebell",
        abuse_kinds=["economic"],
    )
    db.expire_all()
    stored = db.get(Case, case.id)
    assert stored is not None
    keyring = keyring_from(migrated)
    assert open_report(db, keyring, stored)["what_happening"] == "He took my phone"
    assert open_report(db, keyring, stored)["abuse_kinds"] == ["economic"]
    contact = open_contact(db, keyring, stored)
    assert (contact["contact_detail"], contact["code_word"]) == ("07700 900123", "bluebell")


def test_ciphertext_moved_to_another_row_does_not_decrypt(db: Session, migrated: Settings) -> None:
    first = store_case(db, migrated, what_happening="first report")
    second = store_case(db, migrated, what_happening="second report")
    # Move the whole sealed value and its data key: only the row binding can catch it.
    second.sealed_report, second.data_key_id = first.sealed_report, first.data_key_id
    db.commit()
    with pytest.raises(DecryptionError):
        open_report(db, keyring_from(migrated), second)


def test_rotation_rewraps_every_key_and_the_old_key_stops_working(
    db: Session, migrated: Settings
) -> None:
    cases = [store_case(db, migrated, what_happening=f"report {n}") for n in range(3)]
    old_keyring = keyring_from(migrated)
    new_key = random_key()
    both = parse_master_keys(f"k2:{new_key},{migrated.master_keys.get_secret_value()}")

    assert rotate(db, both, batch_size=2) == 3
    assert rotate(db, both) == 0  # idempotent
    assert {k.master_key_id for k in db.query(DataKey)} == {"k2"}

    new_only = parse_master_keys(f"k2:{new_key}")
    for n, case in enumerate(cases):
        assert open_report(db, new_only, case)["what_happening"] == f"report {n}"
        with pytest.raises((DecryptionError, KeyConfigError)):
            open_report(db, old_keyring, case)


def test_rotation_command(migrated: Settings, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    store_case(db, migrated, what_happening="x")
    monkeypatch.setenv("QD_VAR_DIR", str(migrated.var_dir))
    monkeypatch.setenv(
        "QD_MASTER_KEYS", f"k9:{random_key()},{migrated.master_keys.get_secret_value()}"
    )
    assert crypto_main(["rotate"]) == 0
    db.expire_all()
    assert {k.master_key_id for k in db.query(DataKey)} == {"k9"}


def test_the_rotation_runbook_rewraps_every_data_key_and_all_opens_without_the_old_key(
    db: Session,
    migrated: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """README's steps, every kind of sealed record (case, staff TOTP, messaging address)."""
    old, new_key = migrated.master_keys.get_secret_value(), random_key()
    keys = keys_for(migrated)
    case = store_case(db, migrated, what_happening="before the rotation")
    user, totp = create_user(
        db, keys, email="lead@landlord.example", role="manager",
        password="tangerine oblique harbour quiver 76", now=utcnow(),
    )  # fmt: skip
    contacts.touch(
        db, keys.keyring, pseudonym="sms-1", channel="sms", address="+447700900123",
        reply_from=None, now=utcnow(),
    )  # fmt: skip
    db.commit()
    # 1. The new key first, the old one after it; 2. every replica restarted with them.
    both = migrated.model_copy(update={"master_keys": SecretStr(f"k2:{new_key},{old}")})
    restarted = store_case(db, both, what_happening="after the restart")
    # 3. make rotate-keys (what it runs, with the same environment).
    monkeypatch.setenv("QD_VAR_DIR", str(migrated.var_dir))
    monkeypatch.setenv("QD_MASTER_KEYS", f"k2:{new_key},{old}")
    assert crypto_main(["rotate"]) == 0
    assert "re-wrapped 3 data keys with master key 'k2'" in capsys.readouterr().out
    # A replica that missed the restart still wraps with the old key: a second run catches it.
    straggler = store_case(db, migrated, what_happening="from a replica not restarted")
    assert crypto_main(["rotate"]) == 0
    assert "re-wrapped 1 data keys" in capsys.readouterr().out
    assert crypto_main(["rotate"]) == 0
    assert "re-wrapped 0 data keys" in capsys.readouterr().out

    # 4. The old key removed: every data key and every sealed value still opens.
    new_only = parse_master_keys(f"k2:{new_key}")
    db.expire_all()
    data_keys = db.query(DataKey).all()
    assert len(data_keys) == 5 and {row.master_key_id for row in data_keys} == {"k2"}
    assert all(unwrap(new_only, row).id == row.id for row in data_keys)
    for stored, text in (
        (case, "before the rotation"),
        (restarted, "after the restart"),
        (straggler, "from a replica not restarted"),
    ):
        assert open_report(db, new_only, stored)["what_happening"] == text
    staff = db.get(StaffUser, user.id)
    assert staff is not None
    sealed_totp = (StaffUser.__tablename__, "sealed_totp", staff.id, staff.sealed_totp)
    assert open_column(db, new_only, staff.data_key_id, *sealed_totp) == totp
    contact = contacts.load(db, new_only, "sms-1")
    assert contact is not None and contact.address == "+447700900123"
    with pytest.raises(KeyConfigError, match="k2"):
        open_column(db, keyring_from(migrated), staff.data_key_id, *sealed_totp)


def test_old_wrapped_key_cannot_be_read_with_only_a_new_key(
    db: Session, migrated: Settings
) -> None:
    case = store_case(db, migrated, what_happening="x")
    with pytest.raises(KeyConfigError, match="k1"):
        open_report(db, parse_master_keys(f"k2:{random_key()}"), case)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "not set"),
        ("nokey", "not id:base64key"),
        ("a:!!!", "not valid base64"),
        ("a:" + random_key()[:20], "32 bytes"),
        (f"a:{random_key()},a:{random_key()}", "twice"),
        (f"bad id:{random_key()}", "not id:base64key"),
    ],
)
def test_malformed_master_keys_give_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message) as caught:
        parse_master_keys(value)
    secret_part = value.partition(":")[2]
    if len(secret_part) > 8:
        assert secret_part not in str(caught.value)  # never echoes key material


def test_hash_key_errors() -> None:
    with pytest.raises(KeyConfigError, match="QD_HASH_KEY is not set"):
        parse_hash_key("")
    with pytest.raises(KeyConfigError, match="at least 16"):
        parse_hash_key("c2hvcnQ=")
    assert len(parse_hash_key(random_key())) == 32


def test_key_problems_lists_everything_at_once(settings: Settings) -> None:
    broken = settings.model_copy(update={"master_keys": SecretStr(""), "hash_key": SecretStr("")})
    assert len(key_problems(broken)) == 2
    assert key_problems(settings) == []
