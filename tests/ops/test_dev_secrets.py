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
