"""Staff accounts from the command line.

    QD_NEW_PASSWORD=... python -m api.staff.cli create-user --email E --role caseworker
    python -m api.staff.cli disable-user --email E

The password comes from the environment so it never appears in the shell history or the process
list. `create-user` prints only the otpauth:// URI to enrol the authenticator app.
"""

from __future__ import annotations

import argparse
import os
import sys

from api.cases.service import CaseKeys
from api.crypto.keys import KeyConfigError, hash_key_from, keyring_from
from api.crypto.production import settings_for_keys
from api.db import migrate, session_factory, utcnow
from api.org.profile import profile_for
from api.staff.credentials import provisioning_uri
from api.staff.models import ROLES
from api.staff.service import DEFAULT_TEAM, AccountError, create_user, disable_user

ISSUER = "Quiet Door"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api.staff.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="password from QD_NEW_PASSWORD")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument(
        "--team",
        default=DEFAULT_TEAM,
        help="managers see their team's cases (default: %(default)s)",
    )
    disable = commands.add_parser("disable-user", help="refuse logins and end sessions")
    disable.add_argument("--email", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = settings_for_keys()
        keys = CaseKeys(keyring=keyring_from(settings), hash_key=hash_key_from(settings))
    except KeyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(settings)
    with session_factory(settings)() as session:
        if args.command == "disable-user":
            if not disable_user(session, args.email):
                print("error: no such account", file=sys.stderr)
                return 1
            print("account disabled; its sessions have ended")
            return 0
        password = os.environ.get("QD_NEW_PASSWORD", "")
        try:
            user, secret = create_user(
                session,
                keys,
                email=args.email,
                role=args.role,
                password=password,
                now=utcnow(),
                team=args.team,
                organisation=profile_for(settings).name,
            )
        except AccountError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(provisioning_uri(secret, user.email, ISSUER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
