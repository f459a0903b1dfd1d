"""Settings the gateway refuses to start with, rather than run unsafely and say nothing.

Run first in the gateway's start-up, before the database is touched: in production a missing,
development or misplaced key (`api.crypto.production`), and anywhere alert e-mail that would
cross a network in plain text (`api.alerts.email.transport_problem`). Each reason is logged on
its own line; the messages name variables and fixes, never a secret.
"""

from __future__ import annotations

import logging

from api.alerts.email import transport_problem
from api.crypto.keys import key_problems
from api.crypto.production import unsafe_key_problems
from api.settings import Settings

log = logging.getLogger("quietdoor.gateway")


class StartupRefused(RuntimeError):
    """The gateway must not start with these settings; the message says every reason."""


def startup_refusals(settings: Settings) -> list[str]:
    """Every reason not to start (empty when none). In development a missing key is not one: the
    chat and its safety information still work, and reports answer 503 until keys are given."""
    refusals = []
    if settings.env == "production":
        refusals += key_problems(settings)
        refusals += unsafe_key_problems(settings)
    smtp = transport_problem(settings)
    if smtp is not None:
        refusals.append(smtp)
    return refusals


def refuse_unsafe_start(settings: Settings) -> None:
    """Log each reason and raise StartupRefused when there is any."""
    refusals = startup_refusals(settings)
    for reason in refusals:
        log.critical("not starting: %s", reason)
    if refusals:
        raise StartupRefused("; ".join(refusals))
