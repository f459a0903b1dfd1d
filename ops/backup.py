"""Encrypted backups from the command line (README "Backups").

    python -m ops.backup new-key                 a backup key pair: the secret line to keep
                                                 offline, the public line for the server
    python -m ops.backup create [--to DIR]       seal the database and keyring (make backup)
    python -m ops.backup restore FOLDER [--force]
                                                 restore one, then re-apply retention (make restore)
    python -m ops.backup export-keys FOLDER FILE the backup's QD_MASTER_KEYS and QD_HASH_KEY in a
                                                 new 0600 file, for a secret store

`create` needs QD_BACKUP_PUBLIC_KEY; `restore` and `export-keys` need QD_BACKUP_KEY or
QD_BACKUP_KEY_FILE. Restore and the product must use the same keys: if QD_MASTER_KEYS or
QD_HASH_KEY is configured it must hold the backup's keys, otherwise (a development install) the
backup's keys are written into the data directory's development secrets file. Prints counts and
file names only. Exit codes: 0 done, 1 refused (the message says why), 2 cannot run (settings).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from api.backup.database import DatabaseCopyError
from api.backup.sealed import (
    BackupFileError,
    BackupKeyError,
    create_private,
    new_key_pair,
    parse_public,
    parse_secret,
)
from api.backup.service import (
    BackupRefused,
    create_backup,
    environment_keys_problem,
    key_values,
    read_keyring,
    restore,
)
from api.cases.service import CaseKeys
from api.crypto.keys import KeyConfigError
from api.crypto.production import require_safe_keys
from api.db import utcnow
from api.secret_files import SecretFileError, read_env_file, read_secret_file
from api.settings import REPO_ROOT, Settings
from ops import dev_secrets

DEV_SECRETS = "dev-secrets.env"


def _settings() -> Settings:
    """The environment's settings, completed from a local `.env` (restore runs without
    ops.dev_secrets: a fresh install's generated keys are not the backup's). In production an
    unsafe key (a development one, a key file beside the data) is refused."""
    try:
        settings = Settings(_env_file=REPO_ROOT / ".env")  # type: ignore[call-arg]
    except SecretFileError as error:
        raise KeyConfigError(str(error)) from None
    require_safe_keys(settings)
    return settings


def _identity(settings: Settings) -> X25519PrivateKey:
    if settings.backup_key_file is None:
        return parse_secret(settings.backup_key.get_secret_value())
    try:
        text = read_secret_file(settings.backup_key_file, "QD_BACKUP_KEY_FILE")
    except SecretFileError as error:
        raise BackupKeyError(str(error)) from None
    return parse_secret(text, "QD_BACKUP_KEY_FILE")


def _env_text(values: dict[str, str]) -> bytes:
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    return b"# Quiet Door secrets (from a backup's keyring). Never commit.\n" + lines.encode()


def _write_env_file(path: Path, values: dict[str, str]) -> None:
    """`NAME=value` lines in a 0600 file, replaced whole (never half-written)."""
    scratch = path.with_name(path.name + ".tmp")
    scratch.unlink(missing_ok=True)
    with create_private(scratch) as out:
        out.write(_env_text(values))
    os.replace(scratch, path)


def _install_dev_keys(settings: Settings, keys: CaseKeys) -> Path:
    """Put the backup's keys into the development secrets, keeping its other values."""
    path = settings.var_dir / DEV_SECRETS
    current = read_env_file(path) if path.is_file() else dev_secrets.generate()
    _write_env_file(path, {**current, **key_values(keys)})
    return path


def _keys_configured(settings: Settings) -> bool:
    return bool(
        settings.master_keys.get_secret_value().strip()
        or settings.hash_key.get_secret_value().strip()
    )


def _create(settings: Settings, to: Path) -> int:
    recipient = parse_public(settings.backup_public_key)
    folder = create_backup(settings, recipient, to, utcnow())
    print(f"backup written to {folder} (two sealed files, each 0600)")
    print("copy it off this machine; the keyring file may be kept apart from the database file")
    return 0


def _restore(settings: Settings, folder: Path, force: bool) -> int:
    identity = _identity(settings)
    configured = _keys_configured(settings)
    if not configured and settings.env == "production":
        print(
            "refused: QD_ENV=production and no QD_MASTER_KEYS or QD_HASH_KEY is configured: "
            "put the backup's keys in your secret store first (python -m ops.backup export-keys "
            "FOLDER FILE writes them to a new 0600 file); they are never written under the "
            "data directory in production.",
            file=sys.stderr,
        )
        return 1
    if configured:
        _, keys = read_keyring(folder, identity)
        problem = environment_keys_problem(settings, keys)
        if problem:
            print(
                f"refused: {problem}. The product could not open the restored cases. Put the "
                "backup's keys in your secret store first (python -m ops.backup export-keys "
                "FOLDER FILE writes them to a new 0600 file), or unset QD_MASTER_KEYS and "
                "QD_HASH_KEY on a development install.",
                file=sys.stderr,
            )
            return 1
    done = restore(settings, folder, identity, utcnow(), force=force)
    print(
        f"restored backup {done.backup_id} of {done.created_at:%Y-%m-%d %H:%M} UTC "
        f"(schema {done.schema_revision}); retention re-applied: "
        f"{done.retention.cases_deleted} closed cases deleted, "
        f"{done.retention.codes_expired} follow-up codes expired; "
        f"{done.contacts_forgotten} messaging contacts forgotten and {done.sessions_ended} "
        "staff sessions ended (either may have ended since the backup)"
    )
    if configured:
        print("the configured QD_MASTER_KEYS and QD_HASH_KEY open it")
    else:
        print(f"its keys were written to {_install_dev_keys(settings, done.keys)}")
    return 0


def _export_keys(settings: Settings, folder: Path, file: Path) -> int:
    _, keys = read_keyring(folder, _identity(settings))
    with create_private(file) as out:
        out.write(_env_text(key_values(keys)))
    print(f"the backup's QD_MASTER_KEYS and QD_HASH_KEY are in {file} (0600)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new-key")
    create = commands.add_parser("create")
    create.add_argument("--to", type=Path, default=None, help="backup folder (default var/backups)")
    restoring = commands.add_parser("restore")
    restoring.add_argument("folder", type=Path)
    restoring.add_argument("--force", action="store_true", help="replace an existing database")
    export = commands.add_parser("export-keys")
    export.add_argument("folder", type=Path)
    export.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "new-key":
        secret, public = new_key_pair()
        print(f"QD_BACKUP_KEY={secret}    # keep offline: only restoring needs it")
        print(f"QD_BACKUP_PUBLIC_KEY={public}")
        return 0
    try:
        settings = _settings()
        if args.command == "create":
            return _create(settings, args.to or settings.var_dir / "backups")
        if args.command == "restore":
            return _restore(settings, args.folder, args.force)
        return _export_keys(settings, args.folder, args.file)
    except (BackupKeyError, KeyConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BackupRefused, BackupFileError, DatabaseCopyError, OSError) as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
