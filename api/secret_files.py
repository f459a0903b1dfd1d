"""Secrets given as files (`QD_MASTER_KEYS_FILE=/run/secrets/master-keys`), Docker's convention.

A secret store usually hands a process a file, not an environment variable, and a file does not
leak into every child process or a crash report's environment dump. Each secret setting has a
`*_FILE` twin; the file holds the value alone (a trailing newline is dropped). A file any other
user could read is refused: the whole point is that only the service account holds the key.

This module also knows where the development secrets file lives, so production can recognise
(and refuse) a key that came from it (`api.crypto.production`).
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from pydantic import SecretStr

DEV_SECRETS_FILE = "dev-secrets.env"
"""Under the data directory (QD_VAR_DIR): the secrets `make run` generates for development."""

SECRET_FILE_VARIABLES: dict[str, str] = {
    "master_keys": "QD_MASTER_KEYS_FILE",
    "hash_key": "QD_HASH_KEY_FILE",
    "service_token": "QD_SERVICE_TOKEN_FILE",
    "rasa_token": "QD_RASA_TOKEN_FILE",
    "smtp_password": "QD_SMTP_PASSWORD_FILE",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN_FILE",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN_FILE",
    "telegram_secret_token": "TELEGRAM_SECRET_TOKEN_FILE",
}
"""Each secret setting and the variable naming its file (the Settings field is `<name>_file`)."""


class SecretFileError(RuntimeError):
    """A `*_FILE` secret cannot be used; the message names the variable and fix, not the value."""


def read_secret_file(path: Path, variable: str) -> str:
    """The secret in `path` less its trailing newline; refused unless only its owner can read it."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise SecretFileError(f"{variable} ({path}) is not a file")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretFileError(
                f"{variable} ({path}) can be read or written by other users "
                f"(mode {stat.S_IMODE(mode):04o}): run `chmod 600 {path}` (or 400)"
            )
        value = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise SecretFileError(
            f"{variable} ({path}) cannot be read: {error.strerror or type(error).__name__}"
        ) from None
    if not value.strip():
        raise SecretFileError(f"{variable} ({path}) is empty")
    return value


def fill_from_files(settings: Any) -> None:
    """Set each secret of `settings` whose `<name>_file` is given from that file.

    The plain variable may be set as well only to the same value (`resolve_secret_files` does
    that for the other processes); two different values are a mistake to stop at, not guess.
    """
    for field, variable in SECRET_FILE_VARIABLES.items():
        path = getattr(settings, f"{field}_file")
        if path is None:
            continue
        value = read_secret_file(path, variable)
        given = getattr(settings, field)
        if given is not None and given.get_secret_value() not in ("", value):
            raise SecretFileError(
                f"{variable.removesuffix('_FILE')} and {variable} are both set, to different "
                "values: give only one"
            )
        setattr(settings, field, SecretStr(value))


def resolve_secret_files(env: dict[str, str]) -> dict[str, str]:
    """`env` with each `X_FILE` also given as `X`, for processes that read only `X` (Rasa, actions).

    The gateway's settings accept both when they agree, and still see where the file is.
    """
    resolved = dict(env)
    for variable in SECRET_FILE_VARIABLES.values():
        if env.get(variable):
            resolved[variable.removesuffix("_FILE")] = read_secret_file(
                Path(env[variable]), variable
            )
    return resolved


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines; blank lines, comments and empty values are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs if value.strip()}
