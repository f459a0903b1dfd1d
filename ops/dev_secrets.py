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
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def environment(path: Path) -> dict[str, str]:
    """The process environment completed with the development secrets it lacks."""
    return {**ensure(path), **{k: v for k, v in os.environ.items() if v}}


if __name__ == "__main__":
    ensure(Path(sys.argv[1]))
