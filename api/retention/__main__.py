"""`python -m api.retention`: delete closed cases past retention and expire follow-up codes now.

Reads QD_* settings from the environment (under make: `make retention`, which adds the
development secrets); the running gateway also does this every QD_RETENTION_POLL_HOURS. Prints
counts only, never a reference. Exit codes: 0 done, 2 cannot run (keys).
"""

from __future__ import annotations

import sys

from api.audit.service import Auditor
from api.crypto.keys import KeyConfigError
from api.crypto.production import settings_for_keys
from api.db import migrate, session_factory, utcnow
from api.retention.service import purge


def main(argv: list[str] | None = None) -> int:
    if argv:
        print("usage: python -m api.retention", file=sys.stderr)
        return 2
    try:
        settings = settings_for_keys()
        auditor = Auditor.from_settings(settings)
    except KeyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(settings)
    with session_factory(settings)() as session:
        result = purge(session, utcnow(), settings, auditor=auditor)
    print(
        f"retention: {result.cases_deleted} closed cases deleted, "
        f"{result.codes_expired} follow-up codes expired"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
