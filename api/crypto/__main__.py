"""Key operations from the command line.

    python -m api.crypto new-key   print 32 random bytes as base64 (for QD_MASTER_KEYS/QD_HASH_KEY)
    python -m api.crypto rotate    re-wrap every data key with the active (first) master key

Rotation (README, "Keys and what is encrypted"): put the new key first in QD_MASTER_KEYS with the
old one after it, restart every replica so that new data keys are wrapped with the new key, run
`rotate`, then remove the old key and restart again. A replica still running with the old key
first wraps new data keys with it: `rotate` run again re-wraps those, and says 0 when none are
left. Values are never re-encrypted, only their data keys. In QD_ENV=production it refuses keys
from the development secrets file or kept under the data directory (api/crypto/production.py).
"""

from __future__ import annotations

import argparse
import base64
import os
import sys

from api.crypto.envelope import rotate
from api.crypto.keys import MASTER_KEY_BYTES, KeyConfigError, keyring_from
from api.crypto.production import settings_for_keys
from api.db import migrate, session_factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.crypto")
    parser.add_argument("command", choices=["new-key", "rotate"])
    args = parser.parse_args(argv)
    if args.command == "new-key":
        print(base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode())
        return 0
    try:
        settings = settings_for_keys()
        keyring = keyring_from(settings)
    except KeyConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    migrate(settings)
    with session_factory(settings)() as session:
        changed = rotate(session, keyring)
    print(f"re-wrapped {changed} data keys with master key {keyring.active_id!r}")
    if changed:
        print("run it again after every replica has restarted: once it says 0, remove the old key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
