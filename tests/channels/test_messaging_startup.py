"""A channel with missing settings is off and says so at start-up; the others keep working."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from messaging_standins import HASH_KEY, MASTER_KEYS, TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET

from api.app import create_app
from api.db import dispose_engines
from api.settings import REPO_ROOT, Settings


def start(settings: Settings, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.set_level(logging.INFO, logger="quietdoor.channels")
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200  # the web chat works either way
        assert client.post("/webhooks/twilio/webhook").status_code == 404
    dispose_engines()
    return [r.getMessage() for r in caplog.records if r.name == "quietdoor.channels"]


def test_without_settings_both_messaging_channels_say_they_are_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = start(
        Settings(
            var_dir=tmp_path,
            org_dir=REPO_ROOT / "orgs",
            master_keys=MASTER_KEYS,
            hash_key=HASH_KEY,
        ),
        caplog,
    )
    assert lines == [
        "SMS and WhatsApp (Twilio) channel off: set PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID, "
        "TWILIO_AUTH_TOKEN",
        "Telegram channel off: set TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN",
    ]


def test_telegram_alone_is_on_while_twilio_is_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        org_dir=REPO_ROOT / "orgs",
        master_keys=MASTER_KEYS,
        hash_key=HASH_KEY,
        telegram_bot_token=TELEGRAM_BOT_TOKEN,
        telegram_secret_token=TELEGRAM_SECRET,
    )
    lines = start(settings, caplog)
    assert "Telegram channel on" in lines
    assert any(line.startswith("SMS and WhatsApp (Twilio) channel off") for line in lines)


def test_without_keys_messaging_is_off_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        var_dir=tmp_path,
        org_dir=REPO_ROOT / "orgs",
        telegram_bot_token=TELEGRAM_BOT_TOKEN,
        telegram_secret_token=TELEGRAM_SECRET,
    )
    assert start(settings, caplog) == [
        "SMS, WhatsApp and Telegram are off until the keys are fixed"
    ]
