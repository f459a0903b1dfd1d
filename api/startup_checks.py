"""Settings the gateway refuses to start with, rather than run unsafely and say nothing.

Run first in the gateway's start-up: in production a missing, development or misplaced key
(`api.crypto.production`), an http address or plain-text alert e-mail
(`api.production_transport`), and a database not at this version's head revision
(`api.migrate`: read, never changed); anywhere, alert e-mail that would cross a network in plain
text (`api.alerts.email.transport_problem`). Each reason is logged on its own line; the messages
name variables and fixes, never a secret. `python -m api.startup_checks` prints them, so
`make serve` and `make run` can refuse before they start any process (ops/preflight.py).
"""

from __future__ import annotations

import logging
import sys

from api.alerts.email import transport_problem
from api.crypto.keys import key_problems
from api.crypto.production import unsafe_key_problems
from api.migrate import schema_refusal
from api.production_transport import insecure_transport_problems
from api.secret_files import SecretFileError
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
        refusals += insecure_transport_problems(settings)
    smtp = transport_problem(settings)
    if smtp is not None:
        refusals.append(smtp)
    if settings.env == "production":
        schema = schema_refusal(settings)
        refusals += [] if schema is None else [schema]
    return refusals


def refuse_unsafe_start(settings: Settings) -> None:
    """Log each reason and raise StartupRefused when there is any."""
    refusals = startup_refusals(settings)
    for reason in refusals:
        log.critical("not starting: %s", reason)
    if refusals:
        raise StartupRefused("; ".join(refusals))


def main() -> int:
    """Print every reason the gateway would refuse to start with the environment's settings, one
    a line; exit 1 when there is any (a secret file that cannot be read is one)."""
    try:
        refusals = startup_refusals(Settings())
    except SecretFileError as error:
        refusals = [str(error)]
    for reason in refusals:
        print(reason)
    return 1 if refusals else 0


if __name__ == "__main__":
    sys.exit(main())
