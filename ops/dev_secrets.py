"""Development secrets, generated once on first run so a fresh clone starts without set-up.

Production sets the same variables from its secret store; a variable already in the environment
always wins over the file. The file lives under var/ (git-ignored) with mode 0600.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path


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


def read(path: Path) -> dict[str, str]:
    """`NAME=value` lines; blank lines, comments and empty values are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs if value.strip()}


def environment(path: Path, dotenv: Path | None = None) -> dict[str, str]:
    """The process environment, completed from `dotenv` (a landlord's `.env`, if it exists) and
    then from the development secrets: the environment wins, then `.env`, then the dev file."""
    local = read(dotenv) if dotenv is not None and dotenv.is_file() else {}
    return {**ensure(path), **local, **{k: v for k, v in os.environ.items() if v}}


def main(argv: list[str]) -> int:
    """`python -m ops.dev_secrets COMMAND...`: run a command (a staff or key CLI) with the same
    secrets `make run` gives the product, so it reads the same database with the same keys."""
    if not argv:
        print("usage: python -m ops.dev_secrets COMMAND [ARGS...]", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parent.parent
    var_dir = Path(os.environ.get("QD_VAR_DIR", root / "var"))
    env = environment(var_dir / "dev-secrets.env", root / ".env")
    os.execvpe(argv[0], argv, env)  # noqa: S606


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
