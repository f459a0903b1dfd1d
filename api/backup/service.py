"""Making a backup and restoring one.

A backup is a folder of two files sealed to the backup key (api/backup/sealed.py):
`database.qdbackup`, a consistent copy of the database (sensitive columns still AES-256-GCM under
wrapped data keys), and `keyring.qdbackup`, the master keys and the hash key that open it. Apart,
they can be kept in different places; together they are still unreadable without the backup
key's secret half, which the server never holds. Both carry the same manifest (backup id, time,
schema revision) so a restore never pairs a database with another backup's keys.

Retention outlives a restore: a case deleted since the backup must stay deleted, and its data key
with it. Retention is the only way a case is deleted, so the restore runs it again at once, before
the gateway can read anything: a case closed before the backup and deleted since is past its date
again. A case still open in the backup and closed and deleted since would have been closed after
the backup and kept a whole retention period after that, so a backup older than the retention
period is refused; any younger one cannot hold such a case.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.audit.service import Auditor
from api.backup import database
from api.backup.sealed import create_private, open_sealed, open_small, seal
from api.cases.service import CaseKeys
from api.crypto.envelope import DecryptionError, unwrap
from api.crypto.keys import (
    KeyConfigError,
    hash_key_from,
    keyring_from,
    parse_hash_key,
    parse_master_keys,
)
from api.crypto.models import DataKey
from api.db import alembic_config, dispose_engines, migrate, session_factory
from api.retention.service import RetentionResult, purge
from api.settings import Settings
from api.staff.models import StaffSession
from channels.messaging import contacts
from channels.messaging.models import MessagingContact

FORMAT = 1
DATABASE_FILE = "database.qdbackup"
KEYRING_FILE = "keyring.qdbackup"
RESTORED = "backup.restored"
#: What both files' manifests hold alike: the same backup, taken at the same time.
_SHARED = ("format", "backup_id", "created_at", "schema_revision", "database")


class BackupRefused(Exception):
    """A backup or restore that must not go ahead; the message tells the operator why."""


@dataclass(frozen=True)
class Restored:
    backup_id: str
    created_at: dt.datetime
    schema_revision: str
    keys: CaseKeys
    retention: RetentionResult
    contacts_forgotten: int
    sessions_ended: int


def key_values(keys: CaseKeys) -> dict[str, str]:
    """The keys as QD_MASTER_KEYS and QD_HASH_KEY take them (active master key first)."""
    ring = ",".join(
        f"{key_id}:{base64.b64encode(key).decode()}" for key_id, key in keys.keyring.keys.items()
    )
    return {"QD_MASTER_KEYS": ring, "QD_HASH_KEY": base64.b64encode(keys.hash_key).decode()}


def _keys_from(values: dict[str, str]) -> CaseKeys:
    return CaseKeys(
        parse_master_keys(values["QD_MASTER_KEYS"]), parse_hash_key(values["QD_HASH_KEY"])
    )


def check_keys_open(session: Session, keys: CaseKeys) -> None:
    """One data key per master key in use is unwrapped: a backup whose keys cannot open its own
    database is worse than none, because it is found out only on the day it is needed."""
    for (master_key_id,) in session.execute(select(DataKey.master_key_id).distinct()):
        row = session.scalars(
            select(DataKey).where(DataKey.master_key_id == master_key_id).limit(1)
        ).one()
        try:
            unwrap(keys.keyring, row)
        except (KeyConfigError, DecryptionError) as error:
            raise BackupRefused(
                f"the keys do not open the data keys under master key {master_key_id!r}: {error}"
            ) from None


def create_backup(
    settings: Settings, recipient: X25519PublicKey, backup_dir: Path, now: dt.datetime
) -> Path:
    """Seal the database and its keyring into a new folder under `backup_dir`; returns it.

    The gateway may keep running. The plain copy exists only for the moment it is sealed, 0600
    under the data directory (never under `backup_dir`, which may be a mounted share).
    """
    keys = CaseKeys(keyring_from(settings), hash_key_from(settings))
    if not database.exists(settings):
        raise BackupRefused("there is no database to back up (start the product once first)")
    with session_factory(settings)() as session:
        check_keys_open(session, keys)
    manifest = {
        "format": FORMAT,
        "backup_id": str(uuid.uuid4()),
        "created_at": now.astimezone(dt.UTC).isoformat(),
        "schema_revision": database.schema_revision(settings),
        "database": database.dialect(settings),
    }
    backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = backup_dir / f"quietdoor-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    folder.mkdir(mode=0o700)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    snapshot = settings.var_dir / f".backup-{manifest['backup_id']}.tmp"
    keyring = json.dumps(key_values(keys)).encode()
    try:
        seal(folder / KEYRING_FILE, recipient, "keyring", manifest, keyring)
        database.dump(settings, snapshot)
        seal(folder / DATABASE_FILE, recipient, "database", manifest, snapshot)
    except BaseException:
        # Half a backup is no backup: leave nothing that looks like one.
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        raise
    finally:
        database.remove(snapshot)
    return folder


def read_keyring(folder: Path, identity: X25519PrivateKey) -> tuple[dict[str, object], CaseKeys]:
    """The backup's manifest and keys (held in memory only)."""
    manifest, content = open_small(folder / KEYRING_FILE, identity, "keyring")
    return manifest, _keys_from(json.loads(content))


def environment_keys_problem(settings: Settings, keys: CaseKeys) -> str | None:
    """Why the keys the product is configured with cannot open the backup, or None if they can.

    Every master key of the backup must be there with the same bytes (a newer key may be listed
    first), and the hash key must be the same, or follow-up codes and the audit chain break.
    """
    try:
        configured = CaseKeys(keyring_from(settings), hash_key_from(settings))
    except KeyConfigError as error:
        return str(error)
    missing = [
        key_id
        for key_id, key in keys.keyring.keys.items()
        if configured.keyring.keys.get(key_id) != key
    ]
    if missing:
        return f"QD_MASTER_KEYS lacks the backup's master key(s) {', '.join(missing)}"
    if configured.hash_key != keys.hash_key:
        return "QD_HASH_KEY is not the backup's hash key"
    return None


def _check_manifest(settings: Settings, manifest: dict[str, object], now: dt.datetime) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"backup format {manifest.get('format')} is not known here")
    if manifest.get("database") != database.dialect(settings):
        raise BackupRefused(
            f"this is a {manifest.get('database')} backup; the configured database is "
            f"{database.dialect(settings)}"
        )
    created = dt.datetime.fromisoformat(str(manifest["created_at"]))
    if created < now - dt.timedelta(days=settings.retention_closed_case_days):
        raise BackupRefused(
            f"this backup ({created:%Y-%m-%d}) is older than the retention period "
            f"({settings.retention_closed_case_days} days): it may hold cases that must stay "
            "deleted, so it is refused; destroy it"
        )
    try:
        ScriptDirectory.from_config(alembic_config(settings)).get_revision(
            str(manifest["schema_revision"])
        )
    except CommandError:
        raise BackupRefused(
            f"this backup's schema ({manifest['schema_revision']}) is newer than this Quiet "
            "Door: restore it with the version that made it"
        ) from None


def restore(
    settings: Settings,
    folder: Path,
    identity: X25519PrivateKey,
    now: dt.datetime,
    *,
    force: bool = False,
) -> Restored:
    """Restore a backup into the configured database, then re-apply retention at once.

    Refuses, changing nothing, if either file was changed or sealed to another key, if the two
    files are from different backups, if the backup is older than the retention period, or if a
    database is already there and `force` is not given (stop the gateway first). Afterwards the
    database is migrated to this version, a `backup.restored` event is chained to the audit log,
    every case past retention is deleted again with its data key, expired follow-up codes are
    forgotten again, and so is every messaging contact and staff session (see below).
    """
    manifest, keys = read_keyring(folder, identity)
    _check_manifest(settings, manifest, now)
    if not force and database.exists(settings):
        raise BackupRefused(
            "a database is already there: stop the gateway and restore with --force (make "
            "restore FORCE=1) to replace it"
        )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    snapshot = settings.var_dir / f".restore-{uuid.uuid4()}.tmp"
    try:
        with create_private(snapshot) as out:
            database_manifest = open_sealed(folder / DATABASE_FILE, identity, "database", out)
        if any(database_manifest.get(name) != manifest.get(name) for name in _SHARED):
            raise BackupRefused("the database and keyring files are from different backups")
        revision = database.check(settings, snapshot)
        if revision not in (None, manifest["schema_revision"]):
            raise BackupRefused("the database's schema is not the one its manifest names")
        dispose_engines()
        database.load(settings, snapshot)
    finally:
        database.remove(snapshot)
    dispose_engines()
    migrate(settings)
    auditor = Auditor(hash_key=keys.hash_key)
    backup_id = str(manifest["backup_id"])
    with session_factory(settings)() as session:
        auditor.record(
            session,
            actor_id=None,
            action=RESTORED,
            object_type="backup",
            object_id=backup_id,
            now=now,
        )
        session.commit()
        retention = purge(session, now, settings, auditor=auditor)
        contacts_forgotten, sessions_ended = _end_what_may_have_ended(session)
        check_keys_open(session, keys)
    return Restored(
        backup_id=backup_id,
        created_at=dt.datetime.fromisoformat(str(manifest["created_at"])),
        schema_revision=str(manifest["schema_revision"]),
        keys=keys,
        retention=retention,
        contacts_forgotten=contacts_forgotten,
        sessions_ended=sessions_ended,
    )


def _end_what_may_have_ended(session: Session) -> tuple[int, int]:
    """Forget every messaging contact and end every staff session the backup holds.

    Either may have been ended since the backup and no record says which: a person who used
    quick exit or sent STOP must not have their number and its key brought back, nor a member
    of staff who signed out their session. Little is lost: a contact lasts 48 idle hours anyway
    (the next message starts afresh) and staff sign in again.
    """
    pseudonyms = list(session.scalars(select(MessagingContact.pseudonym)))
    for pseudonym in pseudonyms:
        contacts.forget(session, pseudonym)
    sessions_ended = session.execute(delete(StaffSession)).rowcount
    session.commit()
    return len(pseudonyms), sessions_ended
