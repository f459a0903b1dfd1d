"""`make run` says where Twilio and Telegram must send their webhooks, or what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops import run
from ops.run import CHANNEL_VARIABLES, channel_lines


@pytest.fixture(autouse=True)
def _no_channel_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"QD_{name}", raising=False)


def test_channels_without_settings_are_off_and_the_missing_names_are_given() -> None:
    assert channel_lines({}) == [
        "  SMS/WhatsApp: off (set PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
        "  Telegram:     off (set TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN)",
    ]


def test_a_configured_channel_shows_its_webhook_address() -> None:
    lines = channel_lines(
        {
            "PUBLIC_BASE_URL": "https://chat.landlord.example/",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "token",
            "QD_TELEGRAM_BOT_TOKEN": "1:abc",
        }
    )
    assert lines == [
        "  SMS/WhatsApp: https://chat.landlord.example/webhooks/twilio/webhook",
        "  Telegram:     off (set TELEGRAM_SECRET_TOKEN)",
    ]


def test_a_secret_file_that_cannot_be_read_stops_make_run_with_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QD_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QD_MASTER_KEYS_FILE", str(tmp_path / "missing"))
    assert run.main() == 2
    err = capsys.readouterr().err
    assert err.startswith("Not starting: QD_MASTER_KEYS_FILE") and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing was started or written
