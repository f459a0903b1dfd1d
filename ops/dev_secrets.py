"""Development secrets, generated once on first run so a fresh clone starts without set-up.

Production (QD_ENV=production) sets the same variables, or their `*_FILE` twins, from its secret
store, and this file is then neither made nor read: it sits under var/ beside the database, so a
backup of var/ would hold the keys with the ciphertext (the gateway and key commands also refuse
its values in production: api/crypto/production.py). In development a variable already in the
environment always wins over the file. The file lives under var/ (git-ignored) with mode 0600.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

from api.secret_files import DEV_SECRETS_FILE, SecretFileError, read_env_file, resolve_secret_files


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def generate() -> dict[str, str]:
    """A full set of fresh secrets; the master key id says when it was made, for rotation."""
    return {
        "QD_MASTER_KEYS": f"dev1:{_key()}",
        "QD_HASH_KEY": _key(),
        "QD_SERVICE_TOKEN": secrets.token_urlsafe(32),
        "QD_RASA_TOKEN": secrets.token_urlsafe(32),
    }


def ensure(path: Path) -> dict[str, str]:
    """Read the secrets file, creating it (0600, never overwritten) when it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        values = generate()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Development secrets made by Quiet Door on first run. Never commit.\n")
            handle.writelines(f"{name}={value}\n" for name, value in values.items())
    return read(path)


read = read_env_file


def environment(path: Path, dotenv: Path | None = None) -> dict[str, str]:
    """The process environment, completed from `dotenv` (a landlord's `.env`, if it exists) and,
    in development only, from the development secrets: the environment wins, then `.env`, then
    the dev file. Each `X_FILE` secret is also given as `X`, for Rasa and the action server,
    which read only `X`; a secret given either way is never taken from the dev file."""
    local = read(dotenv) if dotenv is not None and dotenv.is_file() else {}
    given = resolve_secret_files({**local, **{k: v for k, v in os.environ.items() if v}})
    if given.get("QD_ENV") == "production":
        return given
    return {**ensure(path), **given}


def main(argv: list[str]) -> int:
    """`python -m ops.dev_secrets COMMAND...`: run a command (a staff or key CLI) with the same
    secrets `make run` gives the product, so it reads the same database with the same keys."""
    if not argv:
        print("usage: python -m ops.dev_secrets COMMAND [ARGS...]", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parent.parent
    var_dir = Path(os.environ.get("QD_VAR_DIR", root / "var"))
    try:
        env = environment(var_dir / DEV_SECRETS_FILE, root / ".env")
    except SecretFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.execvpe(argv[0], argv, env)  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
