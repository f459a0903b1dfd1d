"""QD_ENV=production: keys that would sit beside the data they open are refused.

In development a missing key is filled from `var/dev-secrets.env`, next to the database: a copy or
backup of `var/` then holds the ciphertext and the keys to read it. In production the gateway and
every command that opens keys (staff-user, rotate-keys, audit-verify, retention) stop instead,
with a message naming the variable and the fix, when a key is the development one (recognised by
its value, however it was passed in) or a `*_FILE` secret lives under the data directory or the
database's directory. Never echoes key material.
"""

from __future__ import annotations

import binascii
from pathlib import Path

from sqlalchemy.engine import make_url

from api.crypto.keys import KeyConfigError, decode_key
from api.secret_files import (
    DEV_SECRETS_FILE,
    SECRET_FILE_VARIABLES,
    SecretFileError,
    read_env_file,
)
from api.settings import Settings

DEV_SECRET_VARIABLES = {
    "master_keys": "QD_MASTER_KEYS",
    "hash_key": "QD_HASH_KEY",
    "service_token": "QD_SERVICE_TOKEN",
    "rasa_token": "QD_RASA_TOKEN",
}
"""The settings the development secrets file holds, by the variable it names them with."""

ROTATE_OFF = (
    "; to move stored data off the development master key, list yours first and run "
    "`make rotate-keys` with QD_ENV=development (README, Keys and what is encrypted)"
)


def unsafe_key_problems(settings: Settings) -> list[str]:
    """In production, every development secret and every secret file kept beside the data."""
    if settings.env != "production":
        return []
    return [*_development_secrets(settings), *_files_beside_the_data(settings)]


def require_safe_keys(settings: Settings) -> None:
    """Raise KeyConfigError listing every unsafe key (production only); see the module doc."""
    problems = unsafe_key_problems(settings)
    if problems:
        raise KeyConfigError("; ".join(problems))


def settings_for_keys() -> Settings:
    """The environment's settings for a command that opens keys, or KeyConfigError saying why not
    (a secret file that cannot be used, or in production an unsafe key)."""
    try:
        settings = Settings()
    except SecretFileError as error:
        raise KeyConfigError(str(error)) from None
    require_safe_keys(settings)
    return settings


def _materials(value: str) -> set[bytes | str]:
    """The keys in a secret (each `id:key` of QD_MASTER_KEYS, or the whole value), decoded when
    they are base64 so that a re-encoded copy of a development key is still recognised."""
    found: set[bytes | str] = set()
    for item in value.split(","):
        key = item.partition(":")[2] if ":" in item else item
        if key.strip():
            try:
                found.add(decode_key(key))
            except (binascii.Error, ValueError):
                found.add(key.strip())
    return found


def _development_secrets(settings: Settings) -> list[str]:
    path = settings.var_dir / DEV_SECRETS_FILE
    if not path.is_file():
        return []
    development = read_env_file(path)
    problems = []
    for field, variable in DEV_SECRET_VARIABLES.items():
        secret = getattr(settings, field)
        if _materials(secret.get_secret_value()) & _materials(development.get(variable, "")):
            problems.append(
                f"{variable} holds the development value from {path} (QD_ENV=production): give "
                f"your own from your secret store ({variable} or {variable}_FILE, outside the "
                f"data directory){ROTATE_OFF if field == 'master_keys' else ''}"
            )
    return problems


def _files_beside_the_data(settings: Settings) -> list[str]:
    folders = {"the data directory (QD_VAR_DIR)": settings.var_dir.resolve()}
    database = database_directory(settings)
    if database is not None:
        folders["the database's directory"] = database
    problems = []
    for field, variable in SECRET_FILE_VARIABLES.items():
        path = getattr(settings, f"{field}_file")
        if path is None:
            continue
        for what, folder in folders.items():
            if path.resolve().is_relative_to(folder):
                problems.append(
                    f"{variable} ({path}) is under {what}, {folder} (QD_ENV=production): a copy "
                    "or backup of it would carry the keys with the data they open; keep the "
                    "file elsewhere (e.g. /run/secrets or /etc/quietdoor, mode 600)"
                )
                break
    return problems


def database_directory(settings: Settings) -> Path | None:
    """The folder of a SQLite database file; None for a database server or one in memory."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve().parent
