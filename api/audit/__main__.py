"""`python -m api.audit verify [--anchor SEQ:HASH]`: check the hash-chained audit log.

Reads QD_* settings from the environment (under make: `make audit-verify`, which adds the
development secrets). Exit codes: 0 intact, 1 broken, 2 cannot check (keys or database).
Prints numbers and hashes only, never an event's content.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from api.audit.verify import Anchor, verify
from api.crypto.keys import KeyConfigError, hash_key_from
from api.crypto.production import settings_for_keys
from api.db import session_factory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="walk the chain and recompute every hash")
    check.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="a head printed by an earlier run: also fail if that event is gone or differs "
        "(the only way to notice events deleted from the end)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        anchor = Anchor.parse(args.anchor) if args.anchor else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        settings = settings_for_keys()
        hash_key = hash_key_from(settings)
    except KeyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # No migration here: checking must not change the database it checks (it may be a copy).
    try:
        with session_factory(settings)() as session:
            result = verify(session, hash_key, anchor=anchor)
    except SQLAlchemyError as error:
        print(
            f"error: cannot read the audit log ({type(error).__name__}); "
            "is QD_DATABASE_URL right and the database migrated?",
            file=sys.stderr,
        )
        return 2
    if not result.ok:
        print(f"audit chain broken at event {result.first_bad_seq}: {result.reason}")
        return 1
    print(f"audit chain intact: {result.checked} events")
    if result.head_seq:
        print(f"head {result.head_seq}:{result.head_hash} (keep it; check later with --anchor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
