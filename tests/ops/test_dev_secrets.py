"""Development secrets: private to the owner, made once, never preferred over the environment."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ops import dev_secrets


def test_first_run_writes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dev-secrets.env"
    values = dev_secrets.ensure(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_id, _, key = values["QD_MASTER_KEYS"].partition(":")
    assert key_id and len(base64.b64decode(key)) == 32
    assert len(base64.b64decode(values["QD_HASH_KEY"])) == 32
    assert len(values["QD_SERVICE_TOKEN"]) >= 40


def test_secrets_are_kept_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.env"
    assert dev_secrets.ensure(path) == dev_secrets.ensure(path)


def test_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QD_SERVICE_TOKEN", "from-the-secret-store")
    env = dev_secrets.environment(tmp_path / "dev-secrets.env")
    assert env["QD_SERVICE_TOKEN"] == "from-the-secret-store"
    assert env["QD_RASA_TOKEN"]


def test_the_secrets_file_is_ignored_by_git() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert "/var/" in ignored


def test_a_command_runs_with_the_same_secrets_as_the_product(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QD_")}
    printed = subprocess.run(
        [sys.executable, "-m", "ops.dev_secrets", sys.executable, "-c",
         "import os; print(os.environ['QD_SERVICE_TOKEN'])"],
        env=env | {"QD_VAR_DIR": str(tmp_path)},
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
    ).stdout.strip()  # fmt: skip
    assert printed == dev_secrets.read(tmp_path / "dev-secrets.env")["QD_SERVICE_TOKEN"]


def test_a_landlords_env_file_fills_in_between_the_environment_and_the_dev_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# copied from .env.example\nTWILIO_AUTH_TOKEN=from-dotenv\nQD_HASH_KEY=from-dotenv\n"
        "TELEGRAM_BOT_TOKEN=\nQD_ORG=from-dotenv\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("QD_ORG", "from-environment")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("QD_HASH_KEY", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    env = dev_secrets.environment(tmp_path / "dev-secrets.env", dotenv)
    assert env["TWILIO_AUTH_TOKEN"] == "from-dotenv"
    assert env["QD_HASH_KEY"] == "from-dotenv"
    assert env["QD_ORG"] == "from-environment"
    assert "TELEGRAM_BOT_TOKEN" not in env  # an empty line in .env does not set a value
    assert (
        dev_secrets.environment(tmp_path / "dev-secrets.env", tmp_path / "none")["QD_HASH_KEY"]
        != "from-dotenv"
    )


def test_the_env_file_is_ignored_by_git() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=root, check=False, capture_output=True
    )
    assert result.returncode == 0
