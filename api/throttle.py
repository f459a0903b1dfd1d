"""Backoff throttles for staff sign-in and follow-up codes: they slow guessing, never lock out.

Each failure is one row in `login_failures`: a scope, a keyed hash of what failed (an account
name, a known device, an address) and when. A key may fail `free` times; after that each try
must wait `base * 2 ** (failures - free)` from the key's last failure, never more than `cap`.
A try made during the wait is refused without being counted, so hammering does not lengthen
it, and because no wait is longer than `cap`, nobody can be locked out for good by someone
else's failures. Failures are forgotten `WINDOW` after they happened.

A global ceiling: when more than `per_minute` failures of one kind arrived in the last minute
(a spray across many accounts or codes from many addresses), every key loses its free
failures, so its first failure already costs a wait (1 s, then doubling). A key with no failure
of its own still gets through at once: the ceiling slows everyone who fails, it never blocks
anyone outright.

Check-then-record is not atomic: parallel tries may each get the last free failure. That lets
a few more guesses through at the margin; it never refuses a right credential.

Why each number:

- `WINDOW`, an hour: a patient guesser waiting out the cap on one account keeps paying it
  (about four tries an hour), while last week's typos are long forgotten.
- `LOGIN_ACCOUNT` (3 free, 1 s doubling, 15 minutes at most): a person mistypes a password or
  lets a code expire once or twice; the next waits (1 s, 2 s, 4 s...) are barely noticed by a
  person retrying by hand; 15 minutes is the longest a stranger's guesses can hold up the
  account's owner on a device they have not signed in from before (a known device is not held).
- `LOGIN_DEVICE` (5 free, then as above): a browser that signed in to the account before has a
  throttle of its own; its person mistyping is given more room, and a stolen device cookie
  gains a guesser nothing (the same backoff, and the password and code are still needed).
- `LOGIN_ADDRESS` (20 free): an office or a carrier shares one address, and several people may
  mistype on a Monday morning; it holds only strangers (no known-device cookie) and counts only
  failures, so a known device's right credential is never refused because of the address.
- `LOGIN_CEILING` (300 a minute): a landlord's staff, tens to a few hundred people, never fail
  300 sign-ins in one minute; a credential-stuffing run does within seconds.
- `WRONG_CODES` (10 free per address, then as above): a reporter typing a 16-character code
  from memory may get it wrong several times. A valid code is looked up first and always
  accepted: the throttle answers only wrong codes. The code has about 79 bits, so guessing one
  is hopeless anyway: this limits noise and load, it is not what keeps codes secret.
- `CODE_CEILING` (300 a minute): far above the wrong codes of every reporter of one landlord.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.staff.models import LoginFailure

WINDOW = dt.timedelta(hours=1)
CEILING_PERIOD = dt.timedelta(minutes=1)
NO_WAIT = dt.timedelta(0)
_MAX_DOUBLINGS = 20  # 2**20 s is far past any cap; keeps the arithmetic small


@dataclass(frozen=True)
class Backoff:
    """How long a key that keeps failing must wait; `scope` tags its rows (at most 8 chars)."""

    scope: str
    free: int
    base: dt.timedelta = dt.timedelta(seconds=1)
    cap: dt.timedelta = dt.timedelta(minutes=15)

    def wait(self, failures: int, *, crowded: bool = False) -> dt.timedelta:
        """The wait after `failures` failures; under the global ceiling the first costs one."""
        free = min(self.free, 1) if crowded else self.free
        if failures < free:
            return NO_WAIT
        return min(self.base * 2 ** min(failures - free, _MAX_DOUBLINGS), self.cap)


@dataclass(frozen=True)
class Ceiling:
    """Failures per minute in `scope`, across every key, above which no failure is free."""

    scope: str
    per_minute: int


LOGIN_ACCOUNT = Backoff("account", free=3)
LOGIN_DEVICE = Backoff("device", free=5)
LOGIN_ADDRESS = Backoff("address", free=20)
#: Every sign-in failure writes an address row, so that scope counts them all once.
LOGIN_CEILING = Ceiling("address", per_minute=300)
WRONG_CODES = Backoff("code", free=10)
CODE_CEILING = Ceiling("code", per_minute=300)


def crowded(session: Session, ceiling: Ceiling, now: dt.datetime) -> bool:
    """Whether the global ceiling is reached: more failures this minute than it allows."""
    recent = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.scope == ceiling.scope, LoginFailure.at > now - CEILING_PERIOD)
    )
    return (recent or 0) >= ceiling.per_minute


def wait_left(
    session: Session, backoff: Backoff, key_hash: str, now: dt.datetime, *, crowded: bool
) -> dt.timedelta:
    """How much longer `key_hash` must wait before its next try counts (zero: try now)."""
    failures, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.scope == backoff.scope,
            LoginFailure.key_hash == key_hash,
            LoginFailure.at > now - WINDOW,
        )
    ).one()
    wait = backoff.wait(failures, crowded=crowded)
    if wait == NO_WAIT or last is None:
        return NO_WAIT
    return max(last + wait - now, NO_WAIT)


def record_failure(session: Session, keys: dict[str, str], now: dt.datetime) -> None:
    """One failure for each scope's key (`{scope: key_hash}`), in the caller's transaction.

    Failures older than `WINDOW` are deleted at the same time, so the table stays small.
    """
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add_all(LoginFailure(scope=s, key_hash=k, at=now) for s, k in keys.items())


def forget(session: Session, backoff: Backoff, key_hash: str) -> None:
    """A key's failures, cleared after it succeeded (in the caller's transaction)."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.scope == backoff.scope, LoginFailure.key_hash == key_hash
        )
    )
