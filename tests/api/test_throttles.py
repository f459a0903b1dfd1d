"""Throttles that slow guessing without locking anyone out (SECURITY.md 7, 19; api/throttle.py).

Each test drives the services with an injected `now`: none reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from api.cases.schemas import CaseIn
from api.cases.service import CaseKeys, create_case
from api.casework.follow_up import TooManyTries, WrongCode, reporter_view
from api.crypto.keys import hash_key_from, keyring_from
from api.db import session_factory
from api.deadlines import WorkingCalendar
from api.org.profile import profile_for
from api.settings import Settings
from api.staff.models import StaffUser
from api.staff.service import LoginOutcome, LoginResult, claim_totp_step, create_user, login

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MANAGER = "named.manager@landlord.example"
PASSWORD = "correct horse battery staple"
OFFICE = "203.0.113.7"  # one address for a whole office (NAT)
ELSEWHERE = "198.51.100.23"


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


@pytest.fixture
def keys(migrated: Settings) -> CaseKeys:
    return CaseKeys(keyring=keyring_from(migrated), hash_key=hash_key_from(migrated))


@pytest.fixture
def manager(db: Session, keys: CaseKeys) -> pyotp.TOTP:
    """A named manager's account; returns their authenticator."""
    _, secret = create_user(
        db, keys, email=MANAGER, role="manager", password=PASSWORD, now=T0 - dt.timedelta(days=1)
    )
    return pyotp.TOTP(secret)


def attempt(
    db: Session,
    keys: CaseKeys,
    totp: pyotp.TOTP,
    now: dt.datetime,
    *,
    password: str = PASSWORD,
    email: str = MANAGER,
    address: str = ELSEWHERE,
    device: str | None = None,
) -> LoginResult:
    return login(
        db,
        keys,
        email=email,
        password=password,
        code=totp.at(now),
        address=address,
        now=now,
        device=device,
    )


def known_device(db: Session, keys: CaseKeys, totp: pyotp.TOTP, now: dt.datetime) -> str:
    """The manager signs in once from their own computer, which is known from then on."""
    result = attempt(db, keys, totp, now, address=OFFICE)
    assert result.outcome is LoginOutcome.OK and result.device
    return result.device


# ---------- sign-in ----------


def test_the_backoff_doubles_from_the_first_paid_failure_and_is_capped() -> None:
    waits = [throttle.LOGIN_ACCOUNT.wait(n) for n in range(8)]
    assert waits == [seconds(0)] * 3 + [seconds(1), seconds(2), seconds(4), seconds(8), seconds(16)]
    assert throttle.LOGIN_ACCOUNT.wait(10_000) == dt.timedelta(minutes=15)


def test_an_accounts_backoff_grows_and_expires(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    def wrong(now: dt.datetime) -> LoginResult:
        return attempt(db, keys, manager, now, password="not the password at all")

    for _ in range(throttle.LOGIN_ACCOUNT.free):
        assert wrong(T0).outcome is LoginOutcome.FAILED
    refused = wrong(T0)
    assert (refused.outcome, refused.wait) == (LoginOutcome.THROTTLED, seconds(1))
    # A try during the wait is not counted: the wait does not grow, it runs out.
    assert wrong(T0 + seconds(0.5)).wait == seconds(0.5)
    assert wrong(T0 + seconds(1)).outcome is LoginOutcome.FAILED  # the 4th failure
    assert wrong(T0 + seconds(2)).wait == seconds(1)  # 2 s from the 4th failure
    assert wrong(T0 + seconds(3)).outcome is LoginOutcome.FAILED  # the 5th
    assert wrong(T0 + seconds(4)).wait == seconds(3)  # 4 s from the 5th

    # Failures are forgotten after the window: the free ones are back.
    later = T0 + throttle.WINDOW + seconds(4)
    for _ in range(throttle.LOGIN_ACCOUNT.free):
        assert wrong(later).outcome is LoginOutcome.FAILED
    assert wrong(later).wait == seconds(1)

    # Once the wait has passed, the right details work.
    assert attempt(db, keys, manager, later + seconds(1)).outcome is LoginOutcome.OK


def test_a_named_manager_on_a_known_device_is_not_locked_out_by_a_strangers_wrong_passwords(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    device = known_device(db, keys, manager, T0)
    attack = T0 + dt.timedelta(minutes=5)
    for n in range(5):
        stranger = attempt(db, keys, manager, attack + seconds(n * 60), password=f"guess {n}!")
        assert stranger.outcome is not LoginOutcome.OK
    assert attempt(db, keys, manager, attack + seconds(241)).outcome is LoginOutcome.THROTTLED

    # The manager, at the same moment and the same address as the stranger, signs straight in.
    own = attempt(db, keys, manager, attack + seconds(241), device=device)
    assert own.outcome is LoginOutcome.OK and own.device == device


def test_a_known_device_has_a_backoff_of_its_own(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    device = known_device(db, keys, manager, T0)
    now = T0 + dt.timedelta(minutes=1)
    for _ in range(throttle.LOGIN_DEVICE.free):
        result = attempt(db, keys, manager, now, password="mistyped", device=device)
        assert result.outcome is LoginOutcome.FAILED
    assert attempt(db, keys, manager, now, device=device).outcome is LoginOutcome.THROTTLED
    # Its failures were not the account's: a stranger is not held by them.
    assert attempt(db, keys, manager, now).outcome is LoginOutcome.OK


def test_a_device_cookie_for_another_account_or_forged_counts_as_a_stranger(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    device = known_device(db, keys, manager, T0)
    device_id, _, mac = device.partition(".")
    forged = f"{device_id}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"
    now = T0 + dt.timedelta(minutes=1)
    for _ in range(throttle.LOGIN_ACCOUNT.free):
        attempt(db, keys, manager, now, password="a stranger's guess")
    for cookie in (forged, "", ".", "no-dot", "é.é"):
        assert attempt(db, keys, manager, now, device=cookie).outcome is LoginOutcome.THROTTLED
    other = attempt(db, keys, manager, now, email="other@landlord.example", device=device)
    assert other.outcome is LoginOutcome.FAILED  # another account: a stranger's free failure


def test_twenty_failures_from_one_address_do_not_block_a_correct_sign_in_from_a_known_device(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    device = known_device(db, keys, manager, T0)
    now = T0 + dt.timedelta(minutes=1)
    for n in range(throttle.LOGIN_ADDRESS.free):  # each at another account: no account backoff
        guess = attempt(db, keys, manager, now, email=f"guess{n}@landlord.example", address=OFFICE)
        assert guess.outcome is LoginOutcome.FAILED
    # A stranger at that address is slowed down now, even with the right details...
    assert attempt(db, keys, manager, now, address=OFFICE).outcome is LoginOutcome.THROTTLED
    # ...the manager's own computer at the same address is not.
    assert attempt(db, keys, manager, now, address=OFFICE, device=device).outcome is (
        LoginOutcome.OK
    )


def test_the_address_limit_counts_failures_not_successes(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    device = known_device(db, keys, manager, T0)
    for n in range(1, 30):  # a busy office: many sign-ins from one address
        now = T0 + seconds(30 * n)
        assert attempt(db, keys, manager, now, address=OFFICE, device=device).outcome is (
            LoginOutcome.OK
        )
    now = T0 + seconds(30 * 30)
    stranger = attempt(db, keys, manager, now, email="new.starter@landlord.example", address=OFFICE)
    assert stranger.outcome is LoginOutcome.FAILED  # not THROTTLED: no failure was counted


def test_the_global_ceiling_slows_everyone_but_never_hard_locks(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    for n in range(throttle.LOGIN_CEILING.per_minute):  # a spray across many accounts
        throttle.record_failure(db, {throttle.LOGIN_CEILING.scope: f"sprayed-{n}"}, T0)
    db.commit()

    # No failure of one's own: straight in, even as a stranger.
    assert attempt(db, keys, manager, T0 + seconds(1)).outcome is LoginOutcome.OK
    # One failure already costs a wait (normally the first three are free)...
    assert attempt(db, keys, manager, T0 + seconds(2), password="typo").outcome is (
        LoginOutcome.FAILED
    )
    slowed = attempt(db, keys, manager, T0 + seconds(2))
    assert (slowed.outcome, slowed.wait) == (LoginOutcome.THROTTLED, seconds(1))
    # ...a short one, after which the right details work, the ceiling still reached.
    assert attempt(db, keys, manager, T0 + seconds(30)).outcome is LoginOutcome.OK

    # Below the ceiling again (a minute on), failures are free as before.
    calm = T0 + dt.timedelta(minutes=2)
    for _ in range(throttle.LOGIN_ACCOUNT.free):
        assert attempt(db, keys, manager, calm, password="typo").outcome is LoginOutcome.FAILED


# ---------- the TOTP code is single use ----------


def test_two_sign_ins_with_one_code_the_second_is_refused(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP
) -> None:
    assert attempt(db, keys, manager, T0).outcome is LoginOutcome.OK
    assert attempt(db, keys, manager, T0 + seconds(1)).outcome is LoginOutcome.FAILED


def test_spending_a_step_is_one_conditional_update(
    db: Session, keys: CaseKeys, manager: pyotp.TOTP, migrated: Settings
) -> None:
    user_id = db.scalars(select(StaffUser.id)).one()
    step = manager.timecode(T0)
    # Two sign-ins that both read the account before either wrote (the race a read-then-write
    # loses): only one of the two updates changes the row.
    with session_factory(migrated)() as first, session_factory(migrated)() as second:
        assert first.get(StaffUser, user_id) and second.get(StaffUser, user_id)
        assert claim_totp_step(first, user_id, step) is True
        first.commit()
        assert claim_totp_step(second, user_id, step) is False
        second.commit()
    assert claim_totp_step(db, user_id, step - 1) is False
    assert claim_totp_step(db, user_id, step + 1) is True


# ---------- follow-up codes ----------


@dataclass(frozen=True)
class Issued:
    code: str
    reference: str


@pytest.fixture
def issued(db: Session, keys: CaseKeys, migrated: Settings) -> Issued:
    report = CaseIn(
        idempotency_key="throttle-test-report",
        channel="web",
        reporter_type="self",
        what_happening="Something the reporter told the assistant.",
        contact_method="none",
    )
    created = create_case(
        db,
        report,
        keys=keys,
        calendar=WorkingCalendar.from_profile(profile_for(migrated)),
        alert_recipients=[],
        now=T0 - dt.timedelta(days=1),
    )
    assert created.follow_up_code
    return Issued(created.follow_up_code, created.case.reference)


def look_up(db: Session, keys: CaseKeys, code: str, address: str, now: dt.datetime) -> str:
    """What the reporter gets: the case's reference, or the refusal's name."""
    try:
        view = reporter_view(db, keys.keyring, keys.hash_key, code=code, address=address, now=now)
    except (WrongCode, TooManyTries) as refused:
        return type(refused).__name__
    return view.reference


def test_a_valid_follow_up_code_works_from_an_address_that_failed_many_others(
    db: Session, keys: CaseKeys, issued: Issued
) -> None:
    for n in range(throttle.WRONG_CODES.free):
        assert look_up(db, keys, f"WRNG-CODE-{n:04d}-XXXX", OFFICE, T0) == "WrongCode"
    assert look_up(db, keys, "WRNG-CODE-MORE-XXXX", OFFICE, T0) == "TooManyTries"
    assert look_up(db, keys, issued.code, OFFICE, T0) == issued.reference


def test_wrong_follow_up_codes_back_off_and_the_backoff_expires(
    db: Session, keys: CaseKeys
) -> None:
    for _ in range(throttle.WRONG_CODES.free):
        look_up(db, keys, "WRNG-CODE-XXXX-XXXX", OFFICE, T0)
    with pytest.raises(TooManyTries) as refused:
        reporter_view(
            db, keys.keyring, keys.hash_key, code="WRNG", address=OFFICE, now=T0 + seconds(0.25)
        )
    assert refused.value.wait == seconds(0.75)
    assert look_up(db, keys, "WRNG", OFFICE, T0 + seconds(1)) == "WrongCode"
    assert look_up(db, keys, "WRNG", OFFICE, T0 + seconds(2)) == "TooManyTries"
    assert look_up(db, keys, "WRNG", OFFICE, T0 + seconds(3)) == "WrongCode"
    assert look_up(db, keys, "WRNG", ELSEWHERE, T0) == "WrongCode"  # per address


def test_the_global_ceiling_on_wrong_codes_slows_every_address_but_not_a_valid_code(
    db: Session, keys: CaseKeys, issued: Issued
) -> None:
    for n in range(throttle.CODE_CEILING.per_minute):
        throttle.record_failure(db, {throttle.CODE_CEILING.scope: f"sprayed-{n}"}, T0)
    db.commit()
    assert look_up(db, keys, "WRNG", OFFICE, T0) == "WrongCode"  # its own first failure
    assert look_up(db, keys, "WRNG", OFFICE, T0) == "TooManyTries"  # none free under the ceiling
    assert look_up(db, keys, issued.code, OFFICE, T0) == issued.reference
    assert look_up(db, keys, "WRNG", OFFICE, T0 + seconds(1)) == "WrongCode"  # never locked
