"""Encrypted backups (make backup / make restore), end to end on real SQLite files.

A backup of a working instance (staff, cases, audit log) is restored into a fresh data
directory: the cases open with the restored keys, a case deleted since the backup stays deleted
with its data key, and a changed, mismatched, stale or wrongly keyed backup is refused without
touching the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from api.audit.models import AuditEvent
from api.audit.verify import verify
from api.backup import database, sealed
from api.backup.service import (
    DATABASE_FILE,
    KEYRING_FILE,
    RESTORED,
    BackupRefused,
    create_backup,
    restore,
)
from api.cases.models import Case
from api.cases.service import open_report
from api.crypto.keys import hash_key_from, keyring_from
from api.crypto.models import DataKey
from api.db import dispose_engines, migrate, session_factory, utcnow
from api.retention.service import CASE_DELETED, purge
from api.secret_files import read_env_file
from api.settings import REPO_ROOT, Settings
from api.staff.models import StaffSession
from channels.messaging import contacts
from channels.messaging.models import MessagingContact
from ops import backup as cli
from tests.api.casework_world import CANARY, World, build_world

DAY = dt.timedelta(days=1)
RETENTION_DAYS = 30
PSEUDONYM = "sms-" + "ab" * 20
#: A database file's header: magic, version, kind, two public keys, the nonce prefix.
HEADER = len(sealed.MAGIC) + 2 + len("database") + 2 * sealed.KEY_BYTES + sealed.PREFIX_BYTES


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def settings_for(var_dir: Path, master_keys: str = "", hash_key: str = "") -> Settings:
    return Settings(
        var_dir=var_dir,
        database_url=None,
        master_keys=master_keys,
        hash_key=hash_key,
        service_token="test-service-token-0123456789abcdef",  # noqa: S106
        org="stonewater",
        org_dir=REPO_ROOT / "orgs",
        alert_emails="",
        smtp_host=None,
        retention_closed_case_days=RETENTION_DAYS,
        staff_base_url="https://staff.example.org",
    )


@dataclass
class Instance:
    """A working instance with one backup taken at `now`, and the backup key's secret half."""

    settings: Settings
    world: World
    folder: Path
    identity: X25519PrivateKey
    now: dt.datetime

    def keyed(self, var_dir: Path) -> Settings:
        """Another data directory configured with this instance's keys (a secret store)."""
        return settings_for(
            var_dir,
            self.settings.master_keys.get_secret_value(),
            self.settings.hash_key.get_secret_value(),
        )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, World, dt.datetime]:
    """Staff and four cases, built once (staff passwords are slow to hash on purpose);
    `cat_case` closed so that it passes retention two days after `now`."""
    settings = settings_for(tmp_path_factory.mktemp("template"), f"k1:{_key()}", _key())
    migrate(settings)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        world = build_world(settings, client)
    now = utcnow()
    with session_factory(settings)() as db:
        case = db.get(Case, world.case_id("cat_case"))
        assert case is not None
        case.status, case.closed_at = "closed", now - (RETENTION_DAYS - 1) * DAY
        case.closure_reason = "survivor_satisfied"
        contacts.touch(
            db,
            keyring_from(settings),
            pseudonym=PSEUDONYM,
            channel="sms",
            address="+447700900123",
            reply_from=None,
            now=now,
        )
        db.commit()
    dispose_engines()
    return settings, world, now


@pytest.fixture
def instance(template: tuple[Settings, World, dt.datetime], tmp_path: Path) -> Iterator[Instance]:
    """A copy of the template instance of its own, backed up once at `now`."""
    source, world, now = template
    settings = source.model_copy(update={"var_dir": tmp_path / "live"})
    settings.var_dir.mkdir()
    live = sqlite3.connect(settings.var_dir / "quietdoor.db")
    with closing(sqlite3.connect(source.var_dir / "quietdoor.db")) as original, closing(live):
        original.backup(live)
    identity = X25519PrivateKey.generate()
    folder = create_backup(settings, identity.public_key(), tmp_path / "offsite", now)
    yield Instance(settings, world, folder, identity, now)
    dispose_engines()


def case_ids(settings: Settings) -> set[str]:
    with session_factory(settings)() as db:
        return set(db.scalars(select(Case.id)))


def test_backup_is_two_sealed_owner_only_files_that_reveal_nothing(instance: Instance) -> None:
    assert stat.S_IMODE(instance.folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in instance.folder.iterdir()) == [DATABASE_FILE, KEYRING_FILE]
    master = instance.settings.master_keys.get_secret_value().split(":", 1)[1]
    for path in instance.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        raw = path.read_bytes()
        for secret in (b"SQLite format 3", CANARY.encode(), b"alembic_version", master.encode()):
            assert secret not in raw
    assert not list(instance.settings.var_dir.glob(".backup-*")), "the plain copy is removed"


def test_restore_into_a_fresh_directory_opens_the_cases_and_keeps_a_deleted_case_deleted(
    instance: Instance, tmp_path: Path
) -> None:
    deleted = instance.world.case_id("cat_case")
    with session_factory(instance.settings)() as db:
        deleted_key = db.get(Case, deleted).data_key_id  # type: ignore[union-attr]
        assert purge(db, instance.now + 2 * DAY, instance.settings).cases_deleted == 1
    target = instance.keyed(tmp_path / "fresh")

    done = restore(target, instance.folder, instance.identity, instance.now + 3 * DAY)

    assert done.retention.cases_deleted == 1
    remaining = {instance.world.case_id(n) for n in ("ann_case", "triage_case", "anon_case")}
    assert case_ids(target) == remaining
    keyring = keyring_from(target)
    with session_factory(target)() as db:
        assert db.get(DataKey, deleted_key) is None, "the deleted case's key came back"
        for case_id in remaining:
            case = db.get(Case, case_id)
            assert case is not None
            assert CANARY in open_report(db, keyring, case)["what_happening"]
        actions = [(e.action, e.object_id) for e in db.scalars(select(AuditEvent))]
        assert (RESTORED, done.backup_id) in actions
        assert (CASE_DELETED, deleted) in actions
        assert verify(db, hash_key_from(target)).ok
        # A contact may have used quick exit, and staff signed out, since the backup.
        assert db.scalars(select(MessagingContact)).first() is None
        assert db.scalars(select(StaffSession)).first() is None
        assert db.scalar(select(func.count()).select_from(DataKey)) == len(remaining) + len(
            instance.world.users
        ), "only the cases' and staff's keys are left"
    assert (done.contacts_forgotten, done.sessions_ended) == (1, len(instance.world.users))
    assert (
        stat.S_IMODE(Path(target.resolved_database_url[len("sqlite:///") :]).stat().st_mode)
        == 0o600
    )
    assert not list(target.var_dir.glob(".restore-*")), "the plain copy is removed"


def test_the_backup_holds_committed_data_only_while_the_gateway_writes(
    instance: Instance, tmp_path: Path
) -> None:
    """The online backup API copies a consistent snapshot beside an open write transaction."""
    with session_factory(instance.settings)() as writer:
        case = writer.get(Case, instance.world.case_id("ann_case"))
        assert case is not None
        case.team = "uncommitted"
        writer.flush()  # holds SQLite's write lock, the change not yet committed
        folder = create_backup(
            instance.settings, instance.identity.public_key(), tmp_path / "b2", instance.now + DAY
        )
        writer.commit()
    target = instance.keyed(tmp_path / "fresh")
    restore(target, folder, instance.identity, instance.now + DAY)
    with session_factory(target)() as db:
        assert db.get(Case, instance.world.case_id("ann_case")).team == "north"  # type: ignore[union-attr]


def _flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


def _zero_ephemeral_key(path: Path) -> None:
    """An all-zero X25519 point, with which no shared secret can be computed."""
    raw = bytearray(path.read_bytes())
    end = HEADER - sealed.PREFIX_BYTES
    raw[end - sealed.KEY_BYTES : end] = bytes(sealed.KEY_BYTES)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("name", "change"),
    [
        (DATABASE_FILE, lambda p: _flip(p, p.stat().st_size // 2)),
        (DATABASE_FILE, lambda p: _flip(p, HEADER - 1)),  # the nonce prefix, in the header
        (DATABASE_FILE, lambda p: p.write_bytes(p.read_bytes()[:-1])),
        (KEYRING_FILE, lambda p: _flip(p, p.stat().st_size - 1)),
        (DATABASE_FILE, _zero_ephemeral_key),
    ],
    ids=["database-body", "database-header", "database-truncated", "keyring", "low-order-key"],
)
def test_a_changed_backup_file_is_refused_and_nothing_is_restored(
    instance: Instance, tmp_path: Path, name: str, change: object
) -> None:
    change(instance.folder / name)  # type: ignore[operator]
    target = instance.keyed(tmp_path / "fresh")
    with pytest.raises(sealed.BackupFileError, match="changed or damaged"):
        restore(target, instance.folder, instance.identity, instance.now)
    assert not (target.var_dir / "quietdoor.db").exists()


def test_files_from_two_backups_are_not_paired(instance: Instance, tmp_path: Path) -> None:
    other = create_backup(
        instance.settings, instance.identity.public_key(), tmp_path / "b2", instance.now + DAY
    )
    (instance.folder / KEYRING_FILE).replace(other / KEYRING_FILE)
    target = instance.keyed(tmp_path / "fresh")
    with pytest.raises(BackupRefused, match="different backups"):
        restore(target, other, instance.identity, instance.now + DAY)
    assert not (target.var_dir / "quietdoor.db").exists()


def test_a_live_database_is_replaced_only_when_asked(instance: Instance) -> None:
    with pytest.raises(BackupRefused, match="already there"):
        restore(instance.settings, instance.folder, instance.identity, instance.now)
    with session_factory(instance.settings)() as db:
        purge(db, instance.now + 2 * DAY, instance.settings)
    done = restore(
        instance.settings, instance.folder, instance.identity, instance.now + 2 * DAY, force=True
    )
    assert done.retention.cases_deleted == 1
    assert instance.world.case_id("cat_case") not in case_ids(instance.settings)
    assert len(case_ids(instance.settings)) == 3


def test_keys_that_do_not_open_the_database_refuse_the_backup(
    instance: Instance, tmp_path: Path
) -> None:
    """Found out now, not on the day the backup is needed."""
    other = instance.settings.model_copy(update={"master_keys": SecretStr(f"k1:{_key()}")})
    with pytest.raises(BackupRefused, match="do not open the data keys under master key 'k1'"):
        create_backup(other, instance.identity.public_key(), tmp_path / "b2", instance.now)
    assert not (tmp_path / "b2").exists()


def test_a_failed_backup_leaves_nothing_that_looks_like_one(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(settings: Settings, dest: Path) -> None:
        dest.write_bytes(b"half a copy")
        raise database.DatabaseCopyError("disk full")

    monkeypatch.setattr(database, "dump", fail)
    with pytest.raises(database.DatabaseCopyError):
        create_backup(
            instance.settings, instance.identity.public_key(), tmp_path / "b2", instance.now
        )
    assert not list((tmp_path / "b2").iterdir())
    assert not list(instance.settings.var_dir.glob(".backup-*"))


def test_a_backup_older_than_retention_is_refused(instance: Instance, tmp_path: Path) -> None:
    """It could hold a case open then, closed and deleted since, that retention cannot see."""
    late = instance.now + (RETENTION_DAYS + 1) * DAY
    with pytest.raises(BackupRefused, match="older than the retention period"):
        restore(instance.keyed(tmp_path / "fresh"), instance.folder, instance.identity, late)


@pytest.fixture
def cli_env(instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line's environment, every setting it reads given (a local .env loses)."""
    var_dir = tmp_path / "cli"
    key_file = tmp_path / "backup.key"
    raw = instance.identity.private_bytes_raw()
    key_file.write_text(sealed.SECRET_PREFIX + base64.urlsafe_b64encode(raw).decode())
    key_file.chmod(0o600)
    for name, value in {
        "QD_VAR_DIR": str(var_dir),
        "QD_DATABASE_URL": f"sqlite:///{var_dir / 'quietdoor.db'}",
        "QD_BACKUP_KEY_FILE": str(key_file),
        "QD_MASTER_KEYS": "",
        "QD_HASH_KEY": "",
        "QD_RETENTION_CLOSED_CASE_DAYS": str(RETENTION_DAYS),
        "QD_ENV": "development",
    }.items():
        monkeypatch.setenv(name, value)
    return var_dir


def test_a_wrong_backup_key_is_refused_with_a_clear_message(
    instance: Instance, cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret, _ = sealed.new_key_pair()
    (tmp_path / "backup.key").write_text(secret)
    assert cli.main(["restore", str(instance.folder)]) == 1
    error = capsys.readouterr().err
    assert "sealed to another backup key" in error
    assert not (cli_env / "quietdoor.db").exists()


def test_a_development_restore_installs_the_backups_keys(
    instance: Instance, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["restore", str(instance.folder)]) == 0
    assert "retention re-applied" in capsys.readouterr().out
    secrets_file = cli_env / cli.DEV_SECRETS
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    values = read_env_file(secrets_file)
    assert values["QD_MASTER_KEYS"] == instance.settings.master_keys.get_secret_value()
    assert values["QD_HASH_KEY"] == instance.settings.hash_key.get_secret_value()
    assert values["QD_SERVICE_TOKEN"], "the other development secrets are kept or made"


def test_production_never_writes_the_backups_keys_under_the_data_directory(
    instance: Instance,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QD_ENV", "production")
    assert cli.main(["restore", str(instance.folder)]) == 1
    assert "put the backup's keys in your secret store" in capsys.readouterr().err
    assert not (cli_env / "quietdoor.db").exists()
    assert not (cli_env / cli.DEV_SECRETS).exists()


def test_a_backup_key_file_others_can_read_is_refused(
    instance: Instance, cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "backup.key").chmod(0o644)
    assert cli.main(["restore", str(instance.folder)]) == 2
    assert "chmod 600" in capsys.readouterr().err


def test_configured_keys_that_cannot_open_the_backup_refuse_the_restore(
    instance: Instance,
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QD_MASTER_KEYS", f"k1:{_key()}")
    monkeypatch.setenv("QD_HASH_KEY", instance.settings.hash_key.get_secret_value())
    assert cli.main(["restore", str(instance.folder)]) == 1
    assert "lacks the backup's master key(s) k1" in capsys.readouterr().err
    assert not (cli_env / "quietdoor.db").exists()
    assert not (cli_env / cli.DEV_SECRETS).exists()


@pytest.mark.parametrize("size", [0, 63, 64, 65, 64 * 3])
def test_sealed_files_round_trip_and_refuse_a_dropped_last_chunk(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sealed, "CHUNK", 64)
    identity = X25519PrivateKey.generate()
    content = os.urandom(size)
    path = tmp_path / "f"
    manifest = sealed.seal(path, identity.public_key(), "database", {"n": 1}, content)
    assert sealed.open_small(path, identity, "database") == (manifest, content)
    with pytest.raises(sealed.BackupFileError, match="expected a keyring file"):
        sealed.open_small(path, identity, "keyring")
    # The manifest alone fills more than one chunk: drop the last one, leaving whole chunks
    # none of which is marked last.
    sealed_chunk = 64 + sealed.TAG
    whole = (path.stat().st_size - HEADER - 1) // sealed_chunk
    path.write_bytes(path.read_bytes()[: HEADER + whole * sealed_chunk])
    with pytest.raises(sealed.BackupFileError, match="changed or damaged"):
        sealed.open_small(path, identity, "database")
